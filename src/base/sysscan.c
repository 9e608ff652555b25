/*-------------------------------------------------------------------------
 *
 * sysscan.c
 *	  One system table scan that stops at the first matching row: open the
 *	  table, scan it with systable_* (through an index when one is named),
 *	  close it.  Used for PostgreSQL's catalogs, Citus's catalog tables and
 *	  dq.watched_tables under the decoder's historic snapshot, which is why
 *	  the scan is a systable one and not SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "utils/rel.h"

#include "base/sysscan.h"

/*
 * Scan table relid for the rows matching the nkeys keys, through index
 * indexid when it is valid, and call fn on each until it returns true.
 * fn NULL stops at the first row.  Returns whether the scan stopped (a
 * row was found).
 */
bool
DqSysScanFind(Oid relid, Oid indexid, int nkeys, ScanKey keys,
			  DqSysScanRowFn fn, void *arg)
{
	Relation	rel = table_open(relid, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, indexid, OidIsValid(indexid),
										  NULL, nkeys, keys);
	HeapTuple	tup;
	bool		found = false;

	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
		found = fn == NULL || fn(tup, RelationGetDescr(rel), arg);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
