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

#include "alert/alert.h"
#include "base/compat.h"
#include "base/guc.h"
#include "base/progress.h"
#include "base/shmem.h"
#include "cdc/cdc_worker.h"
#include "base/citus.h"
#include "sketch/sketch_planner.h"
#include "lineage/lineage.h"
#include "sched/worker.h"
#include "utility_hook.h"

/* Lineage occurrence counters are folded into dq.lineage_edges this often. */
#define DQ_LINEAGE_FLUSH_MS 10000

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	DqAlertInit();				/* first: its settings precede the prefix reservation */
	DqDefineGucs();
	DqCitusDefineGucs();
	DqSketchPlannerInit();
	DqLineageInit();
	DqCdcInit();

	/*
	 * The library's one ProcessUtility hook: DROP DATABASE, DROP EXTENSION
	 * and the like, each subsystem's handler called in turn.
	 */
	DqUtilityHookInit();

	/*
	 * Shared memory and the launcher; each database's scheduler keeps its
	 * change validation worker alive and folds the lineage counters.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		DqShmemInit();
		DqSchedInit();
		DqSchedulerAddTask(DqCdcSchedulerTask, 0);
		DqSchedulerAddTask(DqLineageFlush, DQ_LINEAGE_FLUSH_MS);
		DqProgressInit();		/* dq.progress: executor hook, callbacks */
	}
}
