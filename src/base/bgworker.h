/*-------------------------------------------------------------------------
 *
 * bgworker.h
 *	  Starting the library's dynamic background workers (job runs and the
 *	  change validation worker).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_BGWORKER_H
#define DQ_BGWORKER_H

#include "postgres.h"

#include "postmaster/bgworker.h"

extern bool DqStartWorker(const char *function, const char *name, Oid dboid,
						  const void *extra, Size extralen,
						  BackgroundWorkerHandle **handle);

#endif							/* DQ_BGWORKER_H */
