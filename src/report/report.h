/*-------------------------------------------------------------------------
 *
 * report.h
 *	  The report subsystem: values as numbers for charts (metric_number.c),
 *	  the HTML report (report_html.c) and the lineage drawing
 *	  (lineage_svg.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_REPORT_H
#define DQ_REPORT_H

#include "postgres.h"

#include "lib/stringinfo.h"

extern bool DqParseIsoDateTime(const char *s, double *result);
extern bool DqParseFiniteNumber(const char *s, double *result);

/* lineage_svg.c: the lineage neighbourhood of a relation as inline SVG */
typedef struct DqLineageGraph DqLineageGraph;

extern DqLineageGraph *DqLineageLoad(void);
extern int	DqLineageDraw(StringInfo out, DqLineageGraph *lg, Oid relid,
						  const char *focus_label, int max_depth,
						  int max_relations, const char *link_prefix);

#endif							/* DQ_REPORT_H */
