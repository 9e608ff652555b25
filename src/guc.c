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

/* Lineage capture from DDL (event triggers) and DML (hooks). */
bool		dq_lineage_capture_ddl = true;
bool		dq_lineage_capture_dml = true;

/* OpenLineage namespace of exported datasets; empty: postgres://host:port. */
char	   *dq_lineage_openlineage_namespace = NULL;

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

	DefineCustomStringVariable("dq_lineage.openlineage_namespace",
							   "OpenLineage namespace of the datasets dq_lineage exports.",
							   "Empty means postgres://localhost:<port>.",
							   &dq_lineage_openlineage_namespace,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DqMarkGUCPrefixReserved("dq_lineage");
}
