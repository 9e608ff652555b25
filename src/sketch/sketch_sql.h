/*-------------------------------------------------------------------------
 *
 * sketch_sql.h
 *	  Argument checks and results shared by the sketch aggregates and
 *	  their twins that Citus can push down (sketch_pushdown.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_SQL_H
#define DQ_SKETCH_SQL_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "sketch/sketch_quantile.h"

/* largest k of dq.approx_top_k */
#define DQ_MAX_TOP_K 1000

extern void DqKllReadFractions(ArrayType *arr, double **fracs, int32 *nfracs);
extern Datum DqKllQuantiles(FunctionCallInfo fcinfo, DqKll *kll,
							const double *fracs, int32 nfracs);
extern int32 DqTopKArgK(FunctionCallInfo fcinfo, int argno);

#endif							/* DQ_SKETCH_SQL_H */
