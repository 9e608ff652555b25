/*-------------------------------------------------------------------------
 *
 * svg_chart.c
 *	  Small inline SVG charts of the HTML report: sparklines of a metric's
 *	  history, the histogram of a column drawn from its quantile sketch,
 *	  bars of the most frequent values, a strip of pass/fail results and
 *	  bar charts of counts over time.
 *
 * Each chart is one <svg> element with a class naming the chart, a
 * <title> saying what it shows (escaped like every other text), and
 * fixed pixel sizes, so that a page of 500 tables lays out without
 * measuring anything.  Colours come from the report's style sheet through
 * the classes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"

#include "report/html.h"
#include "report/svg_chart.h"

#define DQ_SPARK_W 120
#define DQ_SPARK_H 28
#define DQ_HIST_W 140
#define DQ_HIST_H 36
#define DQ_TOP_W 220
#define DQ_TOP_ROW 14
#define DQ_TOP_LABEL 96

/* Open an <svg> of the given class and size, with its title. */
static void
DqSvgOpen(StringInfo buf, const char *cls, int w, int h, const char *title)
{
	appendStringInfo(buf,
					 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart %s\" "
					 "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
					 cls, w, h, w, h);
	if (title)
	{
		appendStringInfoString(buf, "<title>");
		DqHtmlText(buf, title);
		appendStringInfoString(buf, "</title>");
	}
}

/* The line of a sparkline or a series, and a series' marked points. */
static void
DqSvgLine(StringInfo buf, const char *cls, const double *xs, const double *ys,
		  int n, double ymin, double ymax, const char *title,
		  const bool *marks, char **mark_titles)
{
	double		xmin = 0,
				xmax = 0;
	double		lo = ymin,
				hi = ymax;
	bool		any = false;
	int			i;

	DqSvgOpen(buf, cls, DQ_SPARK_W, DQ_SPARK_H, title);
	for (i = 0; i < n; i++)
	{
		double		x = xs ? xs[i] : i;

		if (isnan(ys[i]))
			continue;
		if (!any)
		{
			xmin = xmax = x;
			if (isnan(ymin))
				lo = ys[i];
			if (isnan(ymax))
				hi = ys[i];
			any = true;
		}
		xmin = Min(xmin, x);
		xmax = Max(xmax, x);
		if (isnan(ymin))
			lo = Min(lo, ys[i]);
		if (isnan(ymax))
			hi = Max(hi, ys[i]);
	}
	if (any)
	{
		double		lastx = 0,
					lasty = 0;
		bool		pen = false;

		appendStringInfoString(buf, "<path class=\"line\" d=\"");
		for (i = 0; i < n; i++)
		{
			double		x = xs ? xs[i] : i;
			double		px,
						py;

			if (isnan(ys[i]))
				continue;
			px = (xmax > xmin) ? 3 + (x - xmin) / (xmax - xmin) * (DQ_SPARK_W - 6)
				: DQ_SPARK_W / 2.0;
			py = (hi > lo) ? DQ_SPARK_H - 3 - (ys[i] - lo) / (hi - lo) * (DQ_SPARK_H - 6)
				: DQ_SPARK_H / 2.0;
			appendStringInfoChar(buf, pen ? 'L' : 'M');
			DqHtmlCoord(buf, px);
			appendStringInfoChar(buf, ' ');
			DqHtmlCoord(buf, py);
			pen = true;
			lastx = px;
			lasty = py;
		}
		appendStringInfoString(buf, "\"/><circle class=\"last\" r=\"2\" cx=\"");
		DqHtmlCoord(buf, lastx);
		appendStringInfoString(buf, "\" cy=\"");
		DqHtmlCoord(buf, lasty);
		appendStringInfoString(buf, "\"/>");
		for (i = 0; marks != NULL && i < n; i++)
		{
			double		x = xs ? xs[i] : i;

			if (!marks[i] || isnan(ys[i]))
				continue;
			appendStringInfoString(buf, "<circle class=\"anomaly\" r=\"3\" cx=\"");
			DqHtmlCoord(buf, (xmax > xmin) ? 3 + (x - xmin) / (xmax - xmin) * (DQ_SPARK_W - 6)
						: DQ_SPARK_W / 2.0);
			appendStringInfoString(buf, "\" cy=\"");
			DqHtmlCoord(buf, (hi > lo) ? DQ_SPARK_H - 3 - (ys[i] - lo) / (hi - lo) * (DQ_SPARK_H - 6)
						: DQ_SPARK_H / 2.0);
			appendStringInfoString(buf, "\">");
			if (mark_titles != NULL && mark_titles[i] != NULL)
			{
				appendStringInfoString(buf, "<title>");
				DqHtmlText(buf, mark_titles[i]);
				appendStringInfoString(buf, "</title>");
			}
			appendStringInfoString(buf, "</circle>");
		}
	}
	appendStringInfoString(buf, "</svg>");
}

/*
 * A line through (xs[i], ys[i]) (xs ascending, e.g. epoch seconds; NULL
 * for evenly spaced points), scaled to [ymin, ymax] (NaN: the data's
 * range).  Points whose y is NaN are left out.  The last point is marked.
 */
void
DqSvgSparkline(StringInfo buf, const char *cls, const double *xs,
			   const double *ys, int n, double ymin, double ymax,
			   const char *title)
{
	DqSvgLine(buf, cls, xs, ys, n, ymin, ymax, title, NULL, NULL);
}

/*
 * The same line, with the points where marks[i] is true drawn as circles
 * of class "anomaly", each with its own title (mark_titles[i], may be
 * NULL): a monitor's series with its anomalies.
 */
void
DqSvgSeries(StringInfo buf, const char *cls, const double *xs,
			const double *ys, int n, const bool *marks, char **mark_titles,
			const char *title)
{
	DqSvgLine(buf, cls, xs, ys, n, get_float8_nan(), get_float8_nan(), title,
			  marks, mark_titles);
}

/*
 * The density of an equi-height histogram: bucket i spans [lo[i], hi[i]]
 * on the value axis and holds count[i] values, so its bar is as wide as
 * its range and as high as count / width.  Buckets of zero width (a value
 * that repeats) get a minimum width.
 */
void
DqSvgHistogram(StringInfo buf, const double *lo, const double *hi,
			   const double *count, int n, const char *title)
{
	double		xmin = lo[0],
				xmax = hi[n - 1];
	double		span;
	double		minw;
	double		dmax = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		xmin = Min(xmin, lo[i]);
		xmax = Max(xmax, hi[i]);
	}
	span = xmax - xmin;
	minw = (span > 0) ? span / 100.0 : 1.0;
	for (i = 0; i < n; i++)
	{
		double		w = Max(hi[i] - lo[i], minw);

		dmax = Max(dmax, count[i] / w);
	}

	DqSvgOpen(buf, "histogram", DQ_HIST_W, DQ_HIST_H, title);
	appendStringInfo(buf, "<line class=\"axis\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
					 DQ_HIST_H - 1, DQ_HIST_W, DQ_HIST_H - 1);
	for (i = 0; i < n && dmax > 0; i++)
	{
		double		w = Max(hi[i] - lo[i], minw);
		double		x0 = (span > 0) ? (lo[i] - xmin) / span * (DQ_HIST_W - 2) + 1 : 1;
		double		pw = (span > 0) ? w / span * (DQ_HIST_W - 2) : DQ_HIST_W - 2;
		double		ph = (count[i] / w) / dmax * (DQ_HIST_H - 3);

		if (pw < 1)
			pw = 1;
		appendStringInfoString(buf, "<rect class=\"bar\" x=\"");
		DqHtmlCoord(buf, x0);
		appendStringInfoString(buf, "\" y=\"");
		DqHtmlCoord(buf, DQ_HIST_H - 1 - ph);
		appendStringInfoString(buf, "\" width=\"");
		DqHtmlCoord(buf, pw);
		appendStringInfoString(buf, "\" height=\"");
		DqHtmlCoord(buf, ph);
		appendStringInfoString(buf, "\"/>");
	}
	appendStringInfoString(buf, "</svg>");
}

/* Horizontal bars of the most frequent values, with their counts. */
void
DqSvgTopValues(StringInfo buf, char **labels, const double *counts, int n,
			   double total)
{
	double		cmax = 0;
	int			i;

	for (i = 0; i < n; i++)
		cmax = Max(cmax, counts[i]);
	DqSvgOpen(buf, "topvalues", DQ_TOP_W, Max(n, 1) * DQ_TOP_ROW + 2,
			  "most frequent values");
	for (i = 0; i < n; i++)
	{
		double		w = cmax > 0 ? counts[i] / cmax * (DQ_TOP_W - DQ_TOP_LABEL - 48) : 0;
		int			y = i * DQ_TOP_ROW + 1;

		appendStringInfo(buf, "<g><title>");
		DqHtmlClip(buf, labels[i], DQ_HTML_CLIP);
		appendStringInfoString(buf, ": ");
		DqHtmlFloat(buf, counts[i]);
		if (total > 0)
		{
			appendStringInfoString(buf, " (");
			DqHtmlPercent(buf, counts[i] / total);
			appendStringInfoChar(buf, ')');
		}
		appendStringInfo(buf, "</title><text class=\"label\" x=\"%d\" y=\"%d\">",
						 DQ_TOP_LABEL - 3, y + 10);
		DqHtmlClip(buf, labels[i], 14);
		appendStringInfo(buf, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"",
						 DQ_TOP_LABEL, y + 2);
		DqHtmlCoord(buf, Max(w, 1));
		appendStringInfo(buf, "\" height=\"%d\"/><text class=\"value\" x=\"", DQ_TOP_ROW - 4);
		DqHtmlCoord(buf, DQ_TOP_LABEL + Max(w, 1) + 3);
		appendStringInfo(buf, "\" y=\"%d\">", y + 10);
		DqHtmlFloat(buf, counts[i]);
		appendStringInfoString(buf, "</text></g>");
	}
	appendStringInfoString(buf, "</svg>");
}

/*
 * One square per run, oldest first: outcome 1 passed, 0 failed, -1 not
 * evaluated; titles[i] says when and what.
 */
void
DqSvgRunStrip(StringInfo buf, const int *outcome, char **titles, int n)
{
	int			i;

	DqSvgOpen(buf, "runs", Max(n, 1) * 9 + 1, 12, NULL);
	for (i = 0; i < n; i++)
	{
		appendStringInfo(buf, "<rect class=\"%s\" x=\"%d\" y=\"1\" width=\"8\" height=\"10\">"
						 "<title>",
						 outcome[i] > 0 ? "pass" : (outcome[i] == 0 ? "fail" : "none"),
						 i * 9 + 1);
		DqHtmlText(buf, titles[i]);
		appendStringInfoString(buf, "</title></rect>");
	}
	appendStringInfoString(buf, "</svg>");
}

/* Vertical bars of counts over time, one per bucket, oldest first. */
void
DqSvgBars(StringInfo buf, const char *cls, const double *values,
		  char **titles, int n, const char *title)
{
	double		vmax = 0;
	int			w = Max(n, 1) * 5 + 1;
	int			h = 32;
	int			i;

	for (i = 0; i < n; i++)
		vmax = Max(vmax, values[i]);
	DqSvgOpen(buf, cls, w, h, title);
	appendStringInfo(buf, "<line class=\"axis\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
					 h - 1, w, h - 1);
	for (i = 0; i < n; i++)
	{
		double		bh = vmax > 0 ? values[i] / vmax * (h - 3) : 0;

		if (values[i] <= 0)
			continue;
		appendStringInfo(buf, "<rect class=\"bar\" x=\"%d\" y=\"", i * 5 + 1);
		DqHtmlCoord(buf, h - 1 - Max(bh, 1));
		appendStringInfoString(buf, "\" width=\"4\" height=\"");
		DqHtmlCoord(buf, Max(bh, 1));
		appendStringInfoString(buf, "\"><title>");
		if (titles)
			DqHtmlText(buf, titles[i]);
		appendStringInfoString(buf, "</title></rect>");
	}
	appendStringInfoString(buf, "</svg>");
}
