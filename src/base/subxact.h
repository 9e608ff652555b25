/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Run a function in an internal subtransaction and keep its error
 *	  instead of raising it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SUBXACT_H
#define DQ_SUBXACT_H

#include "postgres.h"

typedef void (*DqSubxactFn) (void *arg);

extern ErrorData *DqRunInSubxact(DqSubxactFn fn, void *arg);
extern char *DqRunProtected(DqSubxactFn fn, void *arg);
extern char *DqCatchDataError(DqSubxactFn fn, void *arg);
extern char *DqCatchDataErrorInSubxact(DqSubxactFn fn, void *arg);
extern bool DqTypeInputIsKnownSafe(Oid typid);

#endif							/* DQ_SUBXACT_H */
