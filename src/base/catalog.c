/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Writing dq_lineage's catalog tables on behalf of a caller.
 *
 * The dq.* tables are not writable by PUBLIC: users must not be able to
 * forge profiles or results.  Functions such as dq.profile do their
 * reading with the caller's rights (privileges and row-level security
 * apply) and then switch to the extension's owner for the catalog writes
 * only, the way a SECURITY DEFINER function would, with a fixed
 * search_path and SECURITY_RESTRICTED_OPERATION.  An error inside restores
 * the caller's identity through transaction abort.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "base/catalog.h"

/*
 * Does a utility statement drop extension dq_lineage?
 */
bool
DqStmtDropsExtension(Node *stmt)
{
	DropStmt   *drop = (DropStmt *) stmt;
	ListCell   *lc;

	if (!IsA(stmt, DropStmt) || drop->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, drop->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), "dq_lineage") == 0)
			return true;
	}
	return false;
}

/* Set a GUC until the enclosing GUC nest level is closed. */
void
DqSetLocalGuc(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * Values that dq_lineage stores or returns as text print the same way
 * whatever the session's settings: ISO dates, postgres intervals, shortest
 * exact floats, hex bytea, timestamps with time zone in UTC.  Returns the GUC nest level to pass to DqEndStableOutput.
 */
int
DqBeginStableOutput(void)
{
	int			nestlevel = NewGUCNestLevel();

	DqSetLocalGuc("DateStyle", "ISO, YMD");
	DqSetLocalGuc("IntervalStyle", "postgres");
	DqSetLocalGuc("extra_float_digits", "1");
	DqSetLocalGuc("bytea_output", "hex");
	DqSetLocalGuc("TimeZone", "UTC");
	return nestlevel;
}

void
DqEndStableOutput(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}
