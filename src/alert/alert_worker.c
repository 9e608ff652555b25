/*-------------------------------------------------------------------------
 *
 * alert_worker.c
 *	  The per-database alert delivery worker.
 *
 * Design note.  The launcher that starts it, and the shared table of
 * databases through which it is started, paused and stopped, are in
 * alert_launcher.c.
 *
 * Delivering.  A worker loops: in one transaction it records the outcome
 * of the requests that ended, sends the due NOTIFY deliveries (NOTIFY is
 * transactional: the notification goes out exactly when its delivery is
 * marked delivered), claims due HTTP deliveries, runs the periodic checks
 * (change validation lag, quiet violation bursts, retention), and
 * commits; then it starts the claimed requests and lets curl run them
 * while it waits for its latch, the next due delivery or a request to end
 * (alert_http.c).  A delivery waits while an earlier delivery of the same
 * alert to the same route is pending, so a resolve never overtakes its
 * trigger.  Each route gets at most half of dq_lineage.alert_max_in_flight
 * requests, so one slow endpoint does not hold the others back.  Ended
 * requests are recorded in batches (one commit for those that end within
 * BATCH_MS of each other).  The queues are two partial indexes on
 * dq.alert_deliveries (HTTP and NOTIFY, pending only), so a pass reads the
 * rows it sends and not the history.
 *
 * Locks: the worker skips (SKIP LOCKED) a delivery row another transaction
 * holds (dq.drop_alert_route deleting it) and takes no lock on routes, so
 * it never waits for a transaction that waits for it.
 *
 * What survives a crash: everything the worker knows is in the tables.
 * Deliveries are rows committed with the failure; a request's outcome is
 * recorded after it ends.  A worker killed (or a server stopped) between
 * a receiver's answer and that record sends the delivery again, with the
 * same idempotency key: delivery is at least once, and exactly once for a
 * receiver that drops repeated keys.
 *
 * Failures: a request that fails (no answer, timeout, an HTTP status other
 * than 2xx) is retried after an exponential backoff with jitter
 * (dq_lineage.alert_retry_base, doubling up to alert_retry_max, each wait
 * drawn between half and all of it; at least a Retry-After); after the
 * route's max_attempts it is "dead", and a critical alert of source
 * "delivery" is raised for its route, sent on the NOTIFY channel
 * dq_lineage.alert_notify_channel and to the other matching routes.  The
 * next successful delivery to the route resolves that alert.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "alert/alert_internal.h"
#include "base/catalog.h"
#include "base/db_table.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"


/* Longest sleep of an idle worker (settings, the extension, periodic checks). */
#define WORKER_NAPTIME_MS 5000
/* Periodic checks (lag, quiet bursts) and pruning run this often. */
#define CHECK_INTERVAL_MS 5000
#define PRUNE_INTERVAL_MS 60000
/* Longest wait in curl while requests are in flight (latch checks). */
#define POLL_MS 100
/* Longest an ended request waits to be recorded with others. */
#define BATCH_MS 10
/* NOTIFY deliveries sent per transaction. */
#define NOTIFY_BATCH 500

PGDLLEXPORT void dq_alert_worker_main(Datum main_arg);

/* ----------------------------------------------------------------
 * The delivery worker
 * ----------------------------------------------------------------
 */

static DqDbEntry *my_db = NULL;
static bool extension_gone = false;
static MemoryContext worker_cxt;	/* transfers and their deliveries */
static List *inflight = NIL;	/* DqAlertTransfer *, started */
static List *finished = NIL;	/* DqAlertTransfer *, ended, not yet recorded */
static List *claimed = NIL;		/* DqAlertTransfer *, claimed, not yet started */
static char *database_name = NULL;
static char *user_agent = NULL;
static TimestampTz next_due = 0;
static TimestampTz next_check = 0;
static TimestampTz next_prune = 0;
static bool cdc_check_warned = false;

static void
worker_detach(int code, Datum arg)
{
	if (my_db != NULL)
		DqDbTableDetachWorker(DqAlertTable(), my_db, extension_gone);
}

/* Free a list of transfers and the transfers (each has its own context). */
static void
forget_transfers(List **list)
{
	while (*list != NIL)
	{
		DqAlertTransfer *t = linitial(*list);

		*list = list_delete_first(*list);
		MemoryContextDelete(t->cxt);
	}
}

/* Should this worker stop (paused, delivery off)? */
static bool
worker_should_stop(void)
{
	return !dq_alert_delivery ||
		DqDbTablePaused(DqAlertTable(), MyDatabaseId, false);
}

/* The alert's columns that the payloads use (see DqAlertDelivery). */
#define ALERT_COLUMNS(body) \
	"a.alert_id, a.source, a.source_key, a.severity, a.state, a.title, " \
	"CASE WHEN a.schema_name IS NOT NULL THEN a.schema_name OPERATOR(pg_catalog.||) '.' " \
	"     OPERATOR(pg_catalog.||) a.table_name END, " \
	"a.column_name, a.owner, a.acknowledged_by, a.occurrences, " \
	"pg_catalog.json_build_object('alert_id', a.alert_id, 'source', a.source, " \
	"  'source_key', a.source_key, 'severity', a.severity, 'state', a.state, " \
	"  'title', a.title, 'schema_name', a.schema_name, 'table_name', a.table_name, " \
	"  'column_name', a.column_name, 'owner', a.owner, 'occurrences', a.occurrences, " \
	"  'first_seen', a.first_seen, 'last_seen', a.last_seen, " \
	"  'acknowledged_at', a.acknowledged_at, 'acknowledged_by', a.acknowledged_by, " \
	"  'resolved_at', a.resolved_at, 'resolved_by', a.resolved_by, " \
	"  'resolution', a.resolution, 'body', " body ")::pg_catalog.text "

/*
 * The failing values travel only to route owners who could read them in
 * the table: no row-level security there, or an owner who is not subject
 * to it.  NOTIFY payloads never carry them (any role may LISTEN).
 */
#define BODY_FOR_ROUTE \
	"CASE WHEN a.relid IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles o, pg_catalog.pg_class c " \
	"  WHERE o.rolname = r.owner AND c.oid = a.relid AND (o.rolsuper OR o.rolbypassrls " \
	"    OR NOT c.relrowsecurity OR (c.relowner = o.oid AND NOT c.relforcerowsecurity))) " \
	"  THEN a.body ELSE a.body OPERATOR(pg_catalog.-) 'sample' END"
#define BODY_FOR_NOTIFY "a.body OPERATOR(pg_catalog.-) 'sample'"

/* An earlier delivery of the same alert to the same route is pending. */
#define EARLIER_PENDING \
	"EXISTS (SELECT 1 FROM dq.alert_deliveries p WHERE p.alert_id = d.alert_id " \
	"  AND p.route_id IS NOT DISTINCT FROM d.route_id AND p.status = 'pending' " \
	"  AND p.delivery_id < d.delivery_id)"

/* Fill the alert part of a delivery from columns first.. of a claim row. */
static void
read_alert_columns(DqAlertDelivery *d, HeapTuple tup, TupleDesc desc, int first)
{
	bool		isnull;

	d->alert_id = DatumGetInt64(SPI_getbinval(tup, desc, first, &isnull));
	d->source = SPI_getvalue(tup, desc, first + 1);
	d->source_key = SPI_getvalue(tup, desc, first + 2);
	d->severity = SPI_getvalue(tup, desc, first + 3);
	d->state = SPI_getvalue(tup, desc, first + 4);
	d->title = SPI_getvalue(tup, desc, first + 5);
	d->relation = SPI_getvalue(tup, desc, first + 6);
	d->column_name = SPI_getvalue(tup, desc, first + 7);
	d->owner = SPI_getvalue(tup, desc, first + 8);
	d->acknowledged_by = SPI_getvalue(tup, desc, first + 9);
	d->occurrences = DatumGetInt64(SPI_getbinval(tup, desc, first + 10, &isnull));
	d->alert_json = SPI_getvalue(tup, desc, first + 11);
}

/* Time of the next attempt after a failure (exponential backoff, jitter). */
static TimestampTz
next_attempt_time(int attempts, int retry_after_s)
{
	double		delay = (double) dq_alert_retry_base * pow(2.0, Min(attempts - 1, 40));

	delay = Min(delay, (double) dq_alert_retry_max);
	delay *= 0.5 + 0.5 * pg_prng_double(&pg_global_prng_state);
	if (retry_after_s > 0)
		delay = Max(delay, Min((double) retry_after_s * 1000.0, (double) dq_alert_retry_max));
	return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64) delay);
}

/*
 * Record one attempt: the delivery's new state and a row of the attempt
 * log.  Returns the state written ("delivered", "pending", "dead"), or
 * NULL when the delivery is gone (its route or alert was deleted).
 */
/*
 * Record one attempt (see record_attempt).  A delivery locked by someone
 * else is being deleted (its route is dropped): skip it rather than wait,
 * so that the worker never waits for a transaction that waits for it.
 */
static DqAlertStmt st_record = {
	"WITH l AS (SELECT delivery_id FROM dq.alert_deliveries "
	"  WHERE delivery_id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED), "
	"u AS (UPDATE dq.alert_deliveries d SET attempts = d.attempts + 1, "
	"    status = $2, next_attempt_at = $3, "
	"    delivered_at = CASE WHEN $2 = 'delivered' THEN $8 END, "
	"    http_status = $5, latency_ms = $6, error = $7 "
	"  FROM l WHERE d.delivery_id = l.delivery_id "
	"  RETURNING d.delivery_id, d.attempts) "
	"INSERT INTO dq.alert_delivery_attempts (delivery_id, attempt, attempted_at, "
	"    http_status, latency_ms, error) "
	"SELECT u.delivery_id, u.attempts, $4, $5, $6, $7 FROM u",
	8, {INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, FLOAT8OID, TEXTOID, TIMESTAMPTZOID}
};

static const char *
record_attempt(const DqAlertDelivery *d, TimestampTz started, long http_status,
			   double latency_ms, const char *error, bool permanent, int retry_after_s)
{
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *status;
	int			attempts = d->attempts + 1;
	TimestampTz now = GetCurrentTimestamp();

	if (error == NULL)
		status = "delivered";
	else if (permanent || attempts >= d->max_attempts)
		status = "dead";
	else
		status = "pending";
	values[0] = Int64GetDatum(d->delivery_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = TimestampTzGetDatum(strcmp(status, "pending") == 0 ?
									next_attempt_time(attempts, retry_after_s) : now);
	values[3] = TimestampTzGetDatum(started);
	values[4] = Int32GetDatum((int32) http_status);
	if (http_status == 0)
		nulls[4] = 'n';
	values[5] = Float8GetDatum(latency_ms);
	if (error)
		values[6] = CStringGetTextDatum(error);
	else
		nulls[6] = 'n';
	values[7] = TimestampTzGetDatum(now);
	DqSpiCheck(DqAlertExec(&st_record, values, nulls, 0), SPI_OK_INSERT, "record a delivery attempt");
	return SPI_processed == 1 ? status : NULL;
}

/* A dead delivery raises a critical alert about its route. */
static void
raise_dead(const DqAlertDelivery *d, long http_status, const char *error)
{
	DqAlertEvent ev;
	StringInfoData body;

	initStringInfo(&body);
	appendStringInfo(&body, "{\"route\": ");
	escape_json(&body, d->route_name);
	appendStringInfo(&body, ", \"channel\": ");
	escape_json(&body, DqAlertChannelName(d->channel));
	appendStringInfo(&body, ", \"delivery_id\": " INT64_FORMAT ", \"alert_id\": " INT64_FORMAT
					 ", \"event\": ", d->delivery_id, d->alert_id);
	escape_json(&body, d->event);
	appendStringInfo(&body, ", \"attempts\": %d, \"http_status\": ", d->attempts + 1);
	if (http_status > 0)
		appendStringInfo(&body, "%ld", http_status);
	else
		appendStringInfoString(&body, "null");
	appendStringInfo(&body, ", \"error\": ");
	escape_json(&body, error ? error : "");
	appendStringInfoChar(&body, '}');

	memset(&ev, 0, sizeof(ev));
	ev.source = "delivery";
	ev.key = psprintf("route:" INT64_FORMAT, d->route_id);
	ev.severity = "critical";
	ev.title = psprintf("alert deliveries to route \"%s\" (%s) failed: %s", d->route_name,
						DqAlertChannelName(d->channel), error ? error : "");
	ev.body = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(body.data)));
	ev.owner = d->route_owner ? get_role_oid(d->route_owner, true) : InvalidOid;
	(void) DqAlertRaiseExt(&ev, d->route_id, true);
}

/* Record the transfers that ended; inside the pass's transaction. */
static void
record_finished(void)
{
	ListCell   *lc;
	List	   *cleared = NIL;

	foreach(lc, finished)
	{
		DqAlertTransfer *t = lfirst(lc);
		const DqAlertDelivery *d = t->d;
		const char *status;

		status = record_attempt(d, t->started_at, t->http_status, t->latency_ms, t->error,
								t->permanent, t->retry_after_s);
		if (status == NULL)
			continue;
		if (t->error != NULL)
			ereport(LOG,
					(errmsg("dq_lineage alert delivery " INT64_FORMAT " to route \"%s\" failed (attempt %d%s): %s",
							d->delivery_id, d->route_name, d->attempts + 1,
							strcmp(status, "dead") == 0 ? ", dead" : "", t->error)));
		if (strcmp(status, "dead") == 0 && strcmp(d->source, "delivery") != 0)
			raise_dead(d, t->http_status, t->error);
		else if (strcmp(status, "delivered") == 0 && !list_member_ptr(cleared, (void *) (intptr_t) d->route_id))
		{
			char	   *key = psprintf("route:" INT64_FORMAT, d->route_id);

			(void) DqAlertClear("delivery", key);
			cleared = lappend(cleared, (void *) (intptr_t) d->route_id);
		}
	}
}

static DqAlertStmt st_claim_notify = {
	"WITH c AS (SELECT d.delivery_id FROM dq.alert_deliveries d "
	"  LEFT JOIN dq.alert_routes r ON r.route_id = d.route_id "
	" WHERE d.status = 'pending' AND d.channel = 'notify' AND d.next_attempt_at <= $1 "
	"   AND (d.route_id IS NULL OR r.enabled) "
	"   AND NOT " EARLIER_PENDING
	" ORDER BY d.next_attempt_at, d.delivery_id LIMIT $2) "
	"SELECT d.delivery_id, d.route_id, d.route_name, d.event, "
	"       d.idempotency_key, d.attempts, "
	"       coalesce(r.target, d.route_name), r.owner, "
	ALERT_COLUMNS(BODY_FOR_NOTIFY)
	"  FROM c JOIN dq.alert_deliveries d ON d.delivery_id = c.delivery_id "
	"  JOIN dq.alerts a ON a.alert_id = d.alert_id "
	"  LEFT JOIN dq.alert_routes r ON r.route_id = d.route_id "
	" ORDER BY d.next_attempt_at, d.delivery_id",
	2, {TIMESTAMPTZOID, INT4OID}
};

/* Send the due NOTIFY deliveries; returns how many. */
static int
deliver_notifies(void)
{
	SPITupleTable *tt;
	uint64		n;
	TimestampTz now = GetCurrentTimestamp();
	Datum		values[2];

	values[0] = TimestampTzGetDatum(now);
	values[1] = Int32GetDatum(NOTIFY_BATCH);
	DqSpiCheck(DqAlertExec(&st_claim_notify, values, NULL, 0), SPI_OK_SELECT, "claim NOTIFY deliveries");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		DqAlertDelivery d;
		bool		isnull;
		char	   *payload;

		memset(&d, 0, sizeof(d));
		d.delivery_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d.route_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		if (isnull)
			d.route_id = 0;
		d.route_name = SPI_getvalue(tup, desc, 3);
		d.event = SPI_getvalue(tup, desc, 4);
		d.idempotency_key = SPI_getvalue(tup, desc, 5);
		d.attempts = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
		d.target = SPI_getvalue(tup, desc, 7);
		d.route_owner = SPI_getvalue(tup, desc, 8);
		d.channel = DQ_CHANNEL_NOTIFY;
		d.max_attempts = 1;
		read_alert_columns(&d, tup, desc, 9);
		payload = DqAlertRenderNotify(&d);
		Async_Notify(d.target, payload);
		(void) record_attempt(&d, now, 0, 0.0, NULL, false, -1);
	}
	return (int) n;
}

static List *
text_array_list(Datum arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *out = NIL;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			out = lappend(out, TextDatumGetCString(elems[i]));
	return out;
}

/* Requests in flight or about to start for a route. */
static int
route_busy(int64 route_id)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, inflight)
		if (((DqAlertTransfer *) lfirst(lc))->d->route_id == route_id)
			n++;
	foreach(lc, claimed)
		if (((DqAlertTransfer *) lfirst(lc))->d->route_id == route_id)
			n++;
	return n;
}

/* The deliveries in flight, as an int8[] to leave out of claims. */
static Datum
busy_ids(void)
{
	int			n = list_length(inflight) + list_length(claimed);
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, inflight)
		ids[i++] = Int64GetDatum(((DqAlertTransfer *) lfirst(lc))->d->delivery_id);
	foreach(lc, claimed)
		ids[i++] = Int64GetDatum(((DqAlertTransfer *) lfirst(lc))->d->delivery_id);
	return PointerGetDatum(construct_array(ids, i, INT8OID, 8, true, TYPALIGN_DOUBLE));
}

/* Due HTTP deliveries, oldest first: ids and routes only. */
static DqAlertStmt st_claim_http = {
	"SELECT d.delivery_id, d.route_id FROM dq.alert_deliveries d "
	"  JOIN dq.alert_routes r ON r.route_id = d.route_id "
	" WHERE d.status = 'pending' AND d.channel <> 'notify' AND d.next_attempt_at <= $2 "
	"   AND r.enabled "
	"   AND d.delivery_id OPERATOR(pg_catalog.<>) ALL ($1) "
	"   AND NOT " EARLIER_PENDING
	" ORDER BY d.next_attempt_at, d.delivery_id LIMIT $3",
	3, {INT8ARRAYOID, TIMESTAMPTZOID, INT4OID}
};

/* What sending the chosen deliveries needs. */
static DqAlertStmt st_http_payloads = {
	"SELECT d.delivery_id, d.route_id, r.name, r.channel, d.event, "
	"       d.idempotency_key, d.attempts, r.owner, r.target, "
	"       r.options OPERATOR(pg_catalog.->>) 'url', "
	"       (r.options OPERATOR(pg_catalog.->>) 'timeout_ms')::pg_catalog.int4, "
	"       (r.options OPERATOR(pg_catalog.->>) 'max_attempts')::pg_catalog.int4, "
	"       ARRAY(SELECT h.key OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) h.value "
	"               FROM pg_catalog.jsonb_each_text(r.options OPERATOR(pg_catalog.->) 'headers') h), "
	ALERT_COLUMNS(BODY_FOR_ROUTE)
	"  FROM dq.alert_deliveries d "
	"  JOIN dq.alert_routes r ON r.route_id = d.route_id "
	"  JOIN dq.alerts a ON a.alert_id = d.alert_id "
	" WHERE d.delivery_id OPERATOR(pg_catalog.=) ANY ($1) "
	" ORDER BY d.next_attempt_at, d.delivery_id",
	1, {INT8ARRAYOID}
};

/*
 * Claim due HTTP deliveries for the free places, each route within its
 * share; the requests start after the transaction commits.  Returns
 * whether more may be due.
 */
static bool
claim_http(void)
{
	int			free_places = dq_alert_max_in_flight - list_length(inflight);
	int			per_route = Max(1, dq_alert_max_in_flight / 2);
	Datum		values[3];
	SPITupleTable *tt;
	uint64		n;
	int			limit;
	Datum	   *chosen;
	int			nchosen = 0;
	int64	   *chosen_routes;

	if (free_places <= 0)
		return false;
	limit = free_places * 4;
	values[0] = busy_ids();
	values[1] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[2] = Int32GetDatum(limit);
	DqSpiCheck(DqAlertExec(&st_claim_http, values, NULL, 0), SPI_OK_SELECT, "claim HTTP deliveries");
	n = SPI_processed;
	if (n == 0)
		return false;
	chosen = palloc(sizeof(Datum) * n);
	chosen_routes = palloc(sizeof(int64) * n);
	for (uint64 i = 0; i < n && nchosen < free_places; i++)
	{
		bool		isnull;
		int64		route_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 2, &isnull));
		int			busy = route_busy(route_id);

		for (int k = 0; k < nchosen; k++)
			if (chosen_routes[k] == route_id)
				busy++;
		if (busy >= per_route)
			continue;
		chosen[nchosen] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		chosen_routes[nchosen++] = route_id;
	}
	if (nchosen == 0)
		return false;

	values[0] = PointerGetDatum(construct_array(chosen, nchosen, INT8OID, 8, true, TYPALIGN_DOUBLE));
	DqSpiCheck(DqAlertExec(&st_http_payloads, values, NULL, 0), SPI_OK_SELECT, "read HTTP deliveries");
	tt = SPI_tuptable;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		MemoryContext old;
		DqAlertDelivery *d;
		DqAlertTransfer *t;
		bool		isnull;
		Datum		v;
		MemoryContext tcxt;

		tcxt = AllocSetContextCreate(worker_cxt, "dq_lineage alert transfer",
									 ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(tcxt);
		d = palloc0(sizeof(DqAlertDelivery));
		d->delivery_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d->route_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		d->route_name = SPI_getvalue(tup, desc, 3);
		d->channel = DqAlertParseChannel(SPI_getvalue(tup, desc, 4));
		d->event = SPI_getvalue(tup, desc, 5);
		d->idempotency_key = SPI_getvalue(tup, desc, 6);
		d->attempts = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
		d->route_owner = SPI_getvalue(tup, desc, 8);
		d->target = SPI_getvalue(tup, desc, 9);
		d->url = SPI_getvalue(tup, desc, 10);
		if (d->channel != DQ_CHANNEL_PAGERDUTY)
			d->url = d->target;
		else if (d->url == NULL)
			d->url = pstrdup(DQ_PAGERDUTY_URL);
		v = SPI_getbinval(tup, desc, 11, &isnull);
		d->timeout_ms = isnull ? dq_alert_timeout : DatumGetInt32(v);
		v = SPI_getbinval(tup, desc, 12, &isnull);
		d->max_attempts = isnull ? dq_alert_max_attempts : DatumGetInt32(v);
		d->headers = text_array_list(SPI_getbinval(tup, desc, 13, &isnull));
		read_alert_columns(d, tup, desc, 14);
		t = palloc0(sizeof(DqAlertTransfer));
		t->d = d;
		t->cxt = tcxt;
		MemoryContextSwitchTo(worker_cxt);
		claimed = lappend(claimed, t);
		MemoryContextSwitchTo(old);
	}
	return n == (uint64) limit;
}

/* Change validation lag (dq.cdc_status) raises or clears its alert. */
static void
check_cdc_lag(void *arg)
{
	SPITupleTable *tt;
	uint64		n;

	DqSpiCheck(SPI_execute("SELECT slot_name, lag_bytes, lag_seconds, lag_exceeded, "
						   "       pg_catalog.json_build_object('slot_name', slot_name, "
						   "         'lag_seconds', lag_seconds, 'lag_bytes', lag_bytes, "
						   "         'worker_pid', worker_pid, 'watched_tables', watched_tables, "
						   "         'last_error', last_error, 'last_error_at', last_error_at)::pg_catalog.text "
						   "  FROM dq.cdc_status", false, 0),
			   SPI_OK_SELECT, "read dq.cdc_status");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		char	   *slot = SPI_getvalue(tup, desc, 1);
		char	   *bytes = SPI_getvalue(tup, desc, 2);
		char	   *secs = SPI_getvalue(tup, desc, 3);
		char	   *exceeded = SPI_getvalue(tup, desc, 4);
		double		lag_s = secs ? strtod(secs, NULL) : 0;
		bool		lagging = (dq_alert_cdc_lag > 0 && lag_s > dq_alert_cdc_lag) ||
			(exceeded && strcmp(exceeded, "t") == 0);
		char	   *key = psprintf("slot:%s", slot ? slot : "");

		if (lagging)
		{
			DqAlertEvent ev;

			memset(&ev, 0, sizeof(ev));
			ev.source = "cdc_lag";
			ev.key = key;
			ev.severity = "error";
			ev.title = psprintf("change validation of database \"%s\" is %.0f s behind (%s bytes of WAL)",
								database_name, lag_s, bytes ? bytes : "?");
			ev.body = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														 CStringGetDatum(SPI_getvalue(tup, desc, 5))));
			(void) DqAlertRaise(&ev);
		}
		else
			(void) DqAlertClear("cdc_lag", key);
	}

	/* a slot that is gone (nothing watched any more) lags no more */
	DqSpiCheck(SPI_execute("SELECT a.source_key FROM dq.alerts a "
						   " WHERE a.source = 'cdc_lag' AND a.state <> 'resolved' "
						   "   AND NOT EXISTS (SELECT 1 FROM dq.cdc_status s "
						   "                    WHERE 'slot:' OPERATOR(pg_catalog.||) s.slot_name = a.source_key)",
						   false, 0),
			   SPI_OK_SELECT, "find the lag alerts of dropped slots");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
		(void) DqAlertClear("cdc_lag", SPI_getvalue(tt->vals[i], tt->tupdesc, 1));
}

/*
 * Delete the deliveries a transaction queued for a route while the route
 * was being dropped, and resolved alerts past dq_lineage.alert_retention
 * (their deliveries and attempts go with them).
 */
static void
prune(void)
{
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];

	DqSpiCheck(SPI_execute("DELETE FROM dq.alert_deliveries d WHERE d.route_id IS NOT NULL "
						   "AND NOT EXISTS (SELECT 1 FROM dq.alert_routes r WHERE r.route_id = d.route_id)",
						   false, 0),
			   SPI_OK_DELETE, "prune orphaned deliveries");
	if (dq_alert_retention <= 0)
		return;
	values[0] = TimestampTzGetDatum(TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																-(int64) dq_alert_retention * 1000));
	DqSpiCheck(SPI_execute_with_args("DELETE FROM dq.alerts WHERE alert_id IN "
									 "(SELECT alert_id FROM dq.alerts WHERE state = 'resolved' "
									 "   AND resolved_at < $1 LIMIT 1000)",
									 1, types, values, NULL, false, 0),
			   SPI_OK_DELETE, "prune dq.alerts");
}

#define NEXT_DUE_IN(channel_test) \
	"(SELECT d.next_attempt_at FROM dq.alert_deliveries d " \
	"   LEFT JOIN dq.alert_routes r ON r.route_id = d.route_id " \
	"  WHERE d.status = 'pending' AND " channel_test \
	"    AND (d.route_id IS NULL OR r.enabled) " \
	"    AND d.delivery_id OPERATOR(pg_catalog.<>) ALL ($1) " \
	"    AND NOT " EARLIER_PENDING \
	"  ORDER BY d.next_attempt_at, d.delivery_id LIMIT 1)"

/* The earliest due time of the two queues (HTTP, NOTIFY). */
static DqAlertStmt st_next_due = {
	"SELECT LEAST(" NEXT_DUE_IN("d.channel <> 'notify'") ", "
	NEXT_DUE_IN("d.channel = 'notify'") ")",
	1, {INT8ARRAYOID}
};

/* The earliest due time of a pending delivery not in flight. */
static void
compute_next_due(void)
{
	Datum		values[1];
	bool		isnull;
	Datum		d;

	values[0] = busy_ids();
	DqSpiCheck(DqAlertExec(&st_next_due, values, NULL, 0), SPI_OK_SELECT, "find the next due delivery");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	next_due = isnull ? DT_NOEND : DatumGetTimestampTz(d);
}

/*
 * One pass in one transaction.  Returns whether there may be more work
 * right away.
 */
static bool
alert_pass(void)
{
	bool		more = false;
	TimestampTz now = GetCurrentTimestamp();

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dq_lineage alert delivery");
	if (!OidIsValid(get_extension_oid("dq_lineage", true)) ||
		!OidIsValid(get_relname_relid("alert_deliveries", get_namespace_oid("dq", true))))
	{
		PopActiveSnapshot();
		CommitTransactionCommand();
		extension_gone = true;
		ereport(DEBUG1,
				(errmsg("dq_lineage alert worker of database %u stops: the extension is not installed",
						MyDatabaseId)));
		proc_exit(0);
	}
	if (database_name == NULL)
		database_name = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId));
	DqSpiConnect();

	record_finished();
	if (deliver_notifies() == NOTIFY_BATCH)
		more = true;
	if (claim_http())
		more = true;
	if (now >= next_check)
	{
		char	   *error;

		(void) DqAlertResolveQuiet("violation", NULL,
								   TimestampTzPlusMilliseconds(now, -(int64) dq_alert_violation_window * 1000));
		error = DqRunProtected(check_cdc_lag, NULL);
		if (error != NULL && !cdc_check_warned)
		{
			ereport(WARNING,
					(errmsg("dq_lineage could not check the change validation lag: %s", error)));
			cdc_check_warned = true;
		}
		next_check = TimestampTzPlusMilliseconds(now, CHECK_INTERVAL_MS);
	}
	if (now >= next_prune)
	{
		prune();
		next_prune = TimestampTzPlusMilliseconds(now, PRUNE_INTERVAL_MS);
	}
	/* while requests are in flight the loop comes back often anyway */
	if (inflight == NIL && claimed == NIL && !more)
		compute_next_due();
	else
		next_due = TimestampTzPlusMilliseconds(now, 1000);

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	/* committed: the recorded transfers are done with */
	forget_transfers(&finished);
	return more;
}

/* Start the claimed requests (after their claim committed). */
static void
start_claimed(void)
{
	ListCell   *lc;
	char		sent_at[MAXDATELEN + 1];
	MemoryContext old = CurrentMemoryContext;

	JsonEncodeDateTime(sent_at, TimestampTzGetDatum(GetCurrentTimestamp()), TIMESTAMPTZOID, NULL);
	foreach(lc, claimed)
	{
		DqAlertTransfer *t = lfirst(lc);
		char	   *host;
		bool		started;

		MemoryContextSwitchTo(t->cxt);
		host = DqAlertUrlHost(t->d->url);
		t->body = DqAlertRenderBody(t->d, database_name, sent_at);
		if (host == NULL || !DqAlertHostAllowed(host))
		{
			/* dq_lineage.alert_allowed_hosts changed since the route was made */
			t->started_at = GetCurrentTimestamp();
			t->retry_after_s = -1;
			t->error = psprintf("host \"%s\" is not allowed by dq_lineage.alert_allowed_hosts",
								host ? host : "");
			t->permanent = true;
			started = false;
		}
		else
			started = DqAlertHttpStart(t, user_agent);
		MemoryContextSwitchTo(worker_cxt);
		t->done = !started;
		if (started)
			inflight = lappend(inflight, t);
		else
			finished = lappend(finished, t);
	}
	list_free(claimed);
	claimed = NIL;
	MemoryContextSwitchTo(old);
}

/* Let curl work for up to wait_ms; move ended transfers to "finished". */
static void
poll_transfers(long wait_ms)
{
	List	   *done;
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(worker_cxt);

	done = DqAlertHttpPoll(wait_ms);
	foreach(lc, done)
	{
		inflight = list_delete_ptr(inflight, lfirst(lc));
		finished = lappend(finished, lfirst(lc));
	}
	list_free(done);
	MemoryContextSwitchTo(old);
}

/* Milliseconds until the next due delivery or periodic check (0..naptime). */
static long
ms_until_due(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next = Min(next_due, next_check);
	long		ms;

	if (next <= now)
		return 0;
	ms = (long) ((next - now + 999) / 1000);
	return Min(ms, WORKER_NAPTIME_MS);
}

void
dq_alert_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	bool		run_pass = true;
	TimestampTz now;
	TimestampTz last_pass = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dq_lineage alert worker");
	DqPinSessionSearchPath();
	SetConfigOption("TimeZone", "UTC", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * Every statement of the worker reads a few rows by key.  The outbox
	 * changes fast and autovacuum may not have analyzed it: keep the
	 * planner to index lookups rather than hashing or bitmap-scanning
	 * whole tables on stale statistics.
	 */
	SetConfigOption("enable_hashjoin", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("enable_mergejoin", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("enable_bitmapscan", "off", PGC_SUSET, PGC_S_OVERRIDE);

	/* never two workers in one database */
	my_db = DqDbTableAttachWorker(DqAlertTable(), dboid);
	if (my_db == NULL)
		proc_exit(0);
	before_shmem_exit(worker_detach, (Datum) 0);

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "dq_lineage alert worker",
									   ALLOCSET_DEFAULT_SIZES);
	user_agent = MemoryContextStrdup(TopMemoryContext, "dq_lineage/0.2.0 (PostgreSQL)");
	DqAlertHttpInit();

	for (;;)
	{
		bool		due;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			run_pass = true;
		}
		if (worker_should_stop())
			proc_exit(0);
		if (!PostmasterIsAlive())
			proc_exit(1);

		now = GetCurrentTimestamp();
		due = run_pass || MyLatch->is_set || now >= Min(next_due, next_check);
		/*
		 * Ended requests are recorded in batches (one commit each): when
		 * nothing else is in flight, when half of them ended, or BATCH_MS
		 * after the last pass.
		 */
		if (!due && finished != NIL)
			due = DqAlertHttpInFlight() == 0 ||
				list_length(finished) >= DqAlertHttpInFlight() ||
				now - last_pass >= BATCH_MS * (int64) 1000;
		if (due)
		{
			/* after an error: retry soon (what was claimed is claimed again) */
			volatile bool more = true;

			last_pass = now;
			ResetLatch(MyLatch);
			PG_TRY();
			{
				more = alert_pass();
			}
			PG_CATCH();
			{
				EmitErrorReport();
				FlushErrorState();
				AbortCurrentTransaction();
				/* the ended requests stay to be recorded */
				forget_transfers(&claimed);
				pg_usleep(1000000L);
			}
			PG_END_TRY();
			start_claimed();
			run_pass = more;
		}

		if (DqAlertHttpInFlight() > 0)
			poll_transfers(run_pass ? 0 : finished != NIL ? BATCH_MS : Min(POLL_MS, ms_until_due()));
		else if (!run_pass && finished == NIL)
		{
			long		ms = ms_until_due();

			if (ms > 0)
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 ms, PG_WAIT_EXTENSION);
		}
	}
}
