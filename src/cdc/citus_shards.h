/*-------------------------------------------------------------------------
 *
 * citus_shards.h
 *	  Change validation of Citus distributed tables (citus_shards.c): what
 *	  dq.watch accepts; the decoder's part is in citus_decode.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CITUS_SHARDS_H
#define DQ_CITUS_SHARDS_H

#include "postgres.h"

extern void DqCdcCitusCheckWatch(Oid relid, bool quarantine);

/* cdc_sql.c: the checks of dq.watch that come before any write */
extern void DqCdcCheckWatchable(Oid relid);

#endif							/* DQ_CITUS_SHARDS_H */
