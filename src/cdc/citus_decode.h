/*-------------------------------------------------------------------------
 *
 * citus_decode.h
 *	  What the decoder needs to validate the changes of Citus shards.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CITUS_DECODE_H
#define DQ_CITUS_DECODE_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "replication/reorderbuffer.h"
#include "utils/relcache.h"

extern bool DqCdcCitusShardRelids(Relation rel, List **relids, Oid *report_relid);
extern bool DqCdcCitusSkip(bool citus_shard, ReorderBufferTXN *txn);

#endif							/* DQ_CITUS_DECODE_H */
