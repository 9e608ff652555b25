/*-------------------------------------------------------------------------
 *
 * sketch_state.h
 *	  dq.sketch_state: the transition type of the aggregates that Citus
 *	  can push down to the shards of a distributed table.
 *
 * Citus computes an aggregate on the shards and merges the partial
 * results on the coordinator only when the aggregate has a combine
 * function and a transition type that is not a pseudo-type; the partial
 * states travel as text, through the type's output and input functions.
 * The sketch aggregates' states are "internal", so each has a twin whose
 * state is a dq.sketch_state.  In memory a dq.sketch_state is an expanded
 * object (utils/expandeddatum.h) that the transition function changes in
 * place, as array_append does with arrays: no per-row copy.  Its flat form
 * is a header (magic, format version, kind, byte order) and the kind's
 * serialized state; its text form is "<kind>:" and the flat form in
 * base64.
 *
 * The files that implement a kind supply its DqSketchOps: how to write
 * the state, how to read it back, and how to merge two states.  Reading
 * must validate everything: a state may come from the text input
 * function, that is from anyone.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_STATE_H
#define DQ_SKETCH_STATE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"

#include "sketch/sketch_buf.h"

typedef enum DqSketchKind
{
	DQ_SKETCH_HLL = 1,			/* dq.approx_distinct_pushdown */
	DQ_SKETCH_KLL = 2,			/* dq.approx_quantiles_pushdown */
	DQ_SKETCH_TOPK = 3,			/* dq.approx_top_k_pushdown */
	DQ_SKETCH_ROWS = 4,			/* dq.row_profile_pushdown (profile/) */
	DQ_SKETCH_EXPECT = 5		/* dq.expect_rows_pushdown (expect/) */
} DqSketchKind;

/*
 * One kind of state.  write appends the state to buf; read builds a state
 * from rb in the current memory context, raising an error on anything
 * that is not a state write could have produced.  fcinfo is the caller's
 * when there is one, else DqSketchAggCallInfo(): some states keep
 * PostgreSQL's own aggregate states, whose support functions want an
 * aggregate call.  merge adds the state src into dst; it runs in dst's
 * memory context, and raises an error when the two cannot be merged.
 */
typedef struct DqSketchOps
{
	DqSketchKind kind;
	const char *name;			/* the text form starts with "<name>:" */
	void		(*write) (void *obj, StringInfo buf, FunctionCallInfo fcinfo);
	void	   *(*read) (DqReadBuf *rb, FunctionCallInfo fcinfo);
	void		(*merge) (void *dst, void *src, FunctionCallInfo fcinfo);
} DqSketchOps;

typedef struct DqSketchState
{
	ExpandedObjectHeader hdr;	/* its eoh_context holds everything below */
	const DqSketchOps *ops;
	void	   *obj;			/* the kind's state */
	struct varlena *flat;		/* the flat form while obj is unchanged */
} DqSketchState;

extern DqSketchState *DqSketchNew(const DqSketchOps *ops, MemoryContext parent);
extern DqSketchState *DqSketchTransArg(FunctionCallInfo fcinfo, int argno,
									   const DqSketchOps *ops,
									   MemoryContext *aggctx);
extern Datum DqSketchCombine(FunctionCallInfo fcinfo, const DqSketchOps *ops);
extern void *DqSketchPeek(FunctionCallInfo fcinfo, int argno,
						  const DqSketchOps *ops);
extern FunctionCallInfo DqSketchAggCallInfo(void);

/* The state as the transition or combine function's result. */
static inline Datum
DqSketchResult(DqSketchState *st)
{
	return EOHPGetRWDatum(&st->hdr);
}

/* obj is about to change: forget its flat form. */
static inline void
DqSketchChanged(DqSketchState *st)
{
	if (unlikely(st->flat != NULL))
	{
		pfree(st->flat);
		st->flat = NULL;
	}
}

#endif							/* DQ_SKETCH_STATE_H */
