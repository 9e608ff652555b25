/*-------------------------------------------------------------------------
 *
 * citus_shards.h
 *	  Change validation of Citus distributed tables (citus_shards.c): what
 *	  dq.watch accepts, and what the decoder needs to validate shards.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CITUS_SHARDS_H
#define DQ_CITUS_SHARDS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "replication/reorderbuffer.h"
#include "utils/relcache.h"

extern void DqCdcCitusCheckWatch(Oid relid, bool quarantine);
extern bool DqCdcCitusShardRelids(Relation rel, List **relids, Oid *report_relid);
extern bool DqCdcCitusSkip(bool citus_shard, ReorderBufferTXN *txn);

/* cdc_sql.c: the checks of dq.watch that come before any write */
extern void DqCdcCheckWatchable(Oid relid);

#endif							/* DQ_CITUS_SHARDS_H */
