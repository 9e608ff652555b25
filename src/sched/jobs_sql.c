/*-------------------------------------------------------------------------
 *
 * jobs_sql.c
 *	  dq.schedule, dq.unschedule and dq.alter_job.
 *
 * A job belongs to the role that schedules it (the current user) and runs
 * with that role's rights; nobody can schedule a command that runs as
 * someone else.  Job names are unique per owner: another role's job of
 * the same name neither blocks nor is touched by yours.  Roles see and
 * change only the jobs of roles whose privileges they have (row-level
 * security on dq.jobs says the same for reading); a name is looked up
 * among the caller's own jobs first.  Everything is checked before anything is written: the
 * schedule, the time zone, the command's syntax and whether the owner can
 * log in (a job worker connects as its owner), the retries and the job a
 * job runs after (one the caller may change, with no cycle).  Writes to dq.jobs are
 * made as the extension owner; the scheduler of the database is woken
 * when the transaction commits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/spi_util.h"
#include "sched/cron.h"
#include "sched/worker.h"

static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *s;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	s = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (s[strspn(s, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	return s;
}

/* Syntax check of a job's command; raises the parser's error. */
static void
check_command(const char *command)
{
	if (pg_parse_query(command) == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("command must contain at least one SQL statement")));
}

static void
check_time_zone(const char *tz)
{
	if (tz != NULL && tz[0] != '\0')
		(void) DqScheduleTimeZone(tz);
}

/*
 * The database a job runs in: NULL for this one (named or not), else the
 * name, once it is known that the owner may connect to it.
 */
static char *
check_database(const char *name, Oid owner)
{
	Oid			dboid;
	HeapTuple	tup;
	Form_pg_database db;
	bool		usable;

	if (name == NULL || name[0] == '\0')
		return NULL;
	dboid = get_database_oid(name, true);
	if (!OidIsValid(dboid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("database \"%s\" does not exist", name),
				 errhint("Name a database of this cluster, or leave database NULL to run the job in this one.")));
	if (dboid == MyDatabaseId)
		return NULL;
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for database %u", dboid);
	db = (Form_pg_database) GETSTRUCT(tup);
	usable = db->datallowconn && !db->datistemplate;
	ReleaseSysCache(tup);
	if (!usable)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" cannot run jobs", name),
				 errdetail("It is a template or does not allow connections."),
				 errhint("Name a database that accepts connections.")));
	if (pg_database_aclcheck(dboid, owner, ACL_CONNECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for database %s", name),
				 errhint("A job runs as you: you need the CONNECT privilege on the database.")));
	return pstrdup(name);
}

/* The current user must be able to own a job. */
static bool
check_owner(Oid owner)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	bool		canlogin;
	bool		super;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", owner);
	canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	super = ((Form_pg_authid) GETSTRUCT(tup))->rolsuper;
	ReleaseSysCache(tup);
	if (!canlogin)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("role \"%s\" cannot own a job because it cannot log in",
						GetUserNameFromId(owner, false)),
				 errhint("A job runs in a background worker connected as its owner: schedule it as a role with LOGIN.")));
	return super;
}

static void
warn_if_not_running(void)
{
	if (!DqShmemAvailable())
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the job will not run: dq_lineage is not in shared_preload_libraries"),
				 errhint("Add dq_lineage to shared_preload_libraries and restart the server.")));
	else if (!dq_scheduler_enabled)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the job will not run while dq_lineage.scheduler is off"),
				 errhint("Set dq_lineage.scheduler = on and reload the configuration.")));
}

/*
 * The job of owner named job_name, locked; returns its id, 0 if there is
 * none.  Runs inside SPI as the extension owner.
 */
static int64
find_job(const char *job_name, Oid owner)
{
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2] = {CStringGetTextDatum(job_name), ObjectIdGetDatum(owner)};

	DqSpiRunArgs("SELECT job_id FROM dq.jobs WHERE job_name OPERATOR(pg_catalog.=) $1 "
				 "AND owner OPERATOR(pg_catalog.=) $2::pg_catalog.regrole FOR UPDATE",
				 2, types, values, NULL, false, SPI_OK_SELECT,
				 "look up a job");
	return SPI_processed == 0 ? 0 : DqSpiInt64(0, 1);
}

/*
 * A job the caller may change, by name: the caller's own, else the only
 * one of that name among the roles whose privileges the caller has.
 * Raises "does not exist" when there is none, and asks for SET ROLE when
 * several roles have one.
 */
static int64
find_own_job(const char *job_name, Oid caller, Oid *job_owner)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int64		job_id = find_job(job_name, caller);
	int64		found = 0;
	int			nfound = 0;

	*job_owner = caller;
	if (job_id != 0)
		return job_id;
	values[0] = CStringGetTextDatum(job_name);
	DqSpiRunArgs("SELECT job_id, owner::pg_catalog.oid FROM dq.jobs "
				 "WHERE job_name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
				 1, types, values, NULL, false, SPI_OK_SELECT,
				 "look up a job");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 2, &isnull));

		if (!has_privs_of_role(caller, owner))
			continue;
		found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1, &isnull));
		*job_owner = owner;
		nfound++;
	}
	if (nfound == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job \"%s\" does not exist", job_name),
				 errhint("dq.jobs lists the jobs you own.")));
	if (nfound > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("job name \"%s\" is ambiguous", job_name),
				 errdetail("Several roles whose privileges you have own a job of that name."),
				 errhint("SET ROLE to the job's owner first.")));
	return found;
}

/* retries: a count from 0 to 100. */
static int32
check_retries(FunctionCallInfo fcinfo, int argno)
{
	int32		retries = PG_GETARG_INT32(argno);

	if (retries < 0 || retries > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retries must be between 0 and 100, not %d", retries),
				 errhint("retries is how many times a failed run is tried again; 0 never tries again.")));
	return retries;
}

/* retry_delay: a non-negative interval without months. */
static Datum
check_retry_delay(FunctionCallInfo fcinfo, int argno)
{
	Interval   *iv = PG_GETARG_INTERVAL_P(argno);

	if (iv->month != 0 || iv->day < 0 || iv->time < 0 ||
		iv->time / USECS_PER_SEC + (int64) iv->day * SECS_PER_DAY > (int64) 30 * SECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retry_delay must be an interval from 0 to 30 days, without months"),
				 errhint("Give the time from a failed attempt to the next, for example interval '5 minutes'.")));
	return PG_GETARG_DATUM(argno);
}

/*
 * The job a job runs after (named by after, found as dq.unschedule finds
 * a job), refusing a cycle: walking up from it through after_job must not
 * come back to job_id (0 for a job not created yet).  Inside SPI, as the
 * extension owner.
 */
static int64
find_upstream(const char *after, const char *job_name, int64 job_id, Oid caller)
{
	Oid			upstream_owner;
	int64		upstream = find_own_job(after, caller, &upstream_owner);
	int64		at = upstream;
	int			depth = 0;
	Oid			types[1] = {INT8OID};

	while (at != 0)
	{
		Datum		values[1];
		bool		isnull;
		Datum		next;

		if (at == job_id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("job \"%s\" cannot run after job \"%s\": the dependencies would form a cycle",
							job_name, after),
					 upstream == job_id ?
					 errdetail("A job cannot run after itself.") :
					 errdetail("Job \"%s\" already runs, directly or through other jobs, after job \"%s\".",
							   after, job_name),
					 errhint("Give one of the jobs a schedule of its own with dq.alter_job(..., schedule => ...).")));
		if (++depth > 1000)
			break;				/* a longer chain cannot hold job_id: no cycle */
		values[0] = Int64GetDatum(at);
		DqSpiRunArgs("SELECT after_job FROM dq.jobs WHERE job_id OPERATOR(pg_catalog.=) $1",
					 1, types, values, NULL, false, SPI_OK_SELECT,
					 "follow the dependencies of a job");
		if (SPI_processed == 0)
			break;
		next = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		at = isnull ? 0 : DatumGetInt64(next);
	}
	return upstream;
}

/* Does dq.jobs have after_job (the SQL objects of 0.2.0)? */
static bool
jobs_have_after_job(void)
{
	Oid			relid = get_relname_relid("jobs", get_namespace_oid("dq", false));

	return OidIsValid(relid) && get_attnum(relid, "after_job") != InvalidAttrNumber;
}

static void
connect_as_owner(DqOwnerContext *owner)
{
	DqSpiConnect();
	DqBecomeExtensionOwner(owner);
}

static void
disconnect(DqOwnerContext *owner)
{
	DqRestoreUser(owner);
	SPI_finish();
	DqWakeSchedulerAtCommit();
}

/*
 * dq.schedule(job_name text, schedule text, command text, timezone text,
 *			   database name, retries integer, retry_delay interval,
 *			   after text)
 *		Create or update a job; returns its id.  With after, schedule is
 *		NULL: the job runs after each successful run of that job.  0.1.0's
 *		definition has the first five arguments only.
 */
PG_FUNCTION_INFO_V1(dq_schedule);
Datum
dq_schedule(PG_FUNCTION_ARGS)
{
	bool		v2 = PG_NARGS() >= 8;
	char	   *job_name = required_text(fcinfo, 0, "job name");
	char	   *after = (v2 && !PG_ARGISNULL(7)) ? required_text(fcinfo, 7, "after") : NULL;
	char	   *schedule = NULL;
	char	   *command = required_text(fcinfo, 2, "command");
	char	   *tz = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *database = PG_ARGISNULL(4) ? NULL : NameStr(*PG_GETARG_NAME(4));
	Oid			caller = GetUserId();
	bool		super;
	DqSchedule	sched;
	DqOwnerContext owner;
	int64		job_id;
	Oid			types[10] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, OIDOID, BOOLOID, NAMEOID,
	INT4OID, INTERVALOID, INT8OID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 'n'};

	if (after == NULL)
	{
		schedule = required_text(fcinfo, 1, "schedule");
		DqParseSchedule(schedule, &sched);
	}
	else if (!PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a job that runs after another job has no schedule of its own"),
				 errhint("Pass schedule => NULL with after, or leave after NULL to run the job on its schedule.")));
	check_time_zone(tz);
	check_command(command);
	super = check_owner(caller);
	database = check_database(database, caller);
	if (database == NULL)
		nulls[6] = 'n';
	else
		values[6] = CStringGetDatum(database);
	if (v2)
	{
		if (PG_ARGISNULL(5) || PG_ARGISNULL(6))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", PG_ARGISNULL(5) ? "retries" : "retry_delay"),
					 errhint("Leave the argument out to take its default.")));
		values[7] = Int32GetDatum(check_retries(fcinfo, 5));
		values[8] = check_retry_delay(fcinfo, 6);
	}

	values[0] = CStringGetTextDatum(job_name);
	values[1] = schedule ? CStringGetTextDatum(schedule) : (Datum) 0;
	if (schedule == NULL)
		nulls[1] = 'n';
	values[2] = CStringGetTextDatum(command);
	if (tz == NULL || tz[0] == '\0')
		nulls[3] = 'n';
	else
		values[3] = CStringGetTextDatum(tz);
	values[4] = ObjectIdGetDatum(caller);
	values[5] = BoolGetDatum(super);

	connect_as_owner(&owner);
	job_id = find_job(job_name, caller);
	if (after != NULL)
	{
		values[9] = Int64GetDatum(find_upstream(after, job_name, job_id, caller));
		nulls[9] = ' ';
	}
	if (job_id == 0)
		job_id = DqSpiInsertReturningId(psprintf("INSERT INTO dq.jobs (job_name, schedule, command, timezone, "
												  "owner, superuser, database%s) "
												  "VALUES ($1, $2, $3, $4, $5::pg_catalog.regrole, $6, $7%s) "
												  "RETURNING job_id",
												  v2 ? ", retries, retry_delay, after_job" : "",
												  v2 ? ", $8, $9, $10" : ""),
										v2 ? 10 : 7, types, values, nulls, "insert a job");
	else
		DqSpiRunArgs(psprintf("UPDATE dq.jobs SET schedule = $2, command = $3, timezone = $4, "
							  "superuser = $6, database = $7, updated_at = pg_catalog.now(), "
							  "schedule_anchor = CASE WHEN schedule IS DISTINCT FROM $2 "
							  "OR timezone IS DISTINCT FROM $4 THEN pg_catalog.now() ELSE schedule_anchor END%s "
							  "WHERE job_name OPERATOR(pg_catalog.=) $1 "
							  "AND owner OPERATOR(pg_catalog.=) $5::pg_catalog.regrole",
							  v2 ? ", retries = $8, retry_delay = $9, after_job = $10" : ""),
					 v2 ? 10 : 7, types, values, nulls, false, SPI_OK_UPDATE,
					 "update a job");
	disconnect(&owner);
	warn_if_not_running();
	PG_RETURN_INT64(job_id);
}

/*
 * dq.unschedule(job_name text): delete a job and its run history.
 */
PG_FUNCTION_INFO_V1(dq_unschedule);
Datum
dq_unschedule(PG_FUNCTION_ARGS)
{
	char	   *job_name = required_text(fcinfo, 0, "job name");
	DqOwnerContext owner;
	int64		job_id;
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	Oid			job_owner;

	connect_as_owner(&owner);
	job_id = find_own_job(job_name, owner.save_userid, &job_owner);
	values[0] = Int64GetDatum(job_id);
	if (jobs_have_after_job())
	{
		DqSpiRunArgs("SELECT pg_catalog.string_agg(pg_catalog.quote_ident(job_name), ', ' ORDER BY job_name), "
					 "pg_catalog.count(*) "
					 "FROM dq.jobs WHERE after_job OPERATOR(pg_catalog.=) $1",
					 1, types, values, NULL, false, SPI_OK_SELECT,
					 "read the jobs that run after a job");
		if (SPI_processed == 1 &&
			SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot unschedule job \"%s\" because other jobs run after it", job_name),
					 errdetail("Jobs that run after it: %s.",
							   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
					 errhint("Unschedule those jobs first, or give them a schedule of their own with dq.alter_job(..., schedule => ...).")));
	}
	DqSpiRunArgs("DELETE FROM dq.jobs WHERE job_id OPERATOR(pg_catalog.=) $1",
				 1, types, values, NULL, false, SPI_OK_DELETE,
				 "delete a job");
	disconnect(&owner);
	PG_RETURN_BOOL(true);
}

/*
 * dq.alter_job(job_name, schedule, command, enabled, timezone,
 *				statement_timeout, database, retries, retry_delay, after):
 * change what is not NULL.  An empty timezone goes back to
 * dq_lineage.timezone; a zero statement_timeout goes back to the role's
 * and server's setting.  A job runs on a schedule or after another job:
 * a schedule replaces the job it ran after, after replaces the schedule,
 * after '' makes it run on its (given) schedule again.  0.1.0's
 * definition has the first seven arguments only.
 */
PG_FUNCTION_INFO_V1(dq_alter_job);
Datum
dq_alter_job(PG_FUNCTION_ARGS)
{
	char	   *job_name = required_text(fcinfo, 0, "job name");
	char	   *schedule = NULL;
	char	   *command = NULL;
	char	   *tz = NULL;
	DqOwnerContext owner;
	int64		job_id;
	Oid			types[12] = {INT8OID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, INTERVALOID, BOOLOID, NAMEOID,
	INT4OID, INTERVALOID, INT8OID, BOOLOID};
	Datum		values[12];
	char		nulls[12] = {' ', 'n', 'n', 'n', 'n', 'n', ' ', 'n', 'n', 'n', 'n', ' '};
	Oid			job_owner;
	bool		v2 = PG_NARGS() >= 10;
	char	   *after = (v2 && !PG_ARGISNULL(9)) ? text_to_cstring(PG_GETARG_TEXT_PP(9)) : NULL;

	if (!PG_ARGISNULL(1))
	{
		DqSchedule	sched;

		schedule = required_text(fcinfo, 1, "schedule");
		DqParseSchedule(schedule, &sched);
		values[1] = CStringGetTextDatum(schedule);
		nulls[1] = ' ';
	}
	if (!PG_ARGISNULL(2))
	{
		command = required_text(fcinfo, 2, "command");
		check_command(command);
		values[2] = CStringGetTextDatum(command);
		nulls[2] = ' ';
	}
	if (!PG_ARGISNULL(3))
	{
		values[3] = PG_GETARG_DATUM(3);
		nulls[3] = ' ';
	}
	if (!PG_ARGISNULL(4))
	{
		tz = text_to_cstring(PG_GETARG_TEXT_PP(4));
		check_time_zone(tz);
		values[4] = CStringGetTextDatum(tz);
		nulls[4] = ' ';
	}
	if (!PG_ARGISNULL(5))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(5);

		if (iv->month != 0 || iv->day < 0 || iv->time < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("statement_timeout must be a non-negative interval without months")));
		values[5] = PG_GETARG_DATUM(5);
		nulls[5] = ' ';
	}

	if (v2 && !PG_ARGISNULL(7))
	{
		values[8] = Int32GetDatum(check_retries(fcinfo, 7));
		nulls[8] = ' ';
	}
	if (v2 && !PG_ARGISNULL(8))
	{
		values[9] = check_retry_delay(fcinfo, 8);
		nulls[9] = ' ';
	}
	if (after != NULL && after[0] != '\0' && schedule != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a job that runs after another job has no schedule of its own"),
				 errhint("Pass either schedule or after: a schedule replaces the job it ran after, after replaces the schedule.")));

	connect_as_owner(&owner);
	job_id = find_own_job(job_name, owner.save_userid, &job_owner);
	values[0] = Int64GetDatum(job_id);
	/* after: '' makes the job run on its schedule again, a name after that job */
	values[11] = BoolGetDatum(after != NULL && after[0] == '\0');
	if (after != NULL && after[0] != '\0')
	{
		values[10] = Int64GetDatum(find_upstream(after, job_name, job_id, owner.save_userid));
		nulls[10] = ' ';
	}
	else if (after != NULL && schedule == NULL)
	{
		Oid			t1[1] = {INT8OID};

		DqSpiRunArgs("SELECT 1 FROM dq.jobs WHERE job_id OPERATOR(pg_catalog.=) $1 AND schedule IS NULL",
					 1, t1, values, NULL, false, SPI_OK_SELECT,
					 "read a job");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("job \"%s\" would have neither a schedule nor a job to run after", job_name),
					 errhint("Pass a schedule together with after => ''.")));
	}

	/* database: NULL keeps it, '' or this database's name means this one */
	values[6] = BoolGetDatum(!PG_ARGISNULL(6));
	if (!PG_ARGISNULL(6))
	{
		char	   *database = check_database(NameStr(*PG_GETARG_NAME(6)), job_owner);

		if (database != NULL)
		{
			values[7] = CStringGetDatum(database);
			nulls[7] = ' ';
		}
	}
	DqSpiRunArgs(psprintf("UPDATE dq.jobs SET "
				 "schedule_anchor = CASE WHEN coalesce($2, schedule) IS DISTINCT FROM schedule "
				 "OR ($5 IS NOT NULL AND (CASE WHEN $5 OPERATOR(pg_catalog.=) '' THEN NULL ELSE $5 END) "
				 "    IS DISTINCT FROM timezone) "
				 "OR ($4 AND NOT enabled) THEN pg_catalog.now() ELSE schedule_anchor END, "
				 "schedule = %s, "
				 "command = coalesce($3, command), "
				 "enabled = coalesce($4, enabled), "
				 "timezone = CASE WHEN $5 IS NULL THEN timezone "
				 "  WHEN $5 OPERATOR(pg_catalog.=) '' THEN NULL ELSE $5 END, "
				 "statement_timeout = CASE WHEN $6 IS NULL THEN statement_timeout "
				 "WHEN $6 OPERATOR(pg_catalog.=) '0'::pg_catalog.interval THEN NULL ELSE $6 END, "
				 "database = CASE WHEN $7 THEN $8 ELSE database END, "
				 "updated_at = pg_catalog.now()%s WHERE job_id OPERATOR(pg_catalog.=) $1",
						 v2 ? "CASE WHEN $11 IS NOT NULL THEN NULL ELSE coalesce($2, schedule) END" :
						 "coalesce($2, schedule)",
						 v2 ? ", retries = coalesce($9, retries), "
						 "retry_delay = coalesce($10, retry_delay), "
						 "after_job = CASE WHEN $11 IS NOT NULL THEN $11 "
						 "  WHEN $2 IS NOT NULL OR $12 THEN NULL ELSE after_job END" : ""),
				 v2 ? 12 : 8, types, values, nulls, false, SPI_OK_UPDATE,
				 "update a job");

	disconnect(&owner);
	if (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3))
		warn_if_not_running();
	PG_RETURN_INT64(job_id);
}
