/*-------------------------------------------------------------------------
 *
 * citus_shards.c
 *	  Change validation of Citus tables.
 *
 * The rows of a Citus table are not written to the table itself: a
 * distributed table's rows go to shards on the worker nodes, a reference
 * table's to a copy on every node, a Citus local table's to a shard on the
 * coordinator.  This node's slot sees none of those changes as changes of
 * the table, so a watch of a Citus table is refused rather than accepted
 * and silently never checked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/lsyscache.h"

#include "base/citus.h"
#include "cdc/citus_shards.h"

/*
 * dq.watch on a Citus table: refused with an error that says why and what
 * to do instead.
 */
void
DqCdcCitusCheckWatch(Oid relid)
{
	DqCitusTableKind kind = DqCitusKind(relid);
	const char *relname;

	if (kind == DQ_CITUS_NONE)
		return;
	relname = get_rel_name(relid);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot watch %s \"%s\": change validation of Citus tables is not supported",
					DqCitusKindName(kind), relname ? relname : "?"),
			 errdetail("Its rows are written to shards, whose changes this node's change validation does not see."),
			 errhint("Validate it with dq.validate(), which runs on the shards, for example on a schedule with dq.schedule().")));
}
