/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Definitions of the dq_lineage.* configuration parameters.
 *
 * Profiling parameters are user-settable and need no preloading; the
 * scheduler's are read by the background worker (PGC_SIGHUP) and
 * dq_lineage.max_databases sizes shared memory (server start).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "pgtime.h"
#include "utils/guc.h"

#include "base/compat.h"
#include "base/guc.h"

/* Number of most frequent values a profile reports per column. */
int			dq_profile_top_k = 10;
int			dq_scan_workers = -1;

/* Number of buckets of the equi-height histogram of a profile. */
int			dq_profile_histogram_buckets = 10;

/* sensitive-data detection (docs/sensitive-data.md) */
bool		dq_detect_sensitive = true;
double		dq_sensitive_min_share = 0.8;
double		dq_sensitive_min_confidence = 0.7;
double		dq_sensitive_text_share = 0.05;

/* Time zone of cron schedules; empty means the server's TimeZone. */
char	   *dq_timezone = NULL;

/* Background scheduler switch (the launcher idles when off). */
bool		dq_scheduler_enabled = true;

/* Job runs of one database that may run at the same time. */
int			dq_max_running_jobs = 8;
int			dq_max_runs_per_role = 0;

/* Run history older than this many seconds is deleted by the scheduler. */
int			dq_job_run_retention = 7 * 24 * 3600;

/* Whether jobs owned by superusers run. */
bool		dq_allow_superuser_jobs = true;

/* Databases the launcher can serve (size of its shared memory table). */
int			dq_max_databases = 64;

/* Change validation: store the row image of a violating row. */
bool		dq_cdc_capture_row_images = true;

/* Change validation: warn when the slot holds more WAL than this (MB). */
int			dq_cdc_max_lag = 1024;

/* Change validation: plugin lines per worker batch. */
int			dq_cdc_batch_size = 10000;

/* Change validation: pause of the worker when it has caught up (ms). */
int			dq_cdc_naptime = 200;

/* Lineage capture from DDL (event triggers) and DML (hooks). */
bool		dq_lineage_capture_ddl = true;
bool		dq_lineage_capture_dml = true;

/* Statements whose executions shared memory counts between two flushes. */
int			dq_lineage_counters = 4096;

/* OpenLineage namespace of exported datasets; empty: postgres://host:port. */
char	   *dq_lineage_openlineage_namespace = NULL;

/* Progress and statistics (docs/observability.md). */
bool		dq_track_progress = true;
int			dq_progress_notice = 0;
int			dq_stats_max = 5000;

/*
 * The time zone of that name (a name of pg_timezone_names); else an error
 * with the hint.  For arguments and options that name a time zone.
 */
pg_tz *
DqTimeZoneByName(const char *name, const char *hint)
{
	pg_tz	   *tz = pg_tzset(name);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", name),
				 errhint("%s", hint)));
	return tz;
}

/* dq_lineage.timezone must name a known zone (or be empty). */
static bool
DqCheckTimeZone(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (pg_tzset(*newval) == NULL)
	{
		GUC_check_errmsg("time zone \"%s\" not recognized", *newval);
		GUC_check_errhint("Use a name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.");
		return false;
	}
	return true;
}

/*
 * The settings of progress reporting and of the counters of dq.stats
 * (base/progress.c, base/stats.c).
 */
static void
DqDefineProgressGucs(void)
{
	DefineCustomBoolVariable("dq_lineage.track_progress",
							 "Reports the progress of long operations in dq.progress.",
							 "Off: the operations of the session are not shown in dq.progress "
							 "and give no progress NOTICE; dq.stats still counts them.",
							 &dq_track_progress,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.progress_notice",
							"Interval between the progress NOTICEs of a long operation; 0 turns them off.",
							"A profile, validation or check that scans a relation reports "
							"the share scanned, the rows seen and an estimate of the time left.",
							&dq_progress_notice,
							0, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	/* Server-start settings can only be defined while preloading. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("dq_lineage.stats_max",
								"Maximum number of relations with counters of their own in dq.stats.",
								"Beyond it, the work on further relations is counted in the "
								"operation's row without a relation.",
								&dq_stats_max,
								5000, 100, 1000000,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
}

/*
 * The settings of sensitive-data detection.  The thresholds are read by
 * the classification in SQL (dq_internal.classify_columns) through
 * current_setting(); defining them here validates their range.
 */
static void
DqDefineSensitiveGucs(void)
{
	DefineCustomBoolVariable("dq_lineage.detect_sensitive",
							 "Run the sensitive-value detectors in every profile scan.",
							 "The detectors count e-mail addresses, phone numbers, card numbers, "
							 "IBANs, IP addresses, SSNs and names among the text values; "
							 "only counts are kept.",
							 &dq_detect_sensitive,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("dq_lineage.sensitive_min_share",
							 "Share of a column's non-null values a detector must accept for the column to be tagged.",
							 NULL,
							 &dq_sensitive_min_share,
							 0.8, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("dq_lineage.sensitive_min_confidence",
							 "Confidence from which an automatic classification becomes a tag.",
							 NULL,
							 &dq_sensitive_min_confidence,
							 0.7, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("dq_lineage.sensitive_text_share",
							 "Share of a free-text column's values that must contain a sensitive value for the column to be tagged free_text_pii.",
							 NULL,
							 &dq_sensitive_text_share,
							 0.05, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

/* The settings of profiles and of the scans of dq.profile and dq.validate. */
static void
DqDefineProfileGucs(void)
{
	DefineCustomIntVariable("dq_lineage.profile_top_k",
							"Number of most frequent values reported per profiled column.",
							NULL,
							&dq_profile_top_k,
							10, 0, 100,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.profile_histogram_buckets",
							"Number of buckets of the equi-height histogram of a numeric or date/time column.",
							NULL,
							&dq_profile_histogram_buckets,
							10, 1, 100,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.scan_workers",
							"Most parallel workers for the scan of dq.profile and dq.validate; -1 means one fewer than the server's CPUs.",
							"The scan is CPU-bound and the leader process takes part in it: "
							"more processes than CPUs only take turns.  "
							"max_parallel_workers_per_gather still applies.",
							&dq_scan_workers,
							-1, -1, 1024,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
}

/* The settings of the scheduler (read by its background workers). */
static void
DqDefineSchedulerGucs(void)
{
	DefineCustomStringVariable("dq_lineage.timezone",
							   "Time zone in which cron schedules are evaluated; empty means the server's TimeZone.",
							   NULL,
							   &dq_timezone,
							   "",
							   PGC_SIGHUP,
							   0,
							   DqCheckTimeZone, NULL, NULL);

	DefineCustomBoolVariable("dq_lineage.scheduler",
							 "Runs scheduled jobs from the background worker.",
							 "Needs dq_lineage in shared_preload_libraries; when off, the launcher stops every scheduler and idles.",
							 &dq_scheduler_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.max_running_jobs",
							"Maximum number of job runs of one database running at the same time.",
							"Runs beyond it wait for a free place; a run still waiting at its job's next tick makes that tick skipped.",
							&dq_max_running_jobs,
							8, 1, 1024,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.max_runs_per_role",
							"Maximum number of job runs of one role running at the same time, in all databases.",
							"Runs beyond it wait (status waiting) until a run of the role ends; 0 means no cap.",
							&dq_max_runs_per_role,
							0, 0, 1024,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.job_run_retention",
							"How long job run history is kept.",
							"The scheduler deletes finished runs older than this; 0 keeps everything.",
							&dq_job_run_retention,
							7 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("dq_lineage.allow_superuser_jobs",
							 "Runs jobs owned by superusers.",
							 "When off, runs of superuser-owned jobs are recorded as skipped.",
							 &dq_allow_superuser_jobs,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	/* Server-start settings can only be defined while preloading. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("dq_lineage.max_databases",
								"Maximum number of databases with a dq_lineage scheduler.",
								NULL,
								&dq_max_databases,
								64, 1, 4096,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
}

/* The settings of change validation (read by its worker). */
static void
DqDefineCdcGucs(void)
{
	DefineCustomBoolVariable("dq_lineage.capture_row_images",
							 "Store the whole row image (jsonb) with each violation found by change validation.",
							 "Rows with columns the expectation's owner may not read are stored without their image.",
							 &dq_cdc_capture_row_images,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.cdc_max_lag",
							"WAL retained by the change validation slot above which the worker warns; 0 turns the warning off.",
							"The slot is never dropped because of lag: WAL retention is for max_slot_wal_keep_size to bound.",
							&dq_cdc_max_lag,
							1024, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.cdc_batch_size",
							"Violation lines the change validation worker collects before it records a batch.",
							NULL,
							&dq_cdc_batch_size,
							10000, 1, 1000000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.cdc_naptime",
							"Pause of the change validation worker once it has decoded all WAL.",
							NULL,
							&dq_cdc_naptime,
							200, 10, 60000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
}

/* The settings of lineage capture and export. */
static void
DqDefineLineageGucs(void)
{
	DefineCustomBoolVariable("dq_lineage.capture_ddl",
							 "Records column lineage of views, materialized views and CREATE TABLE AS.",
							 NULL,
							 &dq_lineage_capture_ddl,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("dq_lineage.capture_dml",
							 "Records column lineage of INSERT, UPDATE and MERGE statements that read other relations.",
							 "Needs dq_lineage in shared_preload_libraries.",
							 &dq_lineage_capture_dml,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("dq_lineage.lineage_counters",
								"Statements whose executions are counted in shared memory between two lineage flushes.",
								"When the table is full, further executions are not counted; dq.lineage_counter_status reports it.",
								&dq_lineage_counters,
								4096, 64, 1048576,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

	DefineCustomStringVariable("dq_lineage.openlineage_namespace",
							   "OpenLineage namespace of the datasets dq_lineage exports.",
							   "Empty means postgres://localhost:<port>.",
							   &dq_lineage_openlineage_namespace,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/*
 * Register every GUC, one subsystem after the other, and reserve the
 * prefix so that misspelt settings are reported.  Called once from
 * _PG_init.
 */
void
DqDefineGucs(void)
{
	DqDefineSensitiveGucs();
	DqDefineProgressGucs();
	DqDefineProfileGucs();
	DqDefineSchedulerGucs();
	DqDefineCdcGucs();
	DqDefineLineageGucs();
	DqMarkGUCPrefixReserved("dq_lineage");
}
