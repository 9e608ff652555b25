/*-------------------------------------------------------------------------
 *
 * report_monitors.c
 *	  The parts of the HTML report about monitors and alerts: the open
 *	  alerts and open anomalies of the overview, and per table its monitors
 *	  with their series drawn as inline SVG with the anomalies marked, its
 *	  anomalies and its open alerts.
 *
 * Everything is read with the caller's rights from the monitors' and the
 * alerts' tables (dq.monitor_definitions, dq.metric_points, dq.anomalies,
 * dq.alerts), whose row-level policies show each role only what it may
 * read, like the rest of the report.  Every value is escaped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "base/spi_util.h"
#include "report/html.h"
#include "report/report_page.h"
#include "report/svg_chart.h"

/* Rows of the overview's lists and of a table's lists. */
#define DQ_REPORT_ALERTS 200
#define DQ_REPORT_ANOMALIES 200
#define DQ_REPORT_TABLE_ANOMALIES 30
/* Series drawn per monitor (the metrics with anomalies first). */
#define DQ_REPORT_MONITOR_SERIES 6

/* A dash for a missing value. */
#define DQ_DASH "<span class=\"muted\">\xE2\x80\x93</span>"

static void
DqCellNumber(StringInfo out, uint64 row, int col)
{
	appendStringInfoString(out, "<td class=\"num\">");
	if (DqSpiIsNull(row, col))
		appendStringInfoString(out, DQ_DASH);
	else
		DqHtmlFloat(out, DqSpiFloat8(row, col));
	appendStringInfoString(out, "</td>");
}

/* A link to a table's section, or its name as text when it has none. */
static void
DqMonTableCell(DqReport *rep, uint64 row, int relid_col, int label_col)
{
	StringInfo	out = rep->out;
	Oid			relid = DqSpiIsNull(row, relid_col) ? InvalidOid :
		(Oid) DqSpiInt64(row, relid_col);
	char	   *label = DqSpiText(row, label_col);
	bool		linked = false;
	int			i;

	appendStringInfoString(out, "<td>");
	for (i = 0; i < rep->ntables && OidIsValid(relid); i++)
		if (rep->tables[i].relid == relid)
			linked = true;
	if (linked)
		appendStringInfo(out, "<a href=\"#t-%u\">", relid);
	DqHtmlText(out, label ? label : "");
	if (linked)
		appendStringInfoString(out, "</a>");
	appendStringInfoString(out, "</td>");
}

/*
 * The band of an anomaly from its lower and upper bound (columns col and
 * col + 1), an open end for a NULL bound.
 */
static void
DqCellBand(StringInfo out, uint64 row, int col)
{
	appendStringInfoString(out, "<td class=\"num\">");
	if (DqSpiIsNull(row, col))
		appendStringInfoString(out, "\xE2\x88\x92\xE2\x88\x9E");
	else
		DqHtmlFloat(out, DqSpiFloat8(row, col));
	appendStringInfoString(out, " \xE2\x80\xA6 ");
	if (DqSpiIsNull(row, col + 1))
		appendStringInfoString(out, "\xE2\x88\x9E");
	else
		DqHtmlFloat(out, DqSpiFloat8(row, col + 1));
	appendStringInfoString(out, "</td>");
}

/*
 * A list of alerts or anomalies: its query ($1 relation or NULL, $2 how
 * many rows), what to say when it finds none, its table's class and head
 * (after the table column, as DqGridHead takes it), and the cells that
 * follow the table and severity columns,
 * one letter each from column 4 on: t text, c count, n number, b band
 * (two columns).
 */
typedef struct DqMonListDef
{
	const char *sql;
	const char *empty;
	const char *cls;
	const char *heads;			/* DqGridHead's, from severity on */
	const char *cells;
} DqMonListDef;

/*
 * Write a list of alerts or anomalies of relation relid, or of every
 * relation (with a column of tables) when relid is InvalidOid.  Each row
 * starts with its table (columns 1 and 2) and its severity (column 3).
 */
static void
DqMonList(DqReport *rep, const DqMonListDef *def, Oid relid, int limit)
{
	StringInfo	out = rep->out;
	Oid			types[2] = {OIDOID, INT4OID};
	Datum		values[2] = {ObjectIdGetDatum(relid), Int32GetDatum(limit)};
	char		nulls[2] = {OidIsValid(relid) ? ' ' : 'n', ' '};
	uint64		i;
	const char *c;
	int			col;

	if (!DqReportExecList(out, def->sql, 2, types, values, nulls, def->empty))
		return;
	DqGridHead(out, def->cls, !OidIsValid(relid), def->heads);
	for (i = 0; i < SPI_processed; i++)
	{
		appendStringInfoString(out, "<tr>");
		if (!OidIsValid(relid))
			DqMonTableCell(rep, i, 1, 2);
		DqCellBadge(out, DqSpiText(i, 3));
		for (c = def->cells, col = 4; *c; c++, col++)
		{
			if (*c == 't')
				DqCellText(out, NULL, DqSpiText(i, col));
			else if (*c == 'c')
				DqCellCount(out, DqSpiFloat8(i, col));
			else if (*c == 'n')
				DqCellNumber(out, i, col);
			else
				DqCellBand(out, i, col++);
		}
		appendStringInfoString(out, "</tr>");
	}
	appendStringInfoString(out, "</tbody></table>");
	SPI_freetuptable(SPI_tuptable);
}

/* ---- alerts ---- */

/* Alerts that are not resolved, newest first; $1 relation or NULL, $2 how many. */
static const char dq_report_alerts_sql[] =
"SELECT a.relid::int8,"
"       coalesce(quote_ident(a.schema_name) || '.' || quote_ident(a.table_name), ''),"
"       a.severity, a.source, a.state, a.title, a.occurrences::float8,"
"       to_char(a.first_seen, 'YYYY-MM-DD HH24:MI'), to_char(a.last_seen, 'YYYY-MM-DD HH24:MI')"
"  FROM dq.alerts a"
" WHERE a.state <> 'resolved' AND ($1 IS NULL OR a.relid = $1)"
" ORDER BY a.last_seen DESC, a.alert_id DESC"
" LIMIT $2";

static const DqMonListDef DqAlertList = {
	dq_report_alerts_sql, "No open alert (or none you may read).", "alerts",
	"severity|source|state|alert|+occurrences|first seen|last seen",
	"tttctt"
};

/* Overview: every alert that is not resolved. */
void
DqReportOpenAlerts(DqReport *rep)
{
	DqMonList(rep, &DqAlertList, InvalidOid, DQ_REPORT_ALERTS);
}

/* A table's alerts that are not resolved. */
void
DqReportTableAlerts(DqReport *rep, DqReportTable *t)
{
	DqMonList(rep, &DqAlertList, t->relid, DQ_REPORT_ALERTS);
}

/* ---- anomalies ---- */

/* Open anomalies, newest first; $1 relation or NULL, $2 how many. */
static const char dq_report_anomalies_sql[] =
"SELECT a.relid::int8, quote_ident(a.schema_name) || '.' || quote_ident(a.table_name),"
"       a.severity, a.kind, coalesce(a.column_name::text, ''), a.metric,"
"       to_char(a.bucket, 'YYYY-MM-DD HH24:MI'), a.value, a.expected, a.lower, a.upper,"
"       a.state"
"  FROM dq.anomalies a"
" WHERE a.state = 'open' AND ($1 IS NULL OR a.relid = $1)"
" ORDER BY a.bucket DESC, a.anomaly_id DESC"
" LIMIT $2";

static const DqMonListDef DqAnomalyList = {
	dq_report_anomalies_sql, "No open anomaly (or none you may read).", "anomalies",
	"severity|monitor|column|metric|bucket|+value|+expected|+band",
	"ttttnnb"
};

/* Overview: every open anomaly. */
void
DqReportOpenAnomalies(DqReport *rep)
{
	DqMonList(rep, &DqAnomalyList, InvalidOid, DQ_REPORT_ANOMALIES);
}

/* ---- a table's monitors ---- */

/*
 * A table's monitors, each with the series of its metrics since $2 (those
 * with anomalies first, at most DQ_REPORT_MONITOR_SERIES, each the newest
 * DQ_REPORT_TREND_POINTS points) and, per point, whether it is an anomaly
 * that nobody marked expected, with the anomaly's description; $1 relation.
 */
static const char *dq_report_monitors_sql =
"WITH m AS ("
"  SELECT m.monitor_id, m.kind, m.column_name::text AS column_name, m.status, m.enabled,"
"         to_char(m.last_run_at, 'YYYY-MM-DD HH24:MI') AS last_run, m.last_error,"
"         (SELECT count(*) FROM dq.anomalies a"
"           WHERE a.monitor_id = m.monitor_id AND a.state = 'open') AS open_anomalies"
"    FROM dq.monitor_definitions m WHERE m.relid = $1"
"), s AS ("
"  SELECT p.source_id AS monitor_id, p.metric,"
"         bool_or(a.anomaly_id IS NOT NULL) AS marked, count(*) AS n"
"    FROM dq.metric_points p"
"    LEFT JOIN dq.anomalies a ON a.monitor_id = p.source_id AND a.metric = p.metric"
"         AND a.bucket = p.bucket AND a.state <> 'expected'"
"   WHERE p.relid = $1 AND p.source = 'monitor' AND p.bucket >= $2"
"     AND p.source_id IN (SELECT monitor_id FROM m)"
"   GROUP BY 1, 2"
"), r AS ("
"  SELECT s.*, row_number() OVER (PARTITION BY s.monitor_id"
"                                 ORDER BY s.marked DESC, s.metric) AS k"
"    FROM s WHERE s.n >= 2"
")"
"SELECT m.monitor_id::text, m.kind, m.column_name, m.status, m.enabled, m.last_run,"
"       m.last_error, m.open_anomalies::float8, r.metric,"
"       (SELECT array_agg(date_part('epoch', x.bucket) ORDER BY x.bucket)"
"          FROM (SELECT p.bucket FROM dq.metric_points p"
"                 WHERE p.source = 'monitor' AND p.source_id = m.monitor_id"
"                   AND p.metric = r.metric AND p.bucket >= $2 AND p.relid = $1"
"                 ORDER BY p.bucket DESC LIMIT " DQ_XSTR(DQ_REPORT_TREND_POINTS) ") x),"
"       (SELECT array_agg(x.value ORDER BY x.bucket)"
"          FROM (SELECT p.bucket, p.value FROM dq.metric_points p"
"                 WHERE p.source = 'monitor' AND p.source_id = m.monitor_id"
"                   AND p.metric = r.metric AND p.bucket >= $2 AND p.relid = $1"
"                 ORDER BY p.bucket DESC LIMIT " DQ_XSTR(DQ_REPORT_TREND_POINTS) ") x),"
"       (SELECT array_agg(CASE WHEN a.anomaly_id IS NULL THEN NULL"
"                              ELSE to_char(x.bucket, 'YYYY-MM-DD HH24:MI') || ': ' || x.value ||"
"                                   ' is an anomaly (' || a.severity || ', expected ' ||"
"                                   coalesce(round(a.lower::numeric, 3)::text, '-infinity') || ' to ' ||"
"                                   coalesce(round(a.upper::numeric, 3)::text, 'infinity') || ')'"
"                         END ORDER BY x.bucket)"
"          FROM (SELECT p.bucket, p.value FROM dq.metric_points p"
"                 WHERE p.source = 'monitor' AND p.source_id = m.monitor_id"
"                   AND p.metric = r.metric AND p.bucket >= $2 AND p.relid = $1"
"                 ORDER BY p.bucket DESC LIMIT " DQ_XSTR(DQ_REPORT_TREND_POINTS) ") x"
"          LEFT JOIN dq.anomalies a ON a.monitor_id = m.monitor_id AND a.metric = r.metric"
"               AND a.bucket = x.bucket AND a.state <> 'expected')"
"  FROM m LEFT JOIN r ON r.monitor_id = m.monitor_id"
"   AND r.k <= " DQ_XSTR(DQ_REPORT_MONITOR_SERIES)
" ORDER BY m.monitor_id, r.k";

/* One monitor's row of the monitors table (the columns before the series). */
static void
DqMonitorRowStart(StringInfo out, uint64 i)
{
	char	   *status = DqSpiText(i, 4);
	char	   *error = DqSpiText(i, 7);

	appendStringInfoString(out, "<tr><td>");
	DqHtmlText(out, DqSpiText(i, 2));
	appendStringInfoString(out, "</td>");
	DqCellText(out, NULL, DqSpiText(i, 3));
	appendStringInfo(out, "<td class=\"%s\">", DqSpiBool(i, 5) ? "enabled" : "disabled");
	DqHtmlText(out, status ? status : "");
	if (error)
	{
		appendStringInfoString(out, "<br/><span class=\"muted\">");
		DqHtmlClip(out, error, DQ_HTML_CLIP);
		appendStringInfoString(out, "</span>");
	}
	appendStringInfoString(out, "</td>");
	DqCellText(out, NULL, DqSpiText(i, 6));
	DqCellCount(out, DqSpiFloat8(i, 8));
	appendStringInfoString(out, "<td>");
}

/* One metric's series, its anomalies marked. */
static void
DqMonitorSeries(StringInfo out, uint64 i)
{
	char	   *metric = DqSpiText(i, 9);
	double	   *ts;
	double	   *val;
	char	  **notes;
	bool	   *marks;
	int			n;
	int			j;
	StringInfoData title;

	if (metric == NULL || DqSpiIsNull(i, 10))
		return;
	n = DqSpiFloat8Array(i, 10, &ts);
	if (DqSpiFloat8Array(i, 11, &val) != n || DqSpiTextArray(i, 12, &notes) != n)
		return;
	marks = palloc(sizeof(bool) * Max(n, 1));
	for (j = 0; j < n; j++)
		marks[j] = notes[j] != NULL;
	initStringInfo(&title);
	appendStringInfo(&title, "%s over time, one point per bucket or poll; anomalies marked", metric);
	appendStringInfoString(out, "<div class=\"series\"><span class=\"metric\">");
	DqHtmlText(out, metric);
	appendStringInfoString(out, "</span> ");
	DqSvgSeries(out, "monitor", ts, val, n, marks, notes, title.data);
	appendStringInfoString(out, "</div>");
}

/* A table's monitors, their series, and its open anomalies. */
void
DqReportTableMonitors(DqReport *rep, DqReportTable *t)
{
	StringInfo	out = rep->out;
	char	   *prev = NULL;
	uint64		i;

	DqReportExecSince(rep, dq_report_monitors_sql, t->relid);
	if (SPI_processed == 0)
	{
		appendStringInfoString(out, "<p class=\"empty\">No monitor (or none you may read): "
							   "see SELECT dq.monitor(");
		DqHtmlText(out, quote_literal_cstr(t->label));
		appendStringInfoString(out, ", 'freshness').</p>");
		SPI_freetuptable(SPI_tuptable);
		return;
	}
	DqGridHead(out, "monitors", false,
			   "monitor|column|status|last run|+open anomalies|series");
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *id = DqSpiText(i, 1);

		if (prev == NULL || strcmp(prev, id) != 0)
		{
			if (prev != NULL)
				appendStringInfoString(out, "</td></tr>");
			DqMonitorRowStart(out, i);
			prev = id;
		}
		DqMonitorSeries(out, i);
	}
	appendStringInfoString(out, "</td></tr></tbody></table>");
	SPI_freetuptable(SPI_tuptable);
	appendStringInfoString(out, "<h4>Open anomalies</h4>");
	DqMonList(rep, &DqAnomalyList, t->relid, DQ_REPORT_TABLE_ANOMALIES);
}
