/*-------------------------------------------------------------------------
 *
 * bgworker.h
 *	  Starting the library's dynamic background workers (job runs, the
 *	  change validation worker, schedulers and alert delivery workers), and
 *	  the databases their launchers serve.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_BGWORKER_H
#define DQ_BGWORKER_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "postmaster/bgworker.h"

extern bool DqStartWorker(const char *function, const char *name, Oid dboid,
						  const void *extra, Size extralen,
						  BackgroundWorkerHandle **handle);

extern List *DqConnectableDatabases(void);

#endif							/* DQ_BGWORKER_H */
