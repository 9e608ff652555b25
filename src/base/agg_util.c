/*-------------------------------------------------------------------------
 *
 * agg_util.c
 *	  What the C aggregates of the library share: the aggregate memory
 *	  context of a call, and the combine step of a parallel aggregate.
 *
 * Every aggregate keeps its state in the aggregate memory context, which
 * lives as long as the group; the combine step merges a worker's partial
 * state into the leader's, adopting it when the leader has none.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "base/agg_util.h"

/* The aggregate memory context of the call; an internal error outside one. */
MemoryContext
DqAggContext(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggctx;
}

/*
 * The combine function of an aggregate whose state is a pointer: keep the
 * first state when the second is missing; otherwise merge the second into
 * the first, made with create when it is missing (so that it lives in the
 * aggregate context).
 */
Datum
DqAggCombine(FunctionCallInfo fcinfo, const char *fname, DqAggCreateFn create,
			 DqAggMergeFn merge)
{
	MemoryContext aggctx = DqAggContext(fcinfo, fname);
	void	   *a = PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0);
	void	   *b = PG_ARGISNULL(1) ? NULL : PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggctx);
	if (a == NULL)
		a = create(b);
	merge(a, b, fcinfo);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}
