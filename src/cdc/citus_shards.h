/*-------------------------------------------------------------------------
 *
 * citus_shards.h
 *	  Change validation of Citus tables: what dq.watch accepts on a Citus
 *	  cluster.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CITUS_SHARDS_H
#define DQ_CITUS_SHARDS_H

#include "postgres.h"

extern void DqCdcCitusCheckWatch(Oid relid);

#endif							/* DQ_CITUS_SHARDS_H */
