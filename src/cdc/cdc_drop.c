/*-------------------------------------------------------------------------
 *
 * cdc_drop.c
 *	  DROP EXTENSION dq_lineage drops the database's change validation
 *	  slot.
 *
 * Replication slots are not extension members: left behind, a slot would
 * retain WAL forever, and PostgreSQL refuses to drop a database that has
 * one.  The library's ProcessUtility hook (worker.c, installed when the
 * library is preloaded) calls DqCdcBeforeUtility, which stops the worker and
 * drops the slot before the extension or the database is dropped.  Dropping a slot is not transactional: if the DROP EXTENSION
 * then fails or is rolled back, the worker creates the slot again, from
 * the current position, the next time it is started.  Without preloading
 * there is no worker and dq.watch refuses to run, so there is no slot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "base/catalog.h"
#include "cdc/cdc_worker.h"

/*
 * Called by the library's ProcessUtility hook (worker.c) before every
 * utility statement, once the database's scheduler has been paused.
 */
void
DqCdcBeforeUtility(Node *stmt)
{
	if (DqStmtDropsExtension(stmt) &&
		OidIsValid(get_extension_oid("dq_lineage", true)))
		DqCdcStopAndDropSlot(MyDatabaseId);
	if (IsA(stmt, DropdbStmt))
	{
		Oid			dbid = get_database_oid(((DropdbStmt *) stmt)->dbname, true);

		if (OidIsValid(dbid))
			DqCdcStopAndDropSlot(dbid);
	}
}
