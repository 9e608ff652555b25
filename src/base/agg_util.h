/*-------------------------------------------------------------------------
 *
 * agg_util.h
 *	  What the C aggregates of the library share: the aggregate memory
 *	  context of a call, the start of a transition step, and the combine
 *	  step of a parallel aggregate (agg_util.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_AGG_UTIL_H
#define DQ_AGG_UTIL_H

#include "postgres.h"

#include "fmgr.h"

/*
 * The combine step's two callbacks: an empty state like another one (its
 * type, its parameters), and merging src into dst; both run in the
 * aggregate memory context.
 */
typedef void *(*DqAggCreateFn) (void *like);
typedef void (*DqAggMergeFn) (void *dst, void *src, FunctionCallInfo fcinfo);

extern MemoryContext DqAggContext(FunctionCallInfo fcinfo, const char *fname);
extern Datum DqAggCombine(FunctionCallInfo fcinfo, const char *fname,
						  DqAggCreateFn create, DqAggMergeFn merge);

/*
 * The start of a transition function whose state is a pointer: switch to
 * the aggregate memory context (the caller switches back to *old before
 * it returns) and return the state, NULL on the first row.  Inline: it
 * runs once per aggregated row.
 */
static inline void *
DqAggTransBegin(FunctionCallInfo fcinfo, const char *fname, MemoryContext *old)
{
	*old = MemoryContextSwitchTo(DqAggContext(fcinfo, fname));
	return PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0);
}

#endif							/* DQ_AGG_UTIL_H */
