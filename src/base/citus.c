/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  What dq_lineage needs to know about Citus, read from Citus's catalog
 *	  tables (pg_dist_partition, pg_dist_shard, pg_dist_local_group) with
 *	  system table scans: Citus is never linked, and a database without
 *	  the citus extension pays one catalog lookup per question.
 *
 * The scans use the catalog snapshot, so they also answer correctly under
 * the historic snapshot of logical decoding, where the decoder maps a
 * shard to its distributed table (as Citus's own change data capture
 * decoder does).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <stdlib.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "base/citus.h"
#include "base/sysscan.h"

/*
 * dq_lineage.citus_pushdown: scans of distributed tables use the
 * aggregates Citus pushes down to the shards (off: the row-gathering
 * plans of a local table, for comparison).
 */
bool		dq_citus_pushdown = true;

/* columns of pg_dist_partition and pg_dist_shard used here */
#define DQ_DIST_PARTITION_LOGICALRELID	1
#define DQ_DIST_PARTITION_PARTMETHOD	2
#define DQ_DIST_PARTITION_COLOCATIONID	4
#define DQ_DIST_PARTITION_REPMODEL		5
#define DQ_DIST_SHARD_LOGICALRELID		1
#define DQ_DIST_SHARD_SHARDID			2

/* Register the Citus settings; called from _PG_init. */
void
DqCitusDefineGucs(void)
{
	DefineCustomBoolVariable("dq_lineage.citus_pushdown",
							 "Computes profiles, validations and sketches of Citus distributed tables on the shards.",
							 "When off, the rows of a distributed table are gathered on the coordinator "
							 "and aggregated there, as Citus does for aggregates it cannot push down.",
							 &dq_citus_pushdown,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

/* Is the citus extension installed in this database? */
bool
DqCitusInstalled(void)
{
	return OidIsValid(get_extension_oid("citus", true));
}

/*
 * Scan Citus catalog table relname (in pg_catalog) for the row whose
 * column attno equals the key, through the index idxname when it exists,
 * and call fn on it with arg.  False when there is no such row or no such
 * table.
 */
static bool
DqCitusLookup(const char *relname, const char *idxname, AttrNumber attno,
			  RegProcedure eqproc, Datum key, DqSysScanRowFn fn, void *arg)
{
	Oid			relid = get_relname_relid(relname, PG_CATALOG_NAMESPACE);
	ScanKeyData skey;

	if (!OidIsValid(relid))
		return false;
	ScanKeyInit(&skey, attno, BTEqualStrategyNumber, eqproc, key);
	return DqSysScanFind(relid, get_relname_relid(idxname, PG_CATALOG_NAMESPACE),
						 1, &skey, fn, arg);
}

/* The kind of table a pg_dist_partition row describes, into *arg. */
static bool
DqCitusPartitionKind(HeapTuple tup, TupleDesc td, void *arg)
{
	DqCitusTableKind *kind = arg;
	bool		isnull;
	char		method = DatumGetChar(heap_getattr(tup, DQ_DIST_PARTITION_PARTMETHOD,
												   td, &isnull));
	char		repmodel = DatumGetChar(heap_getattr(tup, DQ_DIST_PARTITION_REPMODEL,
													 td, &isnull));
	int32		colocation = DatumGetInt32(heap_getattr(tup, DQ_DIST_PARTITION_COLOCATIONID,
														td, &isnull));

	if (method == 'h' || method == 'r' || method == 'a')
		*kind = DQ_CITUS_DISTRIBUTED;
	else if (repmodel == 't')
		*kind = DQ_CITUS_REFERENCE;
	else if (colocation != 0)
		*kind = DQ_CITUS_SINGLE_SHARD;
	else
		*kind = DQ_CITUS_LOCAL;
	return true;
}

/*
 * How Citus stores relid; DQ_CITUS_NONE when it is not a Citus table or
 * Citus is not installed.
 */
DqCitusTableKind
DqCitusKind(Oid relid)
{
	DqCitusTableKind kind = DQ_CITUS_NONE;

	if (OidIsValid(relid) && DqCitusInstalled())
		(void) DqCitusLookup("pg_dist_partition",
							 "pg_dist_partition_logical_relid_index",
							 DQ_DIST_PARTITION_LOGICALRELID, F_OIDEQ,
							 ObjectIdGetDatum(relid), DqCitusPartitionKind,
							 &kind);
	return kind;
}

/* The kind as words, for messages. */
const char *
DqCitusKindName(DqCitusTableKind kind)
{
	switch (kind)
	{
		case DQ_CITUS_DISTRIBUTED:
			return "distributed table";
		case DQ_CITUS_SINGLE_SHARD:
			return "single-shard distributed table";
		case DQ_CITUS_REFERENCE:
			return "reference table";
		case DQ_CITUS_LOCAL:
			return "Citus local table";
		case DQ_CITUS_NONE:
			break;
	}
	return "table";
}

/* An int32 first column of a catalog row, into *arg. */
static bool
DqCitusFirstInt32(HeapTuple tup, TupleDesc td, void *arg)
{
	bool		isnull;

	*(int32 *) arg = DatumGetInt32(heap_getattr(tup, 1, td, &isnull));
	return true;
}

/*
 * Is this node the coordinator of its Citus cluster (group 0)?  False
 * without Citus.
 */
bool
DqCitusIsCoordinator(void)
{
	Oid			relid;
	int32		group = -1;

	if (!DqCitusInstalled())
		return false;
	relid = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(relid))
		return false;
	(void) DqSysScanFind(relid, InvalidOid, 0, NULL, DqCitusFirstInt32, &group);
	return group == 0;
}

/* The distributed table of a pg_dist_shard row, into *arg. */
static bool
DqCitusShardLogicalRelid(HeapTuple tup, TupleDesc td, void *arg)
{
	bool		isnull;

	*(Oid *) arg = DatumGetObjectId(heap_getattr(tup, DQ_DIST_SHARD_LOGICALRELID,
												 td, &isnull));
	return true;
}

/*
 * The distributed table whose shard rel is, or InvalidOid.  A shard is
 * named after its table with "_<shard id>" appended; the shard id is
 * looked up in pg_dist_shard (the name alone proves nothing: a user table
 * may be called orders_2024).
 */
Oid
DqCitusShardParent(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *us = strrchr(name, '_');
	char	   *end;
	uint64		shardid;
	Oid			parent = InvalidOid;

	if (us == NULL || us[1] < '1' || us[1] > '9' ||
		rel->rd_rel->relnamespace == PG_CATALOG_NAMESPACE)
		return InvalidOid;
	errno = 0;
	shardid = strtoull(us + 1, &end, 10);
	if (errno != 0 || *end != '\0' || shardid > (uint64) PG_INT64_MAX)
		return InvalidOid;
	if (!DqCitusInstalled())
		return InvalidOid;
	(void) DqCitusLookup("pg_dist_shard", "pg_dist_shard_shardid_index",
						 DQ_DIST_SHARD_SHARDID, F_INT8EQ,
						 Int64GetDatum((int64) shardid),
						 DqCitusShardLogicalRelid, &parent);
	return parent;
}

/*
 * Is this backend one that Citus opened to run a fragment of a statement
 * issued on another node (a shard query of a distributed statement, a
 * shard move)?  Citus names them by their application_name.  The
 * statement itself is seen, with the distributed tables' names, where it
 * was issued.
 */
bool
DqCitusInternalBackend(void)
{
	static const char *const prefixes[] = {
		"citus_internal gpid=", "citus_rebalancer gpid="
	};
	int			i;

	if (application_name == NULL)
		return false;
	for (i = 0; i < (int) lengthof(prefixes); i++)
		if (strncmp(application_name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * Collations travel between nodes by name: a state or a query built on one
 * node names its collations, qualified ("" for none), and the node that
 * reads it looks them up by name, since the OIDs may differ.
 */
char *
DqCollationName(Oid collation)
{
	HeapTuple	tup;
	Form_pg_collation form;
	char	   *name;

	if (!OidIsValid(collation))
		return pstrdup("");
	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for collation %u", collation);
	form = (Form_pg_collation) GETSTRUCT(tup);
	name = quote_qualified_identifier(get_namespace_name(form->collnamespace),
									  NameStr(form->collname));
	ReleaseSysCache(tup);
	return name;
}

/* This node's collation of a name written by DqCollationName. */
Oid
DqCollationByName(const char *name)
{
	if (name[0] == '\0')
		return InvalidOid;
	return get_collation_oid(stringToQualifiedNameList(name), false);
}
