/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  What dq_lineage needs to know about Citus, read from Citus's catalog
 *	  tables without linking Citus: whether it is installed, how a table
 *	  is distributed, and which distributed table a shard belongs to.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CITUS_H
#define DQ_CITUS_H

#include "postgres.h"

#include "utils/relcache.h"

/* How Citus stores a table (pg_dist_partition). */
typedef enum DqCitusTableKind
{
	DQ_CITUS_NONE = 0,			/* not a Citus table (or no Citus) */
	DQ_CITUS_DISTRIBUTED,		/* split into shards: hash, range, append */
	DQ_CITUS_SINGLE_SHARD,		/* distributed, one shard (schema sharding) */
	DQ_CITUS_REFERENCE,			/* one copy on every node */
	DQ_CITUS_LOCAL				/* a Citus local table on the coordinator */
} DqCitusTableKind;

extern bool dq_citus_pushdown;

extern void DqCitusDefineGucs(void);
extern bool DqCitusInstalled(void);
extern DqCitusTableKind DqCitusKind(Oid relid);
extern const char *DqCitusKindName(DqCitusTableKind kind);
extern bool DqCitusIsCoordinator(void);
extern Oid	DqCitusShardParent(Relation rel);
extern bool DqCitusInternalBackend(void);
extern char *DqCollationName(Oid collation);
extern Oid	DqCollationByName(const char *name);

/*
 * Is relid split into shards that live on several nodes?  Queries on it
 * are planned by Citus into one task per shard; the extension's scans use
 * the aggregates that Citus can push down to the shards (docs/citus.md).
 */
static inline bool
DqCitusIsDistributed(Oid relid)
{
	return DqCitusKind(relid) == DQ_CITUS_DISTRIBUTED;
}

/* Should a scan of relid use the aggregates Citus pushes down? */
static inline bool
DqCitusPushdown(Oid relid)
{
	return dq_citus_pushdown && DqCitusIsDistributed(relid);
}

#endif							/* DQ_CITUS_H */
