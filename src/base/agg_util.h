/*-------------------------------------------------------------------------
 *
 * agg_util.h
 *	  What the C aggregates of the library share: the aggregate memory
 *	  context of a call, and the combine step of a parallel aggregate
 *	  (agg_util.c).
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

#endif							/* DQ_AGG_UTIL_H */
