/*-------------------------------------------------------------------------
 *
 * report_html.c
 *	  dq.report_html(rel, since): one self-contained HTML document with the
 *	  state of the data quality of the database, or of one table.
 *
 * The document has no external reference at all: the style sheet, the
 * charts (SVG) and a few lines of script (the search box) are inline, and
 * a Content-Security-Policy forbids every network request and every
 * script but that one, by its hash; so it works saved to a file, mailed or
 * opened offline, and markup that slipped into a value could not run even
 * if escaping failed -- which it should not: every value goes through
 * html.c.  The markup is also well-formed XML.
 *
 * Layout: an overview (summary figures, the scorecard, which is also the
 * searchable index of tables, open failures, recent violations), then one
 * collapsible section per table (its profile with charts, expectations and
 * their results over time, violations, its lineage graph).  With 500
 * tables the sections start collapsed and the search box filters the
 * index and the sections; dq.report_html(rel) gives the page of one table.
 *
 * Sections are entries of two tables below (dq_overview_sections and
 * dq_table_sections); the overview's are in this file, those of one table
 * in report_table.c.  A subsystem that records more per table (monitors
 * and anomalies, alerts) adds its section there, with the data read from
 * its views.
 *
 * Rights: the report reads dq's views with the caller's rights, like a
 * query the caller would type, so row-level security shows only the
 * tables, columns and results the caller may read.  It runs SQL that the
 * extension wrote, under the search_path its SQL definition pins
 * (pg_catalog, pg_temp), and switches to no other role.
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

PG_FUNCTION_INFO_V1(dq_report_html);

typedef void (*DqOverviewSectionFn) (DqReport *rep);
typedef void (*DqTableSectionFn) (DqReport *rep, DqReportTable *t);

static void DqReportSummary(DqReport *rep);
static void DqReportScorecard(DqReport *rep);
static void DqReportOpenFailures(DqReport *rep);
static void DqReportRecentViolations(DqReport *rep);

/*
 * A section of the page: its anchor id, its title, and the function that
 * writes it (overview, for a section of the overview; table, for one of
 * each table).
 */
typedef struct DqSectionDef
{
	const char *id;
	const char *title;
	DqOverviewSectionFn overview;
	DqTableSectionFn table;
} DqSectionDef;

/* The overview, in order (not shown on the page of one table). */
static const DqSectionDef dq_overview_sections[] =
{
	{"summary", "Summary", DqReportSummary},
	{"scorecard", "Tables", DqReportScorecard},
	{"open-failures", "Open failures", DqReportOpenFailures},
	{"recent-violations", "Recent violations", DqReportRecentViolations},
	{"open-alerts", "Open alerts", DqReportOpenAlerts},
	{"open-anomalies", "Open anomalies", DqReportOpenAnomalies},
};

/* The sections of each table, in order. */
static const DqSectionDef dq_table_sections[] =
{
	{"profile", "Profile", NULL, DqReportTableProfile},
	{"expectations", "Expectations", NULL, DqReportTableExpectations},
	{"violations", "Violations", NULL, DqReportTableViolations},
	{"monitors", "Monitors", NULL, DqReportTableMonitors},
	{"alerts", "Open alerts", NULL, DqReportTableAlerts},
	{"lineage", "Lineage", NULL, DqReportTableLineage},
};

/*
 * The script of the page: the search box filters the index and the table
 * sections, and a link to a collapsed section opens it.  Written without
 * "<" and "&" so that the page stays well-formed XML.
 */
static const char *dq_report_script =
"(function () {\n"
"  var q = document.getElementById('q');\n"
"  var failing = document.getElementById('failing');\n"
"  var count = document.getElementById('shown');\n"
"  function apply() {\n"
"    var s = q ? q.value.trim().toLowerCase() : '';\n"
"    var f = failing ? failing.checked : false;\n"
"    var items = document.querySelectorAll('[data-name]');\n"
"    var n = 0;\n"
"    for (var i = 0; i !== items.length; i++) {\n"
"      var el = items[i];\n"
"      var hit = el.getAttribute('data-name').indexOf(s) !== -1;\n"
"      if (f) { hit = hit ? el.getAttribute('data-status') === 'failing' || el.getAttribute('data-status') === 'violations' : false; }\n"
"      el.hidden = !hit;\n"
"      if (hit) { if (el.tagName === 'TR') { n++; } }\n"
"    }\n"
"    if (count) { count.textContent = String(n); }\n"
"  }\n"
"  function openTarget() {\n"
"    var id = decodeURIComponent(location.hash.slice(1));\n"
"    var el = id ? document.getElementById(id) : null;\n"
"    while (el) { if (el.tagName === 'DETAILS') { el.open = true; } el = el.parentElement; }\n"
"  }\n"
"  if (q) { q.addEventListener('input', apply); }\n"
"  if (failing) { failing.addEventListener('change', apply); }\n"
"  window.addEventListener('hashchange', openTarget);\n"
"  openTarget();\n"
"  apply();\n"
"})();\n";

static const char *dq_report_style =
":root{--fg:#1b2a38;--muted:#5d6d7e;--line:#d5dde5;--bg:#f5f7fa;--pass:#2e8540;"
"--fail:#c0392b;--warn:#b7791f;--accent:#1f4e79}"
"*{box-sizing:border-box}"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
"color:var(--fg);background:var(--bg)}"
"header.page{background:var(--accent);color:#fff;padding:14px 24px}"
"header.page h1{margin:0;font-size:20px}header.page p{margin:2px 0 0;opacity:.85;font-size:13px}"
"main{padding:12px 24px 40px;max-width:1400px}"
"section.overview,details.table{background:#fff;border:1px solid var(--line);border-radius:6px;"
"margin:14px 0;padding:10px 16px}"
"h2{font-size:17px;margin:6px 0 10px}h3{font-size:15px;margin:14px 0 6px;color:var(--accent)}"
"summary{cursor:pointer;list-style:none}summary::-webkit-details-marker{display:none}"
"summary h2{display:inline;margin:0}summary .facts{color:var(--muted);margin-left:10px;font-size:13px}"
"details.table[open] summary{border-bottom:1px solid var(--line);padding-bottom:8px;margin-bottom:6px}"
"table.grid{border-collapse:collapse;width:100%;font-size:13px}"
"table.grid th,table.grid td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;"
"vertical-align:middle}"
"table.grid th{background:#eef2f6;font-weight:600;position:sticky;top:0}"
"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
"td.value{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;max-width:260px;"
"overflow-wrap:anywhere}"
".badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;color:#fff;"
"background:var(--muted)}"
".badge.failing{background:var(--fail)}.badge.violations{background:var(--warn)}"
".badge.passing{background:var(--pass)}.badge.profiled{background:#2471a3}"
".badge.error{background:var(--fail)}.badge.warn{background:var(--warn)}"
".cards{display:flex;flex-wrap:wrap;gap:10px}"
".card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:130px}"
".card .n{font-size:22px;font-weight:600}.card .l{color:var(--muted);font-size:12px}"
".card.bad .n{color:var(--fail)}"
".search{display:flex;gap:14px;align-items:center;margin:4px 0 10px}"
".search input[type=search]{font:inherit;padding:5px 9px;width:340px;border:1px solid var(--line);"
"border-radius:4px}"
".muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}"
"svg.chart{vertical-align:middle;overflow:visible}"
"svg.chart .line{fill:none;stroke:var(--accent);stroke-width:1.4}"
"svg.chart .last{fill:var(--accent)}svg.chart .axis{stroke:#b8c4cf}"
"svg.chart .bar{fill:#5b8db8}svg.violations .bar{fill:var(--warn)}"
"svg.chart text{font-size:10px;fill:var(--fg)}svg.chart text.label{text-anchor:end}"
"svg.runs .pass{fill:var(--pass)}svg.runs .fail{fill:var(--fail)}svg.runs .none{fill:#d5dde5}"
"svg.nulls .line{stroke:#8e44ad}svg.nulls .last{fill:#8e44ad}"
"svg.monitor .anomaly{fill:var(--fail);stroke:#fff;stroke-width:.8}"
"div.series{display:inline-block;margin:0 12px 4px 0}div.series .metric{font-size:12px}"
"td.disabled{color:var(--muted)}"
".badge.anomalous{background:var(--warn)}.badge.monitored{background:#2471a3}"
".badge.critical{background:var(--fail)}"
"div.lineage{overflow-x:auto;border:1px solid var(--line);border-radius:4px;background:#fcfdfe}"
"svg.lineage a text{text-decoration:underline}"
"a{color:var(--accent)}"
"[hidden]{display:none!important}"
"@media print{details.table{break-inside:avoid}}";

/* A dash for a missing value. */
#define DQ_MUTED_DASH "<span class=\"muted\">\xE2\x80\x93</span>"

/* ---- SPI helpers ---- */

void
DqReportExec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	(void) DqSpiRunArgs(sql, nargs, types, values, nulls, true, SPI_OK_SELECT,
						"read the data of the report");
}

/*
 * After a query of the report that lists rows: true when it found some;
 * when it found none, the paragraph "empty" instead, the result freed.
 */
static bool
DqReportHasRows(StringInfo out, const char *empty)
{
	if (SPI_processed > 0)
		return true;
	appendStringInfoString(out, "<p class=\"empty\">");
	DqHtmlText(out, empty);
	appendStringInfoString(out, "</p>");
	SPI_freetuptable(SPI_tuptable);
	return false;
}

/* Run a query of the report that lists rows, then DqReportHasRows. */
bool
DqReportExecList(StringInfo out, const char *sql, int nargs, Oid *types,
				 Datum *values, const char *nulls, const char *empty)
{
	DqReportExec(sql, nargs, types, values, nulls);
	return DqReportHasRows(out, empty);
}

/*
 * Run a query of the report about relation relid ($1; NULL for every
 * relation when InvalidOid) since the start of the history shown ($2).
 */
void
DqReportExecSince(DqReport *rep, const char *sql, Oid relid)
{
	Oid			types[2] = {OIDOID, TIMESTAMPTZOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), TimestampTzGetDatum(rep->since)};
	char		nulls[2] = {OidIsValid(relid) ? ' ' : 'n', ' '};

	DqReportExec(sql, 2, types, values, nulls);
}

/* An expectation's name (when it has one) after its kind, muted. */
void
DqMutedName(StringInfo out, const char *before, const char *name)
{
	if (name == NULL)
		return;
	appendStringInfo(out, "%s<span class=\"muted\">", before);
	DqHtmlClip(out, name, DQ_HTML_CLIP);
	appendStringInfoString(out, "</span>");
}

/* ---- formatting helpers ---- */

/*
 * A numeric cell: v as a count, or as a percentage when percent (v from
 * 0 to 100); dash when v is NaN.
 */
static void
DqCellNumeric(StringInfo out, double v, bool percent, const char *dash)
{
	appendStringInfoString(out, "<td class=\"num\">");
	if (isnan(v))
		appendStringInfoString(out, dash);
	else if (percent)
		DqHtmlPercent(out, v / 100.0);
	else
		DqHtmlCount(out, (int64) v);
	appendStringInfoString(out, "</td>");
}

/*
 * Open a grid table of class cls with its header row: a table column when
 * with_table, then the columns named in heads, separated by '|'; a name
 * starting with '+' is a number column (right-aligned; the '+' is not
 * shown).
 */
void
DqGridHead(StringInfo out, const char *cls, bool with_table, const char *heads)
{
	const char *h = heads;

	appendStringInfo(out, "<table class=\"grid %s\"><thead><tr>", cls);
	if (with_table)
		appendStringInfoString(out, "<th>table</th>");
	while (*h != '\0')
	{
		size_t		len = strcspn(h, "|");
		bool		num = (*h == '+');

		appendStringInfoString(out, num ? "<th class=\"num\">" : "<th>");
		appendBinaryStringInfo(out, h + num, (int) (len - num));
		appendStringInfoString(out, "</th>");
		h += len;
		if (*h == '|')
			h++;
	}
	appendStringInfoString(out, "</tr></thead><tbody>");
}

void
DqCellCount(StringInfo out, double v)
{
	DqCellNumeric(out, v, false, DQ_MUTED_DASH);
}

void
DqCellText(StringInfo out, const char *cls, const char *s)
{
	if (cls)
		appendStringInfo(out, "<td class=\"%s\">", cls);
	else
		appendStringInfoString(out, "<td>");
	if (s)
		DqHtmlClip(out, s, DQ_HTML_CLIP);
	else
		appendStringInfoString(out, DQ_MUTED_DASH);
	appendStringInfoString(out, "</td>");
}

/* A duration in seconds, roughly: 45 s, 12 min, 3 h, 5 d. */
static void
DqHtmlAge(StringInfo out, double seconds)
{
	if (isnan(seconds))
		appendStringInfoString(out, "\xE2\x80\x93");
	else if (seconds < 0)
		appendStringInfoString(out, "in the future");
	else if (seconds < 120)
		appendStringInfo(out, "%.0f s", seconds);
	else if (seconds < 7200)
		appendStringInfo(out, "%.0f min", seconds / 60);
	else if (seconds < 172800)
		appendStringInfo(out, "%.0f h", seconds / 3600);
	else
		appendStringInfo(out, "%.0f d", seconds / 86400);
}

/* A cell with a time and how long ago it was; a dash without one. */
static void
DqCellWhen(StringInfo out, const char *at, double age_seconds)
{
	appendStringInfoString(out, "<td>");
	if (at)
	{
		DqHtmlText(out, at);
		appendStringInfoString(out, " <span class=\"muted\">(");
		DqHtmlAge(out, age_seconds);
		appendStringInfoString(out, " ago)</span>");
	}
	else
		appendStringInfoString(out, DQ_MUTED_DASH);
	appendStringInfoString(out, "</td>");
}

/* The anchor id of a table's section. */
static void
DqTableAnchor(StringInfo out, Oid relid)
{
	appendStringInfo(out, "t-%u", relid);
}

static void
DqTableLink(DqReport *rep, DqReportTable *t)
{
	if (!OidIsValid(rep->only_relid))
	{
		appendStringInfoString(rep->out, "<a href=\"#");
		DqTableAnchor(rep->out, t->relid);
		appendStringInfoString(rep->out, "\">");
	}
	DqHtmlClip(rep->out, t->label, DQ_HTML_CLIP);
	if (!OidIsValid(rep->only_relid))
		appendStringInfoString(rep->out, "</a>");
}

void
DqStatusBadge(StringInfo out, const char *status)
{
	appendStringInfoString(out, "<span class=\"badge ");
	DqHtmlText(out, status);
	appendStringInfoString(out, "\">");
	DqHtmlText(out, status);
	appendStringInfoString(out, "</span>");
}

/* A cell holding a status badge. */
void
DqCellBadge(StringInfo out, const char *status)
{
	appendStringInfoString(out, "<td>");
	DqStatusBadge(out, status);
	appendStringInfoString(out, "</td>");
}

/* A cell holding a percentage (0 to 100), a dash when it is NaN. */
void
DqCellPercent(StringInfo out, double pct)
{
	DqCellNumeric(out, pct, true, "\xE2\x80\x93");
}

static DqReportTable *
DqFindTable(DqReport *rep, Oid relid)
{
	int			i;

	for (i = 0; i < rep->ntables; i++)
		if (rep->tables[i].relid == relid)
			return &rep->tables[i];
	return NULL;
}

/* ---- loading ---- */

static const char *dq_report_tables_sql =
"SELECT s.relid, s.schema_name::text, s.table_name::text,"
"       quote_ident(s.schema_name) || '.' || quote_ident(s.table_name),"
"       s.kind, s.status, s.row_count::float8, s.columns_profiled::float8,"
"       to_char(s.last_profiled_at, 'YYYY-MM-DD HH24:MI'), s.expectations::float8,"
"       to_char(s.last_validated_at, 'YYYY-MM-DD HH24:MI'), s.evaluated::float8,"
"       s.open_failures::float8, s.last_success_percent, s.watched, s.violations_24h::float8,"
"       to_char(s.last_violation_at, 'YYYY-MM-DD HH24:MI'),"
"       to_char(s.data_latest_at, 'YYYY-MM-DD HH24:MI'), s.data_age_seconds,"
"       s.upstream_relations::float8, s.downstream_relations::float8,"
"       s.monitors::float8, to_char(s.changed_at, 'YYYY-MM-DD HH24:MI'), s.change_age_seconds,"
"       s.open_anomalies::float8, s.open_alerts::float8"
"  FROM dq.table_scorecard s"
" WHERE $1 IS NULL OR s.relid = $1"
" ORDER BY s.schema_name, s.table_name, s.relid";

static const char *dq_report_relation_sql =
"SELECT c.oid, n.nspname::text, c.relname::text,"
"       quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
"  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1";

static void
DqReportLoadTables(DqReport *rep)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(rep->only_relid)};
	char		nulls[1] = {OidIsValid(rep->only_relid) ? ' ' : 'n'};
	int			i;

	DqReportExec(dq_report_tables_sql, 1, types, values, nulls);
	rep->ntables = SPI_processed;
	rep->tables = palloc0(sizeof(DqReportTable) * Max(rep->ntables, 1));
	for (i = 0; i < rep->ntables; i++)
	{
		DqReportTable *t = &rep->tables[i];
		bool		isnull;

		t->relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 1, &isnull));
		t->schema_name = DqSpiText(i, 2);
		t->table_name = DqSpiText(i, 3);
		t->label = DqSpiText(i, 4);
		t->kind = DqSpiText(i, 5);
		t->status = DqSpiText(i, 6);
		t->row_count = DqSpiFloat8(i, 7);
		t->columns_profiled = DqSpiFloat8(i, 8);
		t->last_profiled_at = DqSpiText(i, 9);
		t->expectations = DqSpiFloat8(i, 10);
		t->last_validated_at = DqSpiText(i, 11);
		t->evaluated = DqSpiFloat8(i, 12);
		t->open_failures = DqSpiFloat8(i, 13);
		t->last_success_percent = DqSpiFloat8(i, 14);
		t->watched = DqSpiBool(i, 15);
		t->violations_24h = DqSpiFloat8(i, 16);
		t->last_violation_at = DqSpiText(i, 17);
		t->data_latest_at = DqSpiText(i, 18);
		t->data_age_seconds = DqSpiFloat8(i, 19);
		t->upstream = DqSpiFloat8(i, 20);
		t->downstream = DqSpiFloat8(i, 21);
		t->monitors = DqSpiFloat8(i, 22);
		t->changed_at = DqSpiText(i, 23);
		t->change_age_seconds = DqSpiFloat8(i, 24);
		t->open_anomalies = DqSpiFloat8(i, 25);
		t->open_alerts = DqSpiFloat8(i, 26);
	}
	SPI_freetuptable(SPI_tuptable);

	/* the page of a relation that dq_lineage knows nothing of yet */
	if (OidIsValid(rep->only_relid) && rep->ntables == 0)
	{
		DqReportTable *t;

		DqReportExec(dq_report_relation_sql, 1, types, values, nulls);
		if (SPI_processed == 1)
		{
			rep->ntables = 1;
			t = &rep->tables[0];
			t->relid = rep->only_relid;
			t->schema_name = DqSpiText(0, 2);
			t->table_name = DqSpiText(0, 3);
			t->label = DqSpiText(0, 4);
			t->kind = "relation";
			t->status = "unchecked";
			t->row_count = t->columns_profiled = t->expectations = get_float8_nan();
			t->evaluated = t->open_failures = t->last_success_percent = get_float8_nan();
			t->violations_24h = t->data_age_seconds = get_float8_nan();
			t->upstream = t->downstream = 0;
			t->monitors = t->open_anomalies = t->open_alerts = 0;
			t->change_age_seconds = get_float8_nan();
		}
		SPI_freetuptable(SPI_tuptable);
	}
}

/* ---- the overview ---- */

static void
DqCard(StringInfo out, const char *label, double n, bool bad)
{
	appendStringInfo(out, "<div class=\"card%s\"><div class=\"n\">", bad && n > 0 ? " bad" : "");
	DqHtmlCount(out, (int64) n);
	appendStringInfoString(out, "</div><div class=\"l\">");
	DqHtmlText(out, label);
	appendStringInfoString(out, "</div></div>");
}

static void
DqReportSummary(DqReport *rep)
{
	double		profiled = 0,
				expectations = 0,
				failing = 0,
				violations = 0,
				watched = 0,
				monitors = 0,
				anomalies = 0,
				alerts = 0;
	int			i;

	for (i = 0; i < rep->ntables; i++)
	{
		DqReportTable *t = &rep->tables[i];

		if (t->last_profiled_at)
			profiled++;
		if (!isnan(t->expectations))
			expectations += t->expectations;
		if (!isnan(t->open_failures) && t->open_failures > 0)
			failing++;
		if (!isnan(t->violations_24h))
			violations += t->violations_24h;
		if (t->watched)
			watched++;
		if (!isnan(t->monitors))
			monitors += t->monitors;
		if (!isnan(t->open_anomalies))
			anomalies += t->open_anomalies;
		if (!isnan(t->open_alerts))
			alerts += t->open_alerts;
	}
	appendStringInfoString(rep->out, "<div class=\"cards\">");
	DqCard(rep->out, "tables", rep->ntables, false);
	DqCard(rep->out, "profiled", profiled, false);
	DqCard(rep->out, "expectations", expectations, false);
	DqCard(rep->out, "tables failing", failing, true);
	DqCard(rep->out, "violations, 24 h", violations, true);
	DqCard(rep->out, "watched tables", watched, false);
	DqCard(rep->out, "monitors", monitors, false);
	DqCard(rep->out, "open anomalies", anomalies, true);
	DqCard(rep->out, "open alerts", alerts, true);
	appendStringInfoString(rep->out, "</div>");
}

static void
DqReportScorecard(DqReport *rep)
{
	StringInfo	out = rep->out;
	int			i;

	appendStringInfo(out,
					 "<div class=\"search\"><input type=\"search\" id=\"q\" placeholder=\"Search tables\" "
					 "aria-label=\"Search tables\"/><label><input type=\"checkbox\" id=\"failing\"/> "
					 "failing or with violations only</label><span class=\"muted\"><span id=\"shown\">%d</span> "
					 "of %d shown</span></div>", rep->ntables, rep->ntables);
	if (rep->ntables == 0)
	{
		appendStringInfoString(out, "<p class=\"empty\">No table has been profiled, validated, "
							   "watched or captured in lineage yet (or none you may read).</p>");
		return;
	}
	DqGridHead(out, "scorecard", true,
			   "kind|status|+rows|profiled|+expectations|+pass rate|+open failures|"
			   "+violations 24 h|latest data|last change|+anomalies|+alerts|"
			   "+upstream|+downstream");
	for (i = 0; i < rep->ntables; i++)
	{
		DqReportTable *t = &rep->tables[i];
		char	   *lower = str_tolower(t->label, strlen(t->label), DEFAULT_COLLATION_OID);

		appendStringInfoString(out, "<tr data-name=\"");
		DqHtmlText(out, lower);
		appendStringInfoString(out, "\" data-status=\"");
		DqHtmlText(out, t->status);
		appendStringInfoString(out, "\"><td>");
		DqTableLink(rep, t);
		appendStringInfoString(out, "</td>");
		DqCellText(out, NULL, t->kind);
		DqCellBadge(out, t->status);
		DqCellCount(out, t->row_count);
		DqCellText(out, NULL, t->last_profiled_at);
		DqCellCount(out, t->expectations);
		DqCellNumeric(out, t->last_success_percent, true, DQ_MUTED_DASH);
		DqCellCount(out, t->open_failures);
		DqCellCount(out, t->violations_24h);
		DqCellWhen(out, t->data_latest_at, t->data_age_seconds);
		DqCellWhen(out, t->changed_at, t->change_age_seconds);
		DqCellCount(out, t->open_anomalies);
		DqCellCount(out, t->open_alerts);
		DqCellCount(out, t->upstream);
		DqCellCount(out, t->downstream);
		appendStringInfoString(out, "</tr>");
		pfree(lower);
	}
	appendStringInfoString(out, "</tbody></table>");
}

static const char *dq_report_failures_sql =
"WITH latest AS ("
"  SELECT DISTINCT ON (h.expectation_id) h.*"
"    FROM dq.expectation_history h"
"    JOIN dq.expectations e ON e.expectation_id = h.expectation_id AND e.enabled"
"   ORDER BY h.expectation_id, h.run_id DESC"
")"
"SELECT l.relid, l.expectation_id::text, l.name, l.kind, l.column_name::text, l.severity,"
"       l.unexpected_count::float8, l.unexpected_percent, to_char(l.time, 'YYYY-MM-DD HH24:MI')"
"  FROM latest l"
" WHERE NOT l.success"
" ORDER BY l.severity = 'error' DESC, l.schema_name, l.table_name, l.expectation_id"
" LIMIT " DQ_XSTR(DQ_REPORT_FAILURES);

static void
DqReportOpenFailures(DqReport *rep)
{
	StringInfo	out = rep->out;
	int			i;

	if (!DqReportExecList(out, dq_report_failures_sql, 0, NULL, NULL, NULL,
						  "No expectation fails in its latest validation."))
		return;
	DqGridHead(out, "failures", true,
			   "expectation|column|severity|+failing rows|+failing %|validated");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));
		DqReportTable *t = DqFindTable(rep, relid);
		char	   *name = DqSpiText(i, 3);
		double		pct = DqSpiFloat8(i, 8);

		appendStringInfoString(out, "<tr><td>");
		if (t)
			DqTableLink(rep, t);
		appendStringInfoString(out, "</td><td>#");
		DqHtmlText(out, DqSpiText(i, 2));
		appendStringInfoChar(out, ' ');
		DqHtmlClip(out, DqSpiText(i, 4), DQ_HTML_CLIP);
		DqMutedName(out, " ", name);
		appendStringInfoString(out, "</td>");
		DqCellText(out, NULL, DqSpiText(i, 5));
		DqCellBadge(out, DqSpiText(i, 6));
		DqCellCount(out, DqSpiFloat8(i, 7));
		DqCellPercent(out, pct);
		DqCellText(out, NULL, DqSpiText(i, 9));
		appendStringInfoString(out, "</tr>");
	}
	appendStringInfoString(out, "</tbody></table>");
	SPI_freetuptable(SPI_tuptable);
}

/* Violations, newest first: $1 relation (NULL: all), $2 since. */
static const char *dq_report_violations_sql =
"SELECT v.relid, v.violation_id::text, to_char(v.commit_time, 'YYYY-MM-DD HH24:MI:SS'),"
"       v.operation, v.expectation_id::text, e.kind,"
"       coalesce(a.attname, e.column_name)::text, v.unexpected::text"
"  FROM dq.violations v"
"  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id"
"  LEFT JOIN pg_attribute a ON a.attrelid = e.relid AND a.attnum = e.attnum AND NOT a.attisdropped"
" WHERE ($1 IS NULL OR v.relid = $1) AND v.commit_time >= $2"
" ORDER BY v.violation_id DESC"
" LIMIT " DQ_XSTR(DQ_REPORT_VIOLATIONS);

void
DqReportViolationTable(DqReport *rep, Oid relid, bool with_table)
{
	StringInfo	out = rep->out;
	int			i;

	DqReportExecSince(rep, dq_report_violations_sql, relid);
	if (!DqReportHasRows(out, psprintf("No violation since %s.", rep->since_text)))
		return;
	DqGridHead(out, "violations", with_table,
			   "committed|operation|expectation|column|unexpected");
	for (i = 0; i < SPI_processed; i++)
	{
		appendStringInfoString(out, "<tr>");
		if (with_table)
		{
			bool		isnull;
			Oid			r = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));
			DqReportTable *t = DqFindTable(rep, r);

			appendStringInfoString(out, "<td>");
			if (t)
				DqTableLink(rep, t);
			appendStringInfoString(out, "</td>");
		}
		DqCellText(out, NULL, DqSpiText(i, 3));
		DqCellText(out, NULL, DqSpiText(i, 4));
		appendStringInfoString(out, "<td>#");
		DqHtmlText(out, DqSpiText(i, 5));
		appendStringInfoChar(out, ' ');
		DqHtmlClip(out, DqSpiText(i, 6), DQ_HTML_CLIP);
		appendStringInfoString(out, "</td>");
		DqCellText(out, NULL, DqSpiText(i, 7));
		DqCellText(out, "value", DqSpiText(i, 8));
		appendStringInfoString(out, "</tr>");
	}
	appendStringInfoString(out, "</tbody></table>");
	SPI_freetuptable(SPI_tuptable);
}

static void
DqReportRecentViolations(DqReport *rep)
{
	DqReportViolationTable(rep, InvalidOid, true);
}

/* ---- table sections ---- */

/* The CSP hash of the page's script: 'sha256-<base64>'. */
static char *
DqScriptHash(const char *script)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *b64;
	int			len;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) script, strlen(script)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute the SHA-256 hash of the report script");
	pg_cryptohash_free(ctx);
	b64 = palloc(pg_b64_enc_len(PG_SHA256_DIGEST_LENGTH) + 1);
	len = pg_b64_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, b64,
						pg_b64_enc_len(PG_SHA256_DIGEST_LENGTH));
	if (len < 0)
		elog(ERROR, "could not encode the hash of the report script");
	b64[len] = '\0';
	return b64;
}

static void
DqReportTableSection(DqReport *rep, DqReportTable *t, bool open)
{
	StringInfo	out = rep->out;
	char	   *lower = str_tolower(t->label, strlen(t->label), DEFAULT_COLLATION_OID);
	int			s;

	appendStringInfoString(out, "<details class=\"table\" id=\"");
	DqTableAnchor(out, t->relid);
	appendStringInfoString(out, "\" data-name=\"");
	DqHtmlText(out, lower);
	appendStringInfoString(out, "\" data-status=\"");
	DqHtmlText(out, t->status);
	appendStringInfo(out, "\"%s><summary><h2>", open ? " open=\"open\"" : "");
	DqHtmlClip(out, t->label, DQ_HTML_CLIP);
	appendStringInfoString(out, "</h2> ");
	DqStatusBadge(out, t->status);
	appendStringInfoString(out, "<span class=\"facts\">");
	DqHtmlText(out, t->kind);
	if (!isnan(t->row_count))
	{
		appendStringInfoString(out, ", ");
		DqHtmlCount(out, (int64) t->row_count);
		appendStringInfoString(out, " rows");
	}
	if (!isnan(t->expectations) && t->expectations > 0)
	{
		appendStringInfoString(out, ", ");
		DqHtmlCount(out, (int64) t->expectations);
		appendStringInfoString(out, " expectations");
	}
	if (t->watched)
		appendStringInfoString(out, ", watched");
	appendStringInfoString(out, "</span></summary>");
	for (s = 0; s < lengthof(dq_table_sections); s++)
	{
		appendStringInfo(out, "<section class=\"%s\"><h3>%s</h3>",
						 dq_table_sections[s].id, dq_table_sections[s].title);
		dq_table_sections[s].table(rep, t);
		appendStringInfoString(out, "</section>");
	}
	appendStringInfoString(out, "</details>");
	pfree(lower);
}

static void
DqReportPage(DqReport *rep)
{
	StringInfo	out = rep->out;
	char	   *hash = DqScriptHash(dq_report_script);
	char	   *db = get_database_name(MyDatabaseId);
	const char *tz = GetConfigOption("TimeZone", true, false);
	int			i;

	appendStringInfoString(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
						   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
						   "<meta name=\"generator\" content=\"dq_lineage\"/>");
	appendStringInfo(out, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; "
					 "style-src &#39;unsafe-inline&#39;; img-src data:; "
					 "script-src &#39;sha256-%s&#39;\"/><title>", hash);
	if (OidIsValid(rep->only_relid) && rep->ntables == 1)
	{
		DqHtmlClip(out, rep->tables[0].label, DQ_HTML_CLIP);
		appendStringInfoString(out, " \xE2\x80\x93 ");
	}
	appendStringInfoString(out, "Data quality report: ");
	DqHtmlText(out, db);
	appendStringInfo(out, "</title><style>%s</style></head><body>", dq_report_style);

	appendStringInfoString(out, "<header class=\"page\"><h1>Data quality report: ");
	if (OidIsValid(rep->only_relid) && rep->ntables == 1)
		DqHtmlClip(out, rep->tables[0].label, DQ_HTML_CLIP);
	else
	{
		appendStringInfoString(out, "database ");
		DqHtmlText(out, db);
	}
	appendStringInfoString(out, "</h1><p>Generated ");
	DqHtmlText(out, rep->now_text);
	appendStringInfoString(out, " by role ");
	DqHtmlText(out, GetUserNameFromId(GetUserId(), false));
	appendStringInfoString(out, " (what this role may read); history since ");
	DqHtmlText(out, rep->since_text);
	appendStringInfoString(out, "; times in ");
	DqHtmlText(out, tz ? tz : "UTC");
	appendStringInfoString(out, ".</p></header><main>");

	if (!OidIsValid(rep->only_relid))
	{
		for (i = 0; i < lengthof(dq_overview_sections); i++)
		{
			appendStringInfo(out, "<section class=\"overview\" id=\"%s\"><h2>%s</h2>",
							 dq_overview_sections[i].id, dq_overview_sections[i].title);
			dq_overview_sections[i].overview(rep);
			appendStringInfoString(out, "</section>");
		}
	}
	else if (rep->ntables == 0)
		appendStringInfoString(out, "<p class=\"empty\">Nothing recorded.</p>");

	for (i = 0; i < rep->ntables; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(rep->table_cxt);

		CHECK_FOR_INTERRUPTS();
		DqReportTableSection(rep, &rep->tables[i],
							 OidIsValid(rep->only_relid) ||
							 rep->ntables <= DQ_REPORT_OPEN_TABLES);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rep->table_cxt);
	}

	appendStringInfoString(out, "</main><script>");
	appendStringInfoString(out, dq_report_script);
	appendStringInfoString(out, "</script></body></html>\n");
}

/*
 * dq.report_html(rel regclass DEFAULT NULL, since timestamptz DEFAULT NULL)
 * RETURNS text
 */
Datum
dq_report_html(PG_FUNCTION_ARGS)
{
	DqReport	rep;
	StringInfoData out;

	memset(&rep, 0, sizeof(rep));
	rep.only_relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	if (PG_ARGISNULL(1))
		rep.since = TimestampTzPlusMilliseconds(GetCurrentTransactionStartTimestamp(),
												-(int64) DQ_REPORT_DAYS * 86400 * 1000);
	else
		rep.since = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(rep.since) && rep.since != DT_NOBEGIN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since must not be infinity"),
				 errhint("Give the start of the history to show, for example now() - interval '7 days', or NULL for the last 30 days.")));
	initStringInfo(&out);
	rep.out = &out;
	DqSpiConnect();
	{
		Oid			types[1] = {TIMESTAMPTZOID};
		Datum		values[1] = {TimestampTzGetDatum(rep.since)};

		DqReportExec("SELECT to_char(now(), 'YYYY-MM-DD HH24:MI'), to_char($1, 'YYYY-MM-DD HH24:MI')",
					 1, types, values, NULL);
		rep.now_text = DqSpiText(0, 1);
		rep.since_text = DqSpiText(0, 2);
		if (rep.since_text == NULL || TIMESTAMP_IS_NOBEGIN(rep.since))
			rep.since_text = "the beginning";
	}
	rep.table_cxt = AllocSetContextCreate(CurrentMemoryContext, "dq report table",
										  ALLOCSET_DEFAULT_SIZES);
	DqReportLoadTables(&rep);
	rep.lineage = DqLineageLoad();
	DqReportPage(&rep);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
