/*-------------------------------------------------------------------------
 *
 * alert_store.c
 *	  The alert outbox: dq.alerts and the deliveries it queues.
 *
 * Design note.  Everything here runs inside the transaction that records
 * the failure (a trigger on dq.validation_results, dq.violations or
 * dq.job_runs, dq.raise_alert(), the delivery worker's own checks), so an
 * alert and its deliveries exist exactly when the failure was committed,
 * and a rollback leaves nothing behind.  The writes are made as the
 * extension owner with search_path pinned (trust.c), from statements
 * prepared once per backend (SPI_keepplan; they are re-planned by the
 * plan cache when the tables change, even across DROP and CREATE
 * EXTENSION).
 *
 * Deduplication: a partial unique index allows one unresolved alert per
 * (source, source_key).  A failure first looks for that alert (FOR
 * UPDATE) and counts one more occurrence on it; only when there is none
 * is a new alert inserted, with ON CONFLICT DO NOTHING, and the lookup
 * repeated when a concurrent transaction inserted it first.
 *
 * Notifications: a new alert queues a "trigger" delivery for every
 * enabled route that matches it and whose owner may see it (routes are
 * read once per transaction).  More occurrences queue nothing, unless
 * the alert was snoozed and the snooze is over: then the alert is open
 * again and a new trigger goes out.  Acknowledging and resolving queue an
 * "acknowledge" or "resolve" delivery for each route that had a trigger
 * of the alert.  Each delivery carries an idempotency key
 * dq-<system id>-<database oid>-<alert id>-<event>-<round>, where the
 * round counts the alert's triggers, so a receiver can drop repeats.  At
 * commit the database's delivery worker is woken (alert_launcher.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "alert/alert_internal.h"
#include "base/spi_util.h"
#include "base/trust.h"

static DqAlertStmt st_open = {
	"SELECT alert_id, snoozed_until FROM dq.alerts "
	" WHERE source = $1 AND source_key = $2 AND state <> 'resolved' FOR UPDATE",
	2, {TEXTOID, TEXTOID}
};

static DqAlertStmt st_again = {
	"UPDATE dq.alerts SET occurrences = occurrences + $2, "
	"       last_seen = GREATEST(last_seen, $3), "
	"       severity = $4, title = $5, body = $6, "
	"       state = CASE WHEN $7 THEN 'open' ELSE state END, "
	"       acknowledged_at = CASE WHEN $7 THEN NULL ELSE acknowledged_at END, "
	"       acknowledged_by = CASE WHEN $7 THEN NULL ELSE acknowledged_by END, "
	"       notifications = notifications + CASE WHEN $7 THEN 1 ELSE 0 END, "
	"       snoozed_until = CASE WHEN $7 THEN NULL ELSE snoozed_until END "
	" WHERE alert_id = $1 RETURNING notifications",
	7, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID, JSONBOID, BOOLOID}
};

static DqAlertStmt st_insert = {
	"INSERT INTO dq.alerts (source, source_key, severity, title, body, relid, "
	"       schema_name, table_name, column_name, owner, occurrences, first_seen, last_seen) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) "
	"ON CONFLICT DO NOTHING RETURNING alert_id",
	12, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, OIDOID, NAMEOID, NAMEOID,
	NAMEOID, NAMEOID, INT8OID, TIMESTAMPTZOID}
};

static DqAlertStmt st_routes = {
	"SELECT route_id, name, channel, owner, match FROM dq.alert_routes "
	" WHERE enabled ORDER BY route_id",
	0, {InvalidOid}
};

static DqAlertStmt st_deliver = {
	"INSERT INTO dq.alert_deliveries (alert_id, route_id, route_name, channel, event, idempotency_key) "
	"SELECT $1, u.r, u.n, u.c, $2, $3 "
	"  FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.int8[]), pg_catalog.unnest($5::pg_catalog.text[]), "
	"                 pg_catalog.unnest($6::pg_catalog.text[])) AS u(r, n, c)",
	6, {INT8OID, TEXTOID, TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID}
};

static DqAlertStmt st_followup = {
	"INSERT INTO dq.alert_deliveries (alert_id, route_id, route_name, channel, event, idempotency_key) "
	"SELECT DISTINCT ON (d.route_id) d.alert_id, d.route_id, d.route_name, d.channel, $2, $3 "
	"  FROM dq.alert_deliveries d WHERE d.alert_id = $1 AND d.event = 'trigger' "
	" ORDER BY d.route_id, d.delivery_id",
	3, {INT8OID, TEXTOID, TEXTOID}
};

static DqAlertStmt st_resolve_key = {
	"UPDATE dq.alerts SET state = 'resolved', resolved_at = pg_catalog.now(), resolution = $3 "
	" WHERE source OPERATOR(pg_catalog.=) ANY ($1) AND source_key = $2 AND state <> 'resolved' "
	"RETURNING alert_id, notifications",
	3, {TEXTARRAYOID, TEXTOID, TEXTOID}
};

static DqAlertStmt st_resolve_quiet = {
	"UPDATE dq.alerts SET state = 'resolved', resolved_at = pg_catalog.now(), resolution = 'quiet' "
	" WHERE source = $1 AND ($3::pg_catalog.text IS NULL OR source_key = $3) "
	"   AND state <> 'resolved' AND last_seen < $2 "
	"RETURNING alert_id, notifications",
	3, {TEXTOID, TIMESTAMPTZOID, TEXTOID}
};

static DqAlertStmt st_ack = {
	"UPDATE dq.alerts SET state = 'acknowledged', acknowledged_at = pg_catalog.now(), "
	"       acknowledged_by = $2 "
	" WHERE alert_id = $1 AND state = 'open' RETURNING notifications",
	2, {INT8OID, NAMEOID}
};

static DqAlertStmt st_resolve_id = {
	"UPDATE dq.alerts SET state = 'resolved', resolved_at = pg_catalog.now(), "
	"       resolved_by = $2, resolution = 'manual' "
	" WHERE alert_id = $1 AND state <> 'resolved' RETURNING notifications",
	2, {INT8OID, NAMEOID}
};

static DqAlertStmt st_snooze = {
	"UPDATE dq.alerts SET snoozed_until = $2 WHERE alert_id = $1 AND state <> 'resolved'",
	2, {INT8OID, TIMESTAMPTZOID}
};

/* Routes of the current transaction (in TopTransactionContext). */
static List *route_cache = NIL;
static LocalTransactionId route_cache_lxid = InvalidLocalTransactionId;

/*
 * Execute a statement through its plan kept for the session
 * (DqSpiKeptPlan), inside SPI; returns SPI's result code.
 */
int
DqAlertExec(DqAlertStmt *st, Datum *values, const char *nulls, long count)
{
	int			rc = SPI_execute_plan(DqSpiKeptPlan(&st->plan, st->sql,
													st->nargs, st->types),
									  values, nulls, false, count);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed (%d): %s", rc, st->sql);
	return rc;
}

static int64
first_int8(int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static int32
first_int4(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/*
 * Are rows being loaded by COPY (pg_restore, psql replaying a dump)?  A
 * restore brings back the alerts themselves; failures replayed from the
 * restored history must not raise them again.
 */
bool
DqAlertRestoring(void)
{
	return ActivePortal != NULL && ActivePortal->commandTag == CMDTAG_COPY;
}

char *
DqAlertDedupKey(int64 alert_id)
{
	return psprintf("dq-" UINT64_FORMAT "-%u-" INT64_FORMAT,
					GetSystemIdentifier(), MyDatabaseId, alert_id);
}

static char *
idempotency_key(int64 alert_id, const char *event, int round)
{
	return psprintf("dq-" UINT64_FORMAT "-%u-" INT64_FORMAT "-%s-%d",
					GetSystemIdentifier(), MyDatabaseId, alert_id, event, round);
}

/* Forget the routes read by this transaction (they changed). */
void
DqAlertRoutesChanged(void)
{
	route_cache = NIL;
	route_cache_lxid = InvalidLocalTransactionId;
}

/* The enabled routes, read once per transaction.  Inside SPI. */
static List *
load_routes(void)
{
	MemoryContext old;
	List	   *routes = NIL;

	if (route_cache_lxid == MyProc->lxid && route_cache_lxid != InvalidLocalTransactionId)
		return route_cache;
	(void) DqAlertExec(&st_routes, NULL, NULL, 0);
	old = MemoryContextSwitchTo(TopTransactionContext);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DqAlertRoute *r = palloc0(sizeof(DqAlertRoute));
		bool		isnull;

		r->route_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		r->name = SPI_getvalue(tup, desc, 2);
		r->channel = SPI_getvalue(tup, desc, 3);
		r->owner_name = SPI_getvalue(tup, desc, 4);
		r->owner = get_role_oid(r->owner_name, true);
		DqAlertParseRouteMatch(DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 5, &isnull)), r);
		routes = lappend(routes, r);
	}
	MemoryContextSwitchTo(old);
	route_cache = routes;
	route_cache_lxid = MyProc->lxid;
	return routes;
}

/* Build a one-dimensional array (NULL elements where nulls[i]). */
static Datum
make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, elemtype,
											  typlen, typbyval, typalign));
}

/*
 * Queue a trigger delivery of a new (or re-opened) alert for each
 * matching route, and for the built-in NOTIFY channel when asked.
 */
static void
queue_triggers(int64 alert_id, int round, const DqAlertEvent *ev,
			   const char *qualified_rel, const char *owner_name,
			   int64 exclude_route, bool builtin_notify)
{
	List	   *routes = load_routes();
	int			n = 0;
	int			cap = list_length(routes) + 1;
	Datum	   *ids = palloc(sizeof(Datum) * cap);
	bool	   *idnulls = palloc0(sizeof(bool) * cap);
	Datum	   *names = palloc(sizeof(Datum) * cap);
	Datum	   *channels = palloc(sizeof(Datum) * cap);
	ListCell   *lc;
	Datum		values[6];

	foreach(lc, routes)
	{
		DqAlertRoute *r = lfirst(lc);

		if (r->route_id == exclude_route)
			continue;
		if (!DqAlertRouteMatches(r, ev->source, ev->severity, ev->relid, qualified_rel,
								 ev->owner, owner_name))
			continue;
		ids[n] = Int64GetDatum(r->route_id);
		names[n] = CStringGetTextDatum(r->name);
		channels[n] = CStringGetTextDatum(r->channel);
		n++;
	}
	if (builtin_notify)
	{
		ids[n] = (Datum) 0;
		idnulls[n] = true;
		names[n] = CStringGetTextDatum(dq_alert_notify_channel);
		channels[n] = CStringGetTextDatum("notify");
		n++;
	}
	if (n == 0)
		return;
	values[0] = Int64GetDatum(alert_id);
	values[1] = CStringGetTextDatum(DQ_EVENT_TRIGGER);
	values[2] = CStringGetTextDatum(idempotency_key(alert_id, DQ_EVENT_TRIGGER, round));
	values[3] = make_array(ids, idnulls, n, INT8OID);
	values[4] = make_array(names, NULL, n, TEXTOID);
	values[5] = make_array(channels, NULL, n, TEXTOID);
	(void) DqAlertExec(&st_deliver, values, NULL, 0);
	DqAlertWakeAtCommit();
}

/*
 * Queue an acknowledge or resolve delivery for each route that had a
 * trigger of the alert.
 */
static void
queue_followups(int64 alert_id, int round, const char *event)
{
	Datum		values[3];

	values[0] = Int64GetDatum(alert_id);
	values[1] = CStringGetTextDatum(event);
	values[2] = CStringGetTextDatum(idempotency_key(alert_id, event, round));
	(void) DqAlertExec(&st_followup, values, NULL, 0);
	if (SPI_processed > 0)
		DqAlertWakeAtCommit();
}

static void
check_event(const DqAlertEvent *ev)
{
	if (!DqAlertSourceValid(ev->source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized alert source \"%s\"", ev->source ? ev->source : ""),
				 errhint("Sources are validation, expectation, violation, job, cdc_lag, anomaly, schema_change, monitor and delivery.")));
	if (DqAlertSeverityRank(ev->severity) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized alert severity \"%s\"", ev->severity ? ev->severity : ""),
				 errhint("Severities are warn, error and critical.")));
	if (ev->key == NULL || ev->key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an alert needs a non-empty key"),
				 errhint("The key names the failing check, so that its repeats count on one alert.")));
}

/* A name Datum, or a NULL in nulls[i]. */
static void
set_name(Datum *values, char *nulls, int i, const char *s)
{
	if (s == NULL)
	{
		nulls[i] = 'n';
		values[i] = (Datum) 0;
	}
	else
	{
		NameData   *n = palloc0(sizeof(NameData));

		namestrcpy(n, s);
		values[i] = NameGetDatum(n);
	}
}

int64
DqAlertRaise(const DqAlertEvent *event)
{
	return DqAlertRaiseExt(event, 0, false);
}

/*
 * DqAlertRaise, for the worker's own alerts: exclude_route is left out of
 * the matching routes (a route whose delivery died), builtin_notify adds
 * the built-in NOTIFY delivery.
 */
int64
DqAlertRaiseExt(const DqAlertEvent *ev, int64 exclude_route, bool builtin_notify)
{
	DqOwnerContext owner_ctx;
	char	   *nspname = NULL;
	char	   *relname = NULL;
	char	   *qualified = NULL;
	char	   *owner_name = NULL;
	char	   *title;
	TimestampTz seen = ev->seen_at ? ev->seen_at : GetCurrentTransactionStartTimestamp();
	int64		occurrences = ev->occurrences > 0 ? ev->occurrences : 1;
	Datum		body;
	int64		alert_id = 0;

	check_event(ev);
	if (OidIsValid(ev->relid) && (relname = get_rel_name(ev->relid)) != NULL)
	{
		nspname = get_namespace_name(get_rel_namespace(ev->relid));
		qualified = psprintf("%s.%s", nspname, relname);
	}
	if (OidIsValid(ev->owner))
		owner_name = GetUserNameFromId(ev->owner, true);
	title = (char *) (ev->title && ev->title[0] ? ev->title : ev->key);
	title = pnstrdup(title, pg_mbcliplen(title, strlen(title), DQ_ALERT_TITLE_MAX));
	if (ev->body != NULL)
		body = JsonbPGetDatum(ev->body);
	else
		body = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	for (int attempt = 0; alert_id == 0; attempt++)
	{
		Datum		values[12];
		char		nulls[12];
		bool		isnull;

		memset(nulls, ' ', sizeof(nulls));
		values[0] = CStringGetTextDatum(ev->source);
		values[1] = CStringGetTextDatum(ev->key);
		(void) DqAlertExec(&st_open, values, NULL, 1);
		if (SPI_processed == 1)
		{
			Datum		snoozed;
			bool		renotify;

			alert_id = first_int8(1, &isnull);
			snoozed = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
			renotify = !isnull && DatumGetTimestampTz(snoozed) <= seen;

			values[0] = Int64GetDatum(alert_id);
			values[1] = Int64GetDatum(occurrences);
			values[2] = TimestampTzGetDatum(seen);
			values[3] = CStringGetTextDatum(ev->severity);
			values[4] = CStringGetTextDatum(title);
			values[5] = body;
			values[6] = BoolGetDatum(renotify);
			(void) DqAlertExec(&st_again, values, NULL, 1);
			if (renotify)
				queue_triggers(alert_id, first_int4(1), ev, qualified, owner_name,
							   exclude_route, builtin_notify);
			break;
		}
		if (attempt >= 3)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not record the alert \"%s\" of source %s", ev->key, ev->source),
					 errdetail("Concurrent transactions kept recording the same alert."),
					 errhint("Retry the transaction.")));

		values[0] = CStringGetTextDatum(ev->source);
		values[1] = CStringGetTextDatum(ev->key);
		values[2] = CStringGetTextDatum(ev->severity);
		values[3] = CStringGetTextDatum(title);
		values[4] = body;
		values[5] = ObjectIdGetDatum(ev->relid);
		if (!OidIsValid(ev->relid))
			nulls[5] = 'n';
		set_name(values, nulls, 6, nspname);
		set_name(values, nulls, 7, relname);
		set_name(values, nulls, 8, ev->column_name);
		set_name(values, nulls, 9, owner_name);
		values[10] = Int64GetDatum(occurrences);
		values[11] = TimestampTzGetDatum(seen);
		(void) DqAlertExec(&st_insert, values, nulls, 1);
		if (SPI_processed == 1)
		{
			alert_id = first_int8(1, &isnull);
			queue_triggers(alert_id, 1, ev, qualified, owner_name, exclude_route,
						   builtin_notify);
		}
		/* else: another transaction inserted it meanwhile; count on it */
	}
	DqRestoreUser(&owner_ctx);
	SPI_finish();
	return alert_id;
}

/* Queue the resolve deliveries of the alerts an UPDATE ... RETURNING resolved. */
static int
followup_resolved(void)
{
	uint64		n = SPI_processed;
	SPITupleTable *tt = SPI_tuptable;

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		int32		round = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));

		queue_followups(id, round, DQ_EVENT_RESOLVE);
	}
	return (int) n;
}

/*
 * Run a resolving statement (an UPDATE ... RETURNING alert_id, round) as
 * the extension owner and queue the resolve deliveries; returns how many
 * alerts it resolved.
 */
static int
resolve_as_owner(DqAlertStmt *st, Datum *values, const char *nulls)
{
	DqOwnerContext owner_ctx;
	int			n;

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	(void) DqAlertExec(st, values, nulls, 0);
	n = followup_resolved();
	DqRestoreUser(&owner_ctx);
	SPI_finish();
	return n;
}

/*
 * Resolve the open alert of key under any of the sources (the check
 * passed).  Returns the number of alerts resolved.
 */
int
DqAlertResolveKey(const char *const *sources, int nsources, const char *key,
				  const char *resolution)
{
	Datum		values[3];
	Datum	   *elems = palloc(sizeof(Datum) * nsources);

	for (int i = 0; i < nsources; i++)
		elems[i] = CStringGetTextDatum(sources[i]);
	values[0] = make_array(elems, NULL, nsources, TEXTOID);
	values[1] = CStringGetTextDatum(key);
	values[2] = CStringGetTextDatum(resolution);
	return resolve_as_owner(&st_resolve_key, values, NULL);
}

bool
DqAlertClear(const char *source, const char *key)
{
	const char *sources[1] = {source};

	if (!DqAlertSourceValid(source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized alert source \"%s\"", source ? source : ""),
				 errhint("Sources are validation, expectation, violation, job, cdc_lag, anomaly, schema_change, monitor and delivery.")));
	return DqAlertResolveKey(sources, 1, key, "passed") > 0;
}

/*
 * Resolve the open alerts of a source (of one key, unless key is NULL)
 * last seen before "before": a burst of violations is over.  Returns how
 * many.
 */
int
DqAlertResolveQuiet(const char *source, const char *key, TimestampTz before)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	values[0] = CStringGetTextDatum(source);
	values[1] = TimestampTzGetDatum(before);
	if (key != NULL)
		values[2] = CStringGetTextDatum(key);
	else
		nulls[2] = 'n';
	return resolve_as_owner(&st_resolve_quiet, values, nulls);
}

/* Run one state change by id; returns the alert's round, or -1 if nothing changed. */
static int
change_by_id(DqAlertStmt *st, int64 alert_id, const char *by, TimestampTz until)
{
	DqOwnerContext owner_ctx;
	Datum		values[2];
	int			round = -1;

	values[0] = Int64GetDatum(alert_id);
	if (st == &st_snooze)
		values[1] = TimestampTzGetDatum(until);
	else
	{
		NameData   *n = palloc0(sizeof(NameData));

		namestrcpy(n, by);
		values[1] = NameGetDatum(n);
	}
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	(void) DqAlertExec(st, values, NULL, 0);
	if (SPI_processed == 1)
	{
		round = st == &st_snooze ? 0 : first_int4(1);
		if (st == &st_ack)
			queue_followups(alert_id, round, DQ_EVENT_ACK);
		else if (st == &st_resolve_id)
			queue_followups(alert_id, round, DQ_EVENT_RESOLVE);
	}
	DqRestoreUser(&owner_ctx);
	SPI_finish();
	return round;
}

bool
DqAlertAcknowledge(int64 alert_id, const char *by)
{
	return change_by_id(&st_ack, alert_id, by, 0) >= 0;
}

bool
DqAlertResolveById(int64 alert_id, const char *by)
{
	return change_by_id(&st_resolve_id, alert_id, by, 0) >= 0;
}

void
DqAlertSnooze(int64 alert_id, TimestampTz until)
{
	(void) change_by_id(&st_snooze, alert_id, NULL, until);
}
