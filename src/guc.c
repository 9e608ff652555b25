/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Definitions of the dq_lineage.* configuration parameters.
 *
 * All parameters are user-settable unless stated otherwise; none of them
 * needs the library to be preloaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "compat.h"
#include "guc.h"

/* Number of most frequent values a profile reports per column. */
int			dq_profile_top_k = 10;

/* Number of buckets of the equi-height histogram of a profile. */
int			dq_profile_histogram_buckets = 10;

/* Change validation: store the row image of a violating row. */
bool		dq_cdc_capture_row_images = true;

/* Change validation: warn when the slot holds more WAL than this (MB). */
int			dq_cdc_max_lag = 1024;

/* Change validation: plugin lines per worker batch. */
int			dq_cdc_batch_size = 10000;

/* Change validation: pause of the worker when it has caught up (ms). */
int			dq_cdc_naptime = 200;

/*
 * Register every GUC and reserve the prefix so that misspelt settings are
 * reported.  Called once from _PG_init.
 */
void
DqDefineGucs(void)
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

	DqMarkGUCPrefixReserved("dq_lineage");
}
