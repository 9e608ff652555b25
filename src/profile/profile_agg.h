/*-------------------------------------------------------------------------
 *
 * profile_agg.h
 *	  The per-column profile aggregate dq.column_profile(anyelement).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROFILE_AGG_H
#define DQ_PROFILE_AGG_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "sketch/sketch_buf.h"

/* quantiles every numeric and date/time profile reports */
#define DQ_NUM_PROFILE_QUANTILES 7
extern const double DqProfileQuantiles[DQ_NUM_PROFILE_QUANTILES];
extern const char *const DqProfileQuantileNames[DQ_NUM_PROFILE_QUANTILES];

/*
 * The state of dq.row_profile, for its twin that Citus pushes down
 * (profile_citus.c); see the end of profile_agg.c.
 */
typedef struct DqRowState DqRowState;

extern DqRowState *DqRowProfileCreate(int ncols, const Oid *typids,
									  const Oid *collations);
extern void DqRowProfileAdd(DqRowState *rs, const Datum *values,
							const bool *nulls, FunctionCallInfo fcinfo);
extern void DqRowProfileMerge(DqRowState *dst, DqRowState *src,
							  FunctionCallInfo fcinfo);
extern int	DqRowProfileColumns(const DqRowState *rs);
extern void DqRowProfileWriteColumn(DqRowState *rs, int i, StringInfo buf,
									FunctionCallInfo fcinfo);
extern DqRowState *DqRowProfileRead(int ncols, DqReadBuf *rb, const Oid *typids,
									const Oid *collations, FunctionCallInfo fcinfo);
extern Datum DqRowProfileResult(DqRowState *rs, FunctionCallInfo fcinfo);
extern Datum DqRowProfileEmpty(int ncols, FunctionCallInfo fcinfo);

#endif							/* DQ_PROFILE_AGG_H */
