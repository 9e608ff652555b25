/*-------------------------------------------------------------------------
 *
 * report_page.h
 *	  What the two files of the HTML report share: the report being
 *	  written and its tables, the helpers of its cells, and the sections
 *	  of one table (report_table.c), which report_html.c lists.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_REPORT_PAGE_H
#define DQ_REPORT_PAGE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "report/report.h"

/* A number in the SQL text below. */
#define DQ_STR(x) #x
#define DQ_XSTR(x) DQ_STR(x)

/* Default history window when "since" is NULL. */
#define DQ_REPORT_DAYS 30
/* With more tables than this, table sections start collapsed. */
#define DQ_REPORT_OPEN_TABLES 12
#define DQ_REPORT_RUNS 30
#define DQ_REPORT_TREND_POINTS 60
#define DQ_REPORT_TOP_VALUES 5
#define DQ_REPORT_VIOLATIONS 15
#define DQ_REPORT_FAILURES 200
#define DQ_REPORT_LINEAGE_DEPTH 3
#define DQ_REPORT_LINEAGE_RELATIONS 40

typedef struct DqReportTable
{
	Oid			relid;
	char	   *schema_name;
	char	   *table_name;
	char	   *label;			/* schema.table, identifiers quoted as needed */
	char	   *kind;
	char	   *status;
	double		row_count;		/* NaN when never profiled */
	double		columns_profiled;
	char	   *last_profiled_at;
	double		expectations;
	char	   *last_validated_at;
	double		evaluated;
	double		open_failures;
	double		last_success_percent;
	bool		watched;
	double		violations_24h;
	char	   *last_violation_at;
	char	   *data_latest_at;
	double		data_age_seconds;
	double		upstream;
	double		downstream;
	double		monitors;
	char	   *changed_at;		/* from a freshness monitor, or NULL */
	double		change_age_seconds;
	double		open_anomalies;
	double		open_alerts;
} DqReportTable;

typedef struct DqReport
{
	StringInfo	out;
	Oid			only_relid;		/* InvalidOid: every table */
	TimestampTz since;
	char	   *since_text;		/* when the history shown starts */
	char	   *now_text;		/* when the report was made */
	int			ntables;
	DqReportTable *tables;
	MemoryContext table_cxt;	/* reset after each table section */
	DqLineageGraph *lineage;	/* every edge, read once */
} DqReport;

/* report_html.c */
extern void DqReportExec(const char *sql, int nargs, Oid *types, Datum *values,
						 const char *nulls);
extern void DqGridHead(StringInfo out, const char *cls, bool with_table,
					   const char *heads);
extern void DqCellCount(StringInfo out, double v);
extern void DqCellText(StringInfo out, const char *cls, const char *s);
extern void DqReportExecSince(DqReport *rep, const char *sql, Oid relid);
extern void DqMutedName(StringInfo out, const char *before, const char *name);
extern bool DqReportExecList(StringInfo out, const char *sql, int nargs,
							 Oid *types, Datum *values, const char *nulls,
							 const char *empty);
extern void DqStatusBadge(StringInfo out, const char *status);
extern void DqCellBadge(StringInfo out, const char *status);
extern void DqCellPercent(StringInfo out, double pct);
extern void DqReportViolationTable(DqReport *rep, Oid relid, bool with_table);

/* report_table.c: the sections of one table */
extern void DqReportTableProfile(DqReport *rep, DqReportTable *t);
extern void DqReportTableExpectations(DqReport *rep, DqReportTable *t);
extern void DqReportTableViolations(DqReport *rep, DqReportTable *t);
extern void DqReportTableLineage(DqReport *rep, DqReportTable *t);

/* report_monitors.c: monitors, anomalies and alerts */
extern void DqReportOpenAlerts(DqReport *rep);
extern void DqReportOpenAnomalies(DqReport *rep);
extern void DqReportTableMonitors(DqReport *rep, DqReportTable *t);
extern void DqReportTableAlerts(DqReport *rep, DqReportTable *t);

#endif							/* DQ_REPORT_PAGE_H */
