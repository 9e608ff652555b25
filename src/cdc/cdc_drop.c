/*-------------------------------------------------------------------------
 *
 * cdc_drop.c
 *	  Change validation around commands that drop or move a database, or
 *	  drop the extension.
 *
 * Replication slots are not extension members: left behind, a slot would
 * retain WAL forever.  The library's ProcessUtility hook (utility_hook.c)
 * calls these handlers only once the command's permission checks would
 * pass, so a role that may not drop a database or the extension cannot
 * touch its slot.
 *
 *	 - A command that needs a database idle (DROP DATABASE and the like):
 *	   the database's worker is stopped, and its slot kept.  DROP DATABASE
 *	   drops the slot of a database it drops (PostgreSQL drops inactive
 *	   slots of the database); if the command fails, the scheduler starts
 *	   the worker again and it goes on from where it was.
 *	 - DROP EXTENSION dq_lineage: nothing happens before the command.  When
 *	   its transaction commits, the slot is dropped if no process holds
 *	   it, and otherwise its worker is woken: it finds the extension gone,
 *	   drops the slot and exits.  A DROP EXTENSION that fails or is rolled
 *	   back leaves change validation as it was, so no committed change is
 *	   left unvalidated.
 *
 * Without preloading there is no worker and dq.watch refuses to run, so
 * there is no slot and these handlers do nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"

#include "cdc/cdc_worker.h"

/* Longest wait for a worker to let go of its slot. */
#define DQ_CDC_STOP_WAIT_MS 5000

static bool drop_at_commit = false;
static bool drop_callback_registered = false;

/*
 * A command needs database dboid idle: stop its worker, if one holds the
 * slot, and wait (a few seconds at most) until it has let go.  The slot
 * stays.
 */
void
DqCdcStopForCommand(Oid dboid)
{
	char		slot[NAMEDATALEN];
	pid_t		pid;

	if (!dq_cdc_preloaded)
		return;
	DqCdcSlotName(dboid, slot);
	if (!DqCdcSlotExists(slot, &pid) || pid == 0 || pid == MyProcPid)
		return;
	(void) kill(pid, SIGTERM);
	for (int waited = 0; waited < DQ_CDC_STOP_WAIT_MS; waited += 10)
	{
		if (!DqCdcSlotExists(slot, &pid) || pid == 0)
			return;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

/*
 * At commit of a DROP EXTENSION: drop this database's slot if nobody holds
 * it, else wake the worker that does (it drops the slot itself).  The
 * transaction has committed already, so an error here is reported as a
 * WARNING; the worker, or the next dq.watch, deals with the slot then.
 */
static void
DqCdcDropAtCommit(void)
{
	char		slot[NAMEDATALEN];
	pid_t		pid;

	DqCdcSlotName(MyDatabaseId, slot);
	if (!DqCdcSlotExists(slot, &pid))
		return;
	if (pid != 0)
	{
		PGPROC	   *proc = BackendPidGetProc(pid);

		if (proc != NULL)
			SetLatch(&proc->procLatch);
		return;
	}
	PG_TRY();
	{
		ReplicationSlotDrop(slot, true);
		ereport(LOG,
				(errmsg("dq_lineage dropped replication slot \"%s\"", slot)));
	}
	PG_CATCH();
	{
		ErrorData  *edata = CopyErrorData();

		FlushErrorState();
		if (MyReplicationSlot != NULL)
			ReplicationSlotRelease();
		ereport(WARNING,
				(errmsg("could not drop replication slot \"%s\": %s", slot, edata->message),
				 errhint("Drop it with pg_drop_replication_slot('%s') if it is still there.", slot)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static void
DqCdcXactCallback(XactEvent event, void *arg)
{
	if (!drop_at_commit)
		return;
	if (event == XACT_EVENT_COMMIT)
	{
		drop_at_commit = false;
		DqCdcDropAtCommit();
	}
	else if (event == XACT_EVENT_ABORT)
		drop_at_commit = false;
}

/*
 * DROP EXTENSION dq_lineage is about to run and the current user may drop
 * it: drop the slot of this database when the transaction commits.
 */
void
DqCdcDropSlotAtCommit(void)
{
	if (!dq_cdc_preloaded)
		return;
	if (!drop_callback_registered)
	{
		RegisterXactCallback(DqCdcXactCallback, NULL);
		drop_callback_registered = true;
	}
	drop_at_commit = true;
}
