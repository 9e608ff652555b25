/*-------------------------------------------------------------------------
 *
 * dq_lineage.c
 *	  Library entry point: module magic and _PG_init.
 *
 * The same library is loaded in three ways: from shared_preload_libraries
 * (the postmaster; background workers and hooks are installed then), on
 * demand by a backend calling one of the SQL functions, and by a walsender
 * as a logical decoding output plugin.  _PG_init therefore never raises an
 * error; features that need preloading check for it when they are called.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "cdc_worker.h"
#include "compat.h"
#include "guc.h"
#include "worker.h"
#include "lineage.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	DqDefineGucs();
	DqLineageInit();
	DqCdcInit();

	/*
	 * Last, so that its ProcessUtility hook runs first: DROP DATABASE must
	 * stop the database's scheduler (which would restart the change
	 * validation worker) before the worker is stopped and its slot dropped.
	 */
	if (process_shared_preload_libraries_in_progress)
		DqWorkerInit();
}
