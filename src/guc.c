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

#include "utils/guc.h"

#include "compat.h"
#include "guc.h"

/* Number of most frequent values a profile reports per column. */
int			dq_profile_top_k = 10;

/* Number of buckets of the equi-height histogram of a profile. */
int			dq_profile_histogram_buckets = 10;

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

	DqMarkGUCPrefixReserved("dq_lineage");
}
