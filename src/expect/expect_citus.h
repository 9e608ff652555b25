/*-------------------------------------------------------------------------
 *
 * expect_citus.h
 *	  dq.validate and dq.check of a Citus distributed table, computed on
 *	  the shards.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_EXPECT_CITUS_H
#define DQ_EXPECT_CITUS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "expect/expectations.h"

extern char *DqExpectCitusRowsCall(const char *rules_sql, const DqColumnSource *src,
								   List *usedcols);
extern void DqExpectCitusScan(Relation rel, DqRule *r, DqCheckState *cs);

#endif							/* DQ_EXPECT_CITUS_H */
