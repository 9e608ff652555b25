/*-------------------------------------------------------------------------
 *
 * sketch_topk.h
 *	  Space-Saving heavy-hitters sketch over typed values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_TOPK_H
#define DQ_SKETCH_TOPK_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "base/json_build.h"
#include "sketch/sketch_buf.h"
#include "base/typeinfo.h"

/* values longer than this are counted but not kept for display */
#define DQ_TOPK_MAX_VALUE_BYTES	1024

typedef struct DqTopKItem
{
	uint64		hash;
	int64		count;			/* upper bound of the true count */
	int64		error;			/* count - error is a lower bound */
	Datum		value;			/* by-value datum, or points into vbuf */
	int32		vlen;			/* bytes in vbuf; -1 when not kept */
	int32		vcap;
	char	   *vbuf;
} DqTopKItem;

typedef struct DqTopK
{
	int32		capacity;		/* counters kept */
	int32		nitems;
	int16		typlen;
	bool		typbyval;
	bool		evicted;		/* true once a counter was ever replaced */
	int64		mincount;		/* lower bound of the smallest count */
	int32		scanpos;		/* where the next eviction search starts */
	uint64		rng;			/* admission coin (deterministic xorshift) */
	int32		tabmask;		/* hash table size - 1 */
	uint32	   *table;			/* item index + 1 and a hash tag, 0 = empty */
	DqTopKItem *items;
} DqTopK;

extern void DqTopKInit(DqTopK *tk, int capacity, int16 typlen, bool typbyval);
extern DqTopKItem *DqTopKInsert(DqTopK *tk, uint64 hash, Datum value);
extern bool DqTopKAddProbe(DqTopK *tk, uint64 hash, Datum value,
						   DqTopKItem **held);
extern void DqTopKAddCount(DqTopK *tk, uint64 hash, Datum value, int64 count);
extern void DqTopKMerge(DqTopK *dst, const DqTopK *src);
extern int	DqTopKSorted(const DqTopK *tk, DqTopKItem **out);
extern void DqTopKSerialize(const DqTopK *tk, StringInfo buf);
extern void DqTopKDeserialize(DqTopK *tk, DqReadBuf *rb);
extern void DqTopKJson(DqJson *js, const DqTopK *tk, DqTypeInfo *ti, int k);

/* The table slot where a hash's probe starts. */
static inline uint32
DqTopKHome(const DqTopK *tk, uint64 hash)
{
	return (uint32) (hash >> 32) & tk->tabmask;
}

/*
 * Admission (see sketch_topk.c): once every counter is taken, a value not
 * counted yet replaces the smallest counter c only with probability
 * 1 / (c + 1).  A uniform 32-bit number times (c + 1) overflows 32 bits
 * unless it falls in the first 1 / (c + 1) of the range (no division).
 * Returns whether to admit; a refusal marks the sketch inexact.
 */
static inline bool
DqTopKAdmits(DqTopK *tk)
{
	uint64		x;

	if (tk->nitems < tk->capacity || tk->mincount <= 0 ||
		tk->mincount >= PG_INT32_MAX)
		return true;
	x = tk->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	tk->rng = x;
	if (((x >> 32) * (uint64) (tk->mincount + 1)) >> 32 != 0)
	{
		tk->evicted = true;
		return false;
	}
	return true;
}

/*
 * Count one occurrence of a value with the given hash.  Returns true when
 * the sketch already held this very value (same hash and same bytes): the
 * caller then knows it has seen it before.  *held (if not NULL) is set to
 * the item that holds this value after the call, or NULL.
 *
 * Inline, the usual case of a high-cardinality column: the value's home
 * slot in the sparse table is empty, so the value is not counted, and the
 * admission coin refuses it.
 */
static inline bool
DqTopKAdd(DqTopK *tk, uint64 hash, Datum value, DqTopKItem **held)
{
	DqTopKItem *item;

	if (tk->table[DqTopKHome(tk, hash)] != 0)
		return DqTopKAddProbe(tk, hash, value, held);
	item = DqTopKAdmits(tk) ? DqTopKInsert(tk, hash, value) : NULL;
	if (held)
		*held = item;
	return false;
}

#endif							/* DQ_SKETCH_TOPK_H */
