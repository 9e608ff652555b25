/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The shared tables of databases through which the launchers, the
 *	  schedulers, the alert delivery workers, the change validation
 *	  workers and DDL commands find one another (shmem.c; each table is a
 *	  DqDbTable of db_table.c, where the locking rules are written).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SHMEM_H
#define DQ_SHMEM_H

#include "postgres.h"

#include "base/db_table.h"

/* Called from _PG_init while the library is preloaded. */
extern void DqShmemInit(void);
extern bool DqShmemAvailable(void);

/* The tables; NULL when the library was not preloaded. */
extern DqDbTable *DqSchedTable(void);
extern DqDbTable *DqAlertTable(void);

/* Is a database paused for a command that needs it idle? */
extern bool DqDatabasePaused(Oid dboid);

#endif							/* DQ_SHMEM_H */
