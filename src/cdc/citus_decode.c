/*-------------------------------------------------------------------------
 *
 * citus_decode.c
 *	  What the decoder needs to validate the changes of Citus shards
 *	  (citus_shards.c has the design): which distributed table a shard
 *	  belongs to, and which changes Citus wrote itself.
 *
 * A shard is mapped through pg_dist_shard (DqCitusShardParent), read under
 * the historic snapshot of the change as Citus's own change data capture
 * decoder reads it.  The rows Citus copies when it moves or splits a shard,
 * or distributes a filled table, carry a replication origin when
 * citus.enable_change_data_capture is on; they are skipped, as Citus's
 * decoder skips them, so that a row is validated once, on the node where
 * it was first written.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "replication/origin.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "base/citus.h"
#include "cdc/citus_decode.h"

/*
 * For the decoder: when rel is a shard of a distributed table, append the
 * table (and its partition ancestors) to *relids, set *report_relid to it
 * and return true.  Its expectations then apply to the shard's changes,
 * and its name is the one recorded.
 */
bool
DqCdcCitusShardRelids(Relation rel, List **relids, Oid *report_relid)
{
	Oid			table;
	DqCitusTableKind kind;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return false;
	table = DqCitusShardParent(rel);
	if (!OidIsValid(table))
		return false;
	kind = DqCitusKind(table);
	if (kind != DQ_CITUS_DISTRIBUTED && kind != DQ_CITUS_SINGLE_SHARD)
		return false;
	*relids = lappend_oid(*relids, table);
	if (get_rel_relispartition(table))
		*relids = list_concat(*relids, get_partition_ancestors(table));
	*report_relid = table;
	return true;
}

/*
 * Is a change of a shard one that Citus wrote itself (a shard's copy),
 * to be left alone?
 */
bool
DqCdcCitusSkip(bool citus_shard, ReorderBufferTXN *txn)
{
	return citus_shard && txn->origin_id != InvalidRepOriginId;
}
