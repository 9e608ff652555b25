/*-------------------------------------------------------------------------
 *
 * report_table.c
 *	  The sections of one table in dq.report_html(): its profile with
 *	  charts, its expectations and their results over time, its
 *	  violations, and its lineage graph.  Each reads dq's views with the
 *	  caller's rights (see report_html.c) and writes its markup through
 *	  html.c and svg_chart.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/formatting.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "base/spi_util.h"
#include "report/html.h"
#include "report/report_page.h"
#include "report/report.h"
#include "report/svg_chart.h"

/*
 * A section with nothing to show: before, the table's name as an SQL
 * literal, after (the call that would fill the section).
 */
static void
DqEmptySection(StringInfo out, const char *before, DqReportTable *t, const char *after)
{
	appendStringInfoString(out, "<p class=\"empty\">");
	DqHtmlText(out, before);
	DqHtmlText(out, quote_literal_cstr(t->label));
	DqHtmlText(out, after);
	appendStringInfoString(out, "</p>");
}

/* The latest profile of a table with its charts; $1 relation, $2 since. */
static const char *dq_report_profile_sql =
"WITH trend AS ("
"  SELECT h.attnum,"
"         array_agg(date_part('epoch', h.time) ORDER BY h.run_id) AS t,"
"         array_agg(h.null_fraction ORDER BY h.run_id) AS nulls,"
"         array_agg(h.distinct_count::float8 ORDER BY h.run_id) AS distincts"
"    FROM (SELECT x.*, row_number() OVER (PARTITION BY x.attnum ORDER BY x.run_id DESC) AS rn"
"            FROM dq.profile_history x WHERE x.relid = $1 AND x.time >= $2) h"
"   WHERE h.rn <= " DQ_XSTR(DQ_REPORT_TREND_POINTS)
"   GROUP BY h.attnum"
")"
"SELECT p.column_name::text, p.data_type, p.type_family, p.row_count::float8,"
"       p.null_count::float8, p.null_fraction, p.distinct_count::float8,"
"       p.min_value, p.max_value, p.median, p.mean,"
"       (SELECT array_agg(x.v ->> 'value' ORDER BY x.o) FROM jsonb_array_elements("
"          CASE WHEN jsonb_typeof(p.top_values) = 'array' THEN p.top_values END)"
"          WITH ORDINALITY x(v, o) WHERE x.o <= " DQ_XSTR(DQ_REPORT_TOP_VALUES) "),"
"       (SELECT array_agg(dq.metric_number(x.v ->> 'count', 'numeric') ORDER BY x.o)"
"          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.top_values) = 'array' THEN p.top_values END)"
"          WITH ORDINALITY x(v, o) WHERE x.o <= " DQ_XSTR(DQ_REPORT_TOP_VALUES) "),"
"       (SELECT array_agg(dq.metric_number(x.v ->> 'lo', p.type_family) ORDER BY x.o)"
"          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.histogram) = 'array' THEN p.histogram END)"
"          WITH ORDINALITY x(v, o)),"
"       (SELECT array_agg(dq.metric_number(x.v ->> 'hi', p.type_family) ORDER BY x.o)"
"          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.histogram) = 'array' THEN p.histogram END)"
"          WITH ORDINALITY x(v, o)),"
"       (SELECT array_agg(dq.metric_number(x.v ->> 'count', 'numeric') ORDER BY x.o)"
"          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.histogram) = 'array' THEN p.histogram END)"
"          WITH ORDINALITY x(v, o)),"
"       t.t, t.nulls, t.distincts, to_char(p.profiled_at, 'YYYY-MM-DD HH24:MI')"
"  FROM dq.latest_profile p"
"  LEFT JOIN trend t ON t.attnum = p.attnum"
" WHERE p.relid = $1"
" ORDER BY p.attnum";

void
DqReportTableProfile(DqReport *rep, DqReportTable *t)
{
	StringInfo	out = rep->out;
	int			i;

	DqReportExecSince(rep, dq_report_profile_sql, t->relid);
	if (SPI_processed == 0)
	{
		DqEmptySection(out, "Not profiled (or no column you may read): run SELECT dq.profile(",
					   t, ").");
		SPI_freetuptable(SPI_tuptable);
		return;
	}
	appendStringInfoString(out, "<p class=\"muted\">Latest profile ");
	DqHtmlText(out, DqSpiText(0, 20));
	appendStringInfoString(out, ", ");
	DqHtmlCount(out, (int64) DqSpiFloat8(0, 4));
	appendStringInfoString(out, " rows.</p>");
	DqGridHead(out, "profile", false,
			   "column|type|+nulls|nulls over time|+distinct|distinct over time|"
			   "min|median|max|distribution");
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *family = DqSpiText(i, 3);
		double		rows = DqSpiFloat8(i, 4);
		double		nullfrac = DqSpiFloat8(i, 6);
		double	   *lo,
				   *hi,
				   *cnt,
				   *ts,
				   *nulls,
				   *distincts,
				   *topc;
		char	  **topl;
		int			nlo = DqSpiFloat8Array(i, 14, &lo);
		int			nhi = DqSpiFloat8Array(i, 15, &hi);
		int			ncnt = DqSpiFloat8Array(i, 16, &cnt);
		int			nts = DqSpiFloat8Array(i, 17, &ts);
		int			ntop = DqSpiTextArray(i, 12, &topl);
		int			k;
		bool		hist_ok;

		(void) DqSpiFloat8Array(i, 18, &nulls);
		(void) DqSpiFloat8Array(i, 19, &distincts);
		(void) DqSpiFloat8Array(i, 13, &topc);

		appendStringInfoString(out, "<tr>");
		DqCellText(out, NULL, DqSpiText(i, 1));
		DqCellText(out, "muted", DqSpiText(i, 2));
		appendStringInfoString(out, "<td class=\"num\">");
		if (isnan(nullfrac))
			appendStringInfoString(out, "\xE2\x80\x93");
		else
			DqHtmlPercent(out, nullfrac);
		appendStringInfoString(out, "</td><td>");
		if (nts >= 2)
			DqSvgSparkline(out, "nulls", ts, nulls, nts, 0.0, get_float8_nan(),
						   "share of NULLs, one point per profile");
		appendStringInfoString(out, "</td>");
		DqCellCount(out, DqSpiFloat8(i, 7));
		appendStringInfoString(out, "<td>");
		if (nts >= 2)
			DqSvgSparkline(out, "distinct", ts, distincts, nts, get_float8_nan(),
						   get_float8_nan(), "distinct values, one point per profile");
		appendStringInfoString(out, "</td>");
		DqCellText(out, "value", DqSpiText(i, 8));
		DqCellText(out, "value", DqSpiText(i, 10));
		DqCellText(out, "value", DqSpiText(i, 9));
		appendStringInfoString(out, "<td>");

		/* the histogram for numbers and times, else the frequent values */
		hist_ok = nlo > 0 && nlo == nhi && nlo == ncnt;
		for (k = 0; hist_ok && k < nlo; k++)
			if (isnan(lo[k]) || isnan(hi[k]) || isnan(cnt[k]))
				hist_ok = false;
		if (hist_ok)
		{
			StringInfoData title;

			initStringInfo(&title);
			appendStringInfo(&title, "distribution of %s (%d buckets of equal count, from the quantile sketch)",
							 family ? family : "values", nlo);
			DqSvgHistogram(out, lo, hi, cnt, nlo, title.data);
		}
		else if (ntop > 0)
		{
			for (k = 0; k < ntop; k++)
				if (topl[k] == NULL)
					topl[k] = "NULL";
			DqSvgTopValues(out, topl, topc, ntop, rows);
		}
		appendStringInfoString(out, "</td></tr>");
	}
	appendStringInfoString(out, "</tbody></table>");
	SPI_freetuptable(SPI_tuptable);
}

/* Expectations of a table and their results in its latest runs; $1, $2. */
static const char *dq_report_expectations_sql =
"WITH runs AS ("
"  SELECT r.run_id, r.finished_at FROM dq.validation_runs r"
"   WHERE r.relid = $1 AND r.finished_at >= $2"
"   ORDER BY r.run_id DESC LIMIT " DQ_XSTR(DQ_REPORT_RUNS)
")"
"SELECT e.expectation_id::text, e.name, e.kind, coalesce(a.attname, e.column_name)::text,"
"       e.params::text, e.mostly, e.severity, e.enabled, e.status,"
"       (SELECT array_agg(CASE WHEN v.success THEN 'pass' WHEN NOT v.success THEN 'fail' ELSE 'none' END"
"                         ORDER BY r.run_id)"
"          FROM runs r LEFT JOIN dq.validation_results v"
"            ON v.run_id = r.run_id AND v.expectation_id = e.expectation_id),"
"       (SELECT array_agg(to_char(r.finished_at, 'YYYY-MM-DD HH24:MI') || ': ' ||"
"                         CASE WHEN v.success THEN 'passed' WHEN NOT v.success THEN 'failed'"
"                              ELSE 'not evaluated' END ||"
"                         coalesce(', ' || v.unexpected_count || ' failing rows', '')"
"                         ORDER BY r.run_id)"
"          FROM runs r LEFT JOIN dq.validation_results v"
"            ON v.run_id = r.run_id AND v.expectation_id = e.expectation_id),"
"       l.success, l.unexpected_percent, l.unexpected_count::float8"
"  FROM dq.expectations e"
"  LEFT JOIN pg_attribute a ON a.attrelid = e.relid AND a.attnum = e.attnum AND NOT a.attisdropped"
"  LEFT JOIN LATERAL (SELECT v.success, v.unexpected_percent, v.unexpected_count"
"                       FROM runs r JOIN dq.validation_results v"
"                         ON v.run_id = r.run_id AND v.expectation_id = e.expectation_id"
"                      ORDER BY r.run_id DESC LIMIT 1) l ON true"
" WHERE e.relid = $1"
" ORDER BY e.expectation_id";

/* Pass rate of a table's validation runs over time; $1, $2. */
static const char *dq_report_passrate_sql =
"SELECT array_agg(date_part('epoch', h.time) ORDER BY h.run_id),"
"       array_agg(h.success_percent ORDER BY h.run_id)"
"  FROM (SELECT * FROM dq.validation_history x WHERE x.relid = $1 AND x.time >= $2"
"         ORDER BY x.run_id DESC LIMIT " DQ_XSTR(DQ_REPORT_TREND_POINTS) ") h";

void
DqReportTableExpectations(DqReport *rep, DqReportTable *t)
{
	StringInfo	out = rep->out;
	int			i;

	DqReportExecSince(rep, dq_report_passrate_sql, t->relid);
	if (SPI_processed == 1 && !DqSpiIsNull(0, 1))
	{
		double	   *ts,
				   *pct;
		int			n = DqSpiFloat8Array(0, 1, &ts);

		(void) DqSpiFloat8Array(0, 2, &pct);
		if (n >= 2)
		{
			appendStringInfoString(out, "<p>Pass rate of the last validations ");
			DqSvgSparkline(out, "passrate", ts, pct, n, 0.0, 100.0,
						   "share of expectations that passed, one point per validation (0 to 100%)");
			appendStringInfoString(out, "</p>");
		}
	}
	SPI_freetuptable(SPI_tuptable);

	DqReportExecSince(rep, dq_report_expectations_sql, t->relid);
	if (SPI_processed == 0)
	{
		DqEmptySection(out, "No expectation (or none you may read): "
					   "see SELECT * FROM dq.suggest_expectations(", t, ").");
		SPI_freetuptable(SPI_tuptable);
		return;
	}
	DqGridHead(out, "expectations", false,
			   "#|expectation|column|parameters|severity|latest|+failing %|"
			   "results over time (oldest first)");
	for (i = 0; i < SPI_processed; i++)
	{
		char	  **outcomes;
		char	  **titles;
		int			n = DqSpiTextArray(i, 10, &outcomes);
		double		pct = DqSpiFloat8(i, 13);
		char	   *name = DqSpiText(i, 2);
		char	   *params = DqSpiText(i, 5);
		double		mostly = DqSpiFloat8(i, 6);
		bool		enabled = DqSpiBool(i, 8);

		(void) DqSpiTextArray(i, 11, &titles);
		appendStringInfoString(out, "<tr>");
		DqCellText(out, "num", DqSpiText(i, 1));
		appendStringInfoString(out, "<td>");
		DqHtmlClip(out, DqSpiText(i, 3), DQ_HTML_CLIP);
		DqMutedName(out, "<br/>", name);
		if (!enabled)
		{
			appendStringInfoString(out, "<br/><span class=\"muted\">disabled: ");
			DqHtmlClip(out, DqSpiText(i, 9), DQ_HTML_CLIP);
			appendStringInfoString(out, "</span>");
		}
		appendStringInfoString(out, "</td>");
		DqCellText(out, NULL, DqSpiText(i, 4));
		appendStringInfoString(out, "<td class=\"value\">");
		DqHtmlClip(out, params, DQ_HTML_CLIP);
		if (!isnan(mostly))
			appendStringInfo(out, " mostly %g", mostly);
		appendStringInfoString(out, "</td>");
		DqCellBadge(out, DqSpiText(i, 7));
		if (DqSpiIsNull(i, 12))
			appendStringInfoString(out, "<td><span class=\"muted\">not validated</span></td>");
		else
			DqCellBadge(out, DqSpiBool(i, 12) ? "passing" : "failing");
		DqCellPercent(out, pct);
		appendStringInfoString(out, "<td>");
		if (n > 0)
		{
			int		   *oc = palloc(sizeof(int) * n);
			int			k;

			for (k = 0; k < n; k++)
				oc[k] = strcmp(outcomes[k], "pass") == 0 ? 1 :
					(strcmp(outcomes[k], "fail") == 0 ? 0 : -1);
			DqSvgRunStrip(out, oc, titles, n);
		}
		appendStringInfoString(out, "</td></tr>");
	}
	appendStringInfoString(out, "</tbody></table>");
	SPI_freetuptable(SPI_tuptable);
}

/* Violations of a table per hour over the last 48 hours; $1. */
static const char *dq_report_hourly_sql =
"SELECT array_agg(coalesce(c.n, 0)::float8 ORDER BY h.hour),"
"       array_agg(to_char(h.hour, 'YYYY-MM-DD HH24:00') || ': ' || coalesce(c.n, 0) || ' violations'"
"                 ORDER BY h.hour),"
"       sum(c.n)::float8"
"  FROM generate_series(date_trunc('hour', now()) - interval '47 hours',"
"                       date_trunc('hour', now()), interval '1 hour') h(hour)"
"  LEFT JOIN (SELECT date_trunc('hour', v.commit_time) AS hour, count(*) AS n"
"               FROM dq.violations v"
"              WHERE v.relid = $1 AND v.commit_time >= now() - interval '48 hours'"
"              GROUP BY 1) c ON c.hour = h.hour";

void
DqReportTableViolations(DqReport *rep, DqReportTable *t)
{
	StringInfo	out = rep->out;
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(t->relid)};

	if (!t->watched && (isnan(t->violations_24h) || t->violations_24h == 0) &&
		t->last_violation_at == NULL)
	{
		DqEmptySection(out, "Changes are not validated: SELECT dq.watch(", t,
					   ") validates every committed change.");
		return;
	}
	DqReportExec(dq_report_hourly_sql, 1, types, values, NULL);
	if (SPI_processed == 1 && !DqSpiIsNull(0, 3))
	{
		double	   *counts;
		char	  **titles;
		int			n = DqSpiFloat8Array(0, 1, &counts);

		(void) DqSpiTextArray(0, 2, &titles);
		appendStringInfoString(out, "<p>Violations per hour, last 48 hours ");
		DqSvgBars(out, "violations", counts, titles, n, "violations per hour, last 48 hours");
		appendStringInfoString(out, "</p>");
	}
	SPI_freetuptable(SPI_tuptable);
	DqReportViolationTable(rep, t->relid, false);
}

void
DqReportTableLineage(DqReport *rep, DqReportTable *t)
{
	StringInfo	out = rep->out;
	int			start = out->len;
	int			drawn;

	appendStringInfoString(out, "<div class=\"lineage\">");
	drawn = DqLineageDraw(out, rep->lineage, t->relid, t->label, DQ_REPORT_LINEAGE_DEPTH,
						  DQ_REPORT_LINEAGE_RELATIONS,
						  OidIsValid(rep->only_relid) ? NULL : "#t-");
	appendStringInfoString(out, "</div>");
	if (drawn <= 1 && isnan(t->upstream) == false && t->upstream == 0 && t->downstream == 0)
	{
		/* nothing but the table itself: say so instead */
		out->len = start;
		out->data[start] = '\0';
		appendStringInfoString(out, "<p class=\"empty\">No lineage recorded: no view, "
							   "CREATE TABLE AS or INSERT ... SELECT reads or writes it.</p>");
	}
}

/* ---- the page ---- */
