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

#include "cdc/cdc_worker.h"
#include "base/citus.h"
#include "base/compat.h"
#include "base/guc.h"
#include "sketch/sketch_planner.h"
#include "sched/worker.h"
#include "lineage/lineage.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	DqDefineGucs();
	DqCitusDefineGucs();
	DqSketchPlannerInit();
	DqLineageInit();
	DqCdcInit();

	/*
	 * Shared memory, the launcher and the library's one ProcessUtility hook
	 * (DROP DATABASE and DROP EXTENSION pause the database's scheduler,
	 * then stop change validation and drop its slot).
	 */
	if (process_shared_preload_libraries_in_progress)
		DqWorkerInit();
}
