/*-------------------------------------------------------------------------
 *
 * bgworker.c
 *	  Starting the library's dynamic background workers.
 *
 * Every dynamic worker of the library (a job run, the change validation
 * worker) is registered the same way: connected to one database, started
 * once recovery is over, never restarted by the postmaster (the process
 * that started it decides), and reporting its start and stop to that
 * process's latch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "base/bgworker.h"

/*
 * Register a dynamic worker of this library that runs function and
 * connects to dboid; extra (at most BGW_EXTRALEN bytes) goes to
 * bgw_extra.  The caller's latch is set when the worker starts and stops.
 * False when no background worker slot is free.
 */
bool
DqStartWorker(const char *function, const char *name, Oid dboid,
			  const void *extra, Size extralen,
			  BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker.bgw_name, name, BGW_MAXLEN);
	strlcpy(worker.bgw_type, name, BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	Assert(extralen <= BGW_EXTRALEN);
	if (extra)
		memcpy(worker.bgw_extra, extra, extralen);
	return RegisterDynamicBackgroundWorker(&worker, handle);
}
