/*-------------------------------------------------------------------------
 *
 * cdc_worker.h
 *	  The CDC worker: consumes the replication slot of its database through
 *	  the dq_lineage output plugin and records violations exactly once.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CDC_WORKER_H
#define DQ_CDC_WORKER_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/nodes.h"
#include "storage/lockdefs.h"

/* true when the library was loaded by shared_preload_libraries */
extern bool dq_cdc_preloaded;

extern PGDLLEXPORT void dq_cdc_worker_main(Datum main_arg);
extern void DqCdcInit(void);
extern void DqCdcEnsureWorker(void);
extern void DqCdcSchedulerTask(void);

/* called by the utility hook once a command's permission checks pass */
extern void DqCdcStopForCommand(Oid dboid);
extern void DqCdcDropSlotAtCommit(void);

/* shared with the SQL functions (cdc_sql.c) */
extern void DqCdcSlotName(Oid dbid, char *name);
extern bool DqCdcSlotExists(const char *name, pid_t *active_pid);
extern void DqCdcCreateSlot(const char *name);
extern void DqCdcStopAndDropSlot(Oid dbid);
extern int64 DqCdcWatchedCount(LOCKMODE lockmode);
extern Oid	DqCdcCatalogRel(const char *name);

#endif							/* DQ_CDC_WORKER_H */
