/*-------------------------------------------------------------------------
 *
 * alert_sql.c
 *	  SQL functions of the alert subsystem: routes, acknowledging,
 *	  resolving and snoozing alerts, raising and clearing alerts of
 *	  monitors, and the delivery worker's status.
 *
 * Every argument is checked before anything is written.  The writes are
 * made as the extension owner (trust.c): PUBLIC cannot write the dq.alert*
 * tables.  Who may act on an alert is who may see it (the row-level
 * security policy of dq.alerts, checked with the caller's rights); a route
 * is changed or dropped only by its owner (or a member of the owning
 * role, or a superuser).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "alert/alert_internal.h"
#include "base/spi_util.h"
#include "base/trust.h"

PG_FUNCTION_INFO_V1(dq_alert_route);
PG_FUNCTION_INFO_V1(dq_drop_alert_route);
PG_FUNCTION_INFO_V1(dq_set_alert_route_enabled);
PG_FUNCTION_INFO_V1(dq_ack_alert);
PG_FUNCTION_INFO_V1(dq_resolve_alert);
PG_FUNCTION_INFO_V1(dq_snooze_alert);
PG_FUNCTION_INFO_V1(dq_raise_alert);
PG_FUNCTION_INFO_V1(dq_clear_alert);
PG_FUNCTION_INFO_V1(dq_alert_status);

/* Longest route name. */
#define ROUTE_NAME_MAX 200
/* Longest alert key of dq.raise_alert. */
#define ALERT_KEY_MAX 500

static Jsonb *
empty_object(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

/* May the current user change an object owned by role "owner"? */
static bool
may_manage(const char *owner)
{
	Oid			roleid = get_role_oid(owner, true);

	if (superuser())
		return true;
	return OidIsValid(roleid) && has_privs_of_role(GetUserId(), roleid);
}

/*
 * Lock the route called name for a change; false when there is none.  An
 * error with this hint when the current user may not manage it (the
 * check runs as the caller, not as the extension owner).  Called, and
 * returns, connected to SPI as the extension owner.
 */
static bool
lock_managed_route(const char *name, DqOwnerContext *owner_ctx,
				   const char *hint)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *owner_name;

	values[0] = CStringGetTextDatum(name);
	if (DqSpiRunArgs("SELECT owner FROM dq.alert_routes WHERE name = $1 FOR UPDATE",
					 1, types, values, NULL, false, SPI_OK_SELECT,
					 "read dq.alert_routes") == 0)
		return false;
	owner_name = DqSpiText(0, 1);
	DqRestoreUser(owner_ctx);
	if (!may_manage(owner_name))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("alert route \"%s\" belongs to role \"%s\"", name, owner_name),
				 errhint("%s", hint)));
	DqBecomeExtensionOwner(owner_ctx);
	return true;
}

/*
 * dq.alert_route(name, match, channel, target, options): create a route,
 * or replace the current user's route of that name.  Returns its id.
 */
Datum
dq_alert_route(PG_FUNCTION_ARGS)
{
	char	   *name;
	Jsonb	   *match;
	Jsonb	   *options;
	char	   *channel_name;
	char	   *target;
	DqAlertChannel channel;
	char	   *me = GetUserNameFromId(GetUserId(), false);
	DqOwnerContext owner_ctx;
	int64		route_id = 0;

	DqRequireArg(fcinfo, 0, "name", "Name the route, for example 'data-team-slack'.");
	DqRequireArg(fcinfo, 2, "channel", "Use notify, webhook, slack or pagerduty.");
	DqRequireArg(fcinfo, 3, "target", "Give the NOTIFY channel, the URL or the PagerDuty routing key.");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	match = PG_ARGISNULL(1) ? empty_object() : PG_GETARG_JSONB_P(1);
	channel_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	target = text_to_cstring(PG_GETARG_TEXT_PP(3));
	options = PG_ARGISNULL(4) ? empty_object() : PG_GETARG_JSONB_P(4);

	if (name[0] == '\0' || strlen(name) > ROUTE_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alert route names have 1 to %d bytes", ROUTE_NAME_MAX),
				 errhint("Name the route, for example 'data-team-slack'.")));
	channel = DqAlertParseChannel(channel_name);
	DqAlertCheckMatch(match, name);
	DqAlertCheckOptions(options, channel, name);
	DqAlertCheckTarget(channel, target, name);

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	for (int attempt = 0; route_id == 0; attempt++)
	{
		Oid			types[6] = {TEXTOID, JSONBOID, TEXTOID, TEXTOID, JSONBOID, NAMEOID};
		Datum		values[6];
		NameData	owner;
		bool		isnull;

		namestrcpy(&owner, me);
		values[0] = CStringGetTextDatum(name);
		values[1] = JsonbPGetDatum(match);
		values[2] = CStringGetTextDatum(DqAlertChannelName(channel));
		values[3] = CStringGetTextDatum(target);
		values[4] = JsonbPGetDatum(options);
		values[5] = NameGetDatum(&owner);
		if (lock_managed_route(name, &owner_ctx,
							   "Choose another name for your route."))
		{
			/* pending deliveries go out on the route's new channel */
			DqSpiRunOneRow("WITH r AS (UPDATE dq.alert_routes SET match = $2, channel = $3, "
						   "       target = $4, options = $5, updated_at = pg_catalog.now() "
						   " WHERE name = $1 RETURNING route_id), "
						   "d AS (UPDATE dq.alert_deliveries d SET channel = $3 FROM r "
						   " WHERE d.route_id = r.route_id AND d.status = 'pending' "
						   "   AND d.channel <> $3) "
						   "SELECT route_id FROM r",
						   5, types, values, NULL, false, SPI_OK_SELECT,
						   "update dq.alert_routes");
		}
		else
		{
			if (attempt >= 3)
				elog(ERROR, "could not insert into dq.alert_routes");
			if (DqSpiRunArgs("INSERT INTO dq.alert_routes (name, match, channel, target, options, owner) "
							 "VALUES ($1, $2, $3, $4, $5, $6) "
							 "ON CONFLICT (name) DO NOTHING RETURNING route_id",
							 6, types, values, NULL, false, SPI_OK_INSERT_RETURNING,
							 "insert into dq.alert_routes") != 1)
				continue;		/* created concurrently: update it */
		}
		route_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	DqRestoreUser(&owner_ctx);
	SPI_finish();
	DqAlertRoutesChanged();
	PG_RETURN_INT64(route_id);
}

/*
 * Run sql ($1 the route's name) on the route called name, locked, as the
 * extension owner once the current user is found to manage it; false when
 * there is no such route.  hint: see lock_managed_route.
 */
static bool
change_managed_route(const char *name, const char *hint, const char *sql,
					 int nargs, Oid *types, Datum *values, int expected,
					 const char *what)
{
	DqOwnerContext owner_ctx;
	bool		found;

	values[0] = CStringGetTextDatum(name);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	found = lock_managed_route(name, &owner_ctx, hint);
	if (found)
		DqSpiRunArgs(sql, nargs, types, values, NULL, false, expected, what);
	DqRestoreUser(&owner_ctx);
	SPI_finish();
	DqAlertRoutesChanged();
	return found;
}

/*
 * dq.drop_alert_route(name): delete a route and its deliveries; false
 * when there is no route of that name.
 *
 * No foreign key ties the deliveries to their route, so that queuing a
 * delivery never waits for a route's lock; the few a concurrent
 * transaction may still queue are removed by the delivery worker.
 */
Datum
dq_drop_alert_route(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	DqRequireArg(fcinfo, 0, "name", "Name the route to drop; SELECT name FROM dq.alert_routes lists yours.");
	PG_RETURN_BOOL(change_managed_route(text_to_cstring(PG_GETARG_TEXT_PP(0)),
										"Only the route's owner or a superuser may drop it.",
										"WITH r AS (DELETE FROM dq.alert_routes WHERE name = $1 RETURNING route_id) "
										"DELETE FROM dq.alert_deliveries d USING r WHERE d.route_id = r.route_id",
										1, types, values, SPI_OK_DELETE,
										"delete from dq.alert_routes"));
}

/*
 * dq.set_alert_route_enabled(name, enabled): a disabled route takes no new
 * alerts and its pending deliveries wait.  False when there is no route of
 * that name.
 */
Datum
dq_set_alert_route_enabled(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2];
	bool		found;

	DqRequireArg(fcinfo, 0, "name", "Name the route; SELECT name FROM dq.alert_routes lists yours.");
	DqRequireArg(fcinfo, 1, "enabled", "Pass true or false.");
	values[1] = PG_GETARG_DATUM(1);
	found = change_managed_route(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								 "Only the route's owner or a superuser may change it.",
								 "UPDATE dq.alert_routes SET enabled = $2, updated_at = pg_catalog.now() "
								 " WHERE name = $1",
								 2, types, values, SPI_OK_UPDATE,
								 "update dq.alert_routes");
	if (found && PG_GETARG_BOOL(1))
		DqAlertWakeAtCommit();	/* its waiting deliveries may go */
	PG_RETURN_BOOL(found);
}

/*
 * The state of an alert the caller may see; an error when there is none.
 * Read with the caller's rights, so that row-level security applies.
 */
static char *
visible_alert_state(int64 alert_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state = NULL;
	MemoryContext outer = CurrentMemoryContext;

	values[0] = Int64GetDatum(alert_id);
	DqSpiConnect();
	if (DqSpiRunArgs("SELECT state FROM dq.alerts WHERE alert_id = $1",
					 1, types, values, NULL, false, SPI_OK_SELECT,
					 "read dq.alerts") == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);

		state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	if (state == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("alert " INT64_FORMAT " does not exist", alert_id),
				 errhint("SELECT * FROM dq.alerts lists the alerts you may see.")));
	return state;
}

static int64
alert_id_arg(FunctionCallInfo fcinfo)
{
	DqRequireArg(fcinfo, 0, "alert_id", "Give the alert_id of a row of dq.alerts.");
	return PG_GETARG_INT64(0);
}

/* dq.ack_alert(alert_id): someone is on it.  False when already acknowledged. */
Datum
dq_ack_alert(PG_FUNCTION_ARGS)
{
	int64		alert_id = alert_id_arg(fcinfo);
	char	   *state = visible_alert_state(alert_id);

	if (strcmp(state, "resolved") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("alert " INT64_FORMAT " is resolved", alert_id),
				 errhint("A new failure of the same check opens a new alert.")));
	PG_RETURN_BOOL(DqAlertAcknowledge(alert_id, GetUserNameFromId(GetUserId(), false)));
}

/* dq.resolve_alert(alert_id): close it by hand.  False when already resolved. */
Datum
dq_resolve_alert(PG_FUNCTION_ARGS)
{
	int64		alert_id = alert_id_arg(fcinfo);

	(void) visible_alert_state(alert_id);
	PG_RETURN_BOOL(DqAlertResolveById(alert_id, GetUserNameFromId(GetUserId(), false)));
}

/*
 * dq.snooze_alert(alert_id, until): nothing more is sent about the alert
 * before "until"; the first failure after it opens it again and notifies.
 * NULL ends a snooze now.
 */
Datum
dq_snooze_alert(PG_FUNCTION_ARGS)
{
	int64		alert_id = alert_id_arg(fcinfo);
	char	   *state = visible_alert_state(alert_id);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz until = PG_ARGISNULL(1) ? now : PG_GETARG_TIMESTAMPTZ(1);

	if (strcmp(state, "resolved") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("alert " INT64_FORMAT " is resolved", alert_id),
				 errhint("A new failure of the same check opens a new alert.")));
	if (!PG_ARGISNULL(1) && (until <= now || TIMESTAMP_NOT_FINITE(until)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a snooze must end in the future"),
				 errhint("For example now() + interval '2 hours'; NULL ends a snooze.")));
	DqAlertSnooze(alert_id, until);
	PG_RETURN_VOID();
}

/* The source argument of dq.raise_alert and dq.clear_alert. */
static char *
raisable_source(FunctionCallInfo fcinfo)
{
	char	   *source;

	DqRequireArg(fcinfo, 0, "source", "Use anomaly, schema_change or monitor.");
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (DqAlertSourceValid(source) && !DqAlertSourceRaisable(source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alerts of source \"%s\" are raised and resolved by the extension itself", source),
				 errhint("Monitors use the sources anomaly, schema_change and monitor.")));
	if (!DqAlertSourceRaisable(source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized alert source \"%s\"", source),
				 errhint("Monitors use the sources anomaly, schema_change and monitor.")));
	return source;
}

static char *
alert_key_arg(FunctionCallInfo fcinfo, int arg)
{
	char	   *key;

	DqRequireArg(fcinfo, arg, "key", "The key names the failing check, for example 'row_count:public.orders'.");
	key = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	if (key[0] == '\0' || strlen(key) > ALERT_KEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alert keys have 1 to %d bytes", ALERT_KEY_MAX),
				 errhint("The key names the failing check, for example 'row_count:public.orders'.")));
	return key;
}

/*
 * dq.raise_alert(source, key, severity, title, body, rel, column_name):
 * record a failure found by a monitor, in the caller's transaction.
 */
Datum
dq_raise_alert(PG_FUNCTION_ARGS)
{
	DqAlertEvent ev;
	Jsonb	   *body;

	memset(&ev, 0, sizeof(ev));
	ev.source = raisable_source(fcinfo);
	ev.key = alert_key_arg(fcinfo, 1);
	DqRequireArg(fcinfo, 2, "severity", "Use warn, error or critical.");
	ev.severity = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (DqAlertSeverityRank(ev.severity) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized alert severity \"%s\"", ev.severity),
				 errhint("Use warn, error or critical.")));
	DqRequireArg(fcinfo, 3, "title", "Say in one line what failed.");
	ev.title = text_to_cstring(PG_GETARG_TEXT_PP(3));
	body = PG_ARGISNULL(4) ? empty_object() : PG_GETARG_JSONB_P(4);
	if (!JB_ROOT_IS_OBJECT(body))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the body of an alert must be a JSON object"),
				 errhint("For example '{\"observed\": 0, \"expected_min\": 1000}'.")));
	ev.body = body;
	if (!PG_ARGISNULL(5))
	{
		ev.relid = PG_GETARG_OID(5);
		if (!OidIsValid(ev.relid) || get_rel_name(ev.relid) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %u does not exist", ev.relid),
					 errhint("Name an existing relation, or pass NULL.")));
		if (pg_class_aclcheck(ev.relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", get_rel_name(ev.relid)),
					 errhint("Alerts about a relation can only be raised by roles that may read it.")));
	}
	if (!PG_ARGISNULL(6))
	{
		ev.column_name = NameStr(*PG_GETARG_NAME(6));
		if (!OidIsValid(ev.relid))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column_name needs rel"),
					 errhint("Name the relation the column belongs to.")));
		if (get_attnum(ev.relid, ev.column_name) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							ev.column_name, get_rel_name(ev.relid)),
					 errhint("List the columns with \\d %s.", get_rel_name(ev.relid))));
	}
	ev.owner = GetUserId();
	PG_RETURN_INT64(DqAlertRaise(&ev));
}

/* dq.clear_alert(source, key): the check passed; true if an alert was resolved. */
Datum
dq_clear_alert(PG_FUNCTION_ARGS)
{
	char	   *source = raisable_source(fcinfo);
	char	   *key = alert_key_arg(fcinfo, 1);

	PG_RETURN_BOOL(DqAlertClear(source, key));
}

/* dq.alert_status(): the launcher, this database's delivery worker, its state. */
Datum
dq_alert_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			launcher_pid;
	int			worker_pid;
	const char *state;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	DqAlertStatus(&launcher_pid, &worker_pid, &state);
	values[0] = Int32GetDatum(launcher_pid);
	nulls[0] = launcher_pid == 0;
	values[1] = Int32GetDatum(worker_pid);
	nulls[1] = worker_pid == 0;
	values[2] = CStringGetTextDatum(state);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
