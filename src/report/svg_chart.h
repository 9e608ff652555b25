/*-------------------------------------------------------------------------
 *
 * svg_chart.h
 *	  Small inline SVG charts of the HTML report.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SVG_CHART_H
#define DQ_SVG_CHART_H

#include "postgres.h"

#include "lib/stringinfo.h"

extern void DqSvgSparkline(StringInfo buf, const char *cls, const double *xs,
						   const double *ys, int n, double ymin, double ymax,
						   const char *title);
extern void DqSvgSeries(StringInfo buf, const char *cls, const double *xs,
						const double *ys, int n, const bool *marks,
						char **mark_titles, const char *title);
extern void DqSvgHistogram(StringInfo buf, const double *lo, const double *hi,
						   const double *count, int n, const char *title);
extern void DqSvgTopValues(StringInfo buf, char **labels, const double *counts,
						   int n, double total);
extern void DqSvgRunStrip(StringInfo buf, const int *outcome, char **titles,
						  int n);
extern void DqSvgBars(StringInfo buf, const char *cls, const double *values,
					  char **titles, int n, const char *title);

#endif							/* DQ_SVG_CHART_H */
