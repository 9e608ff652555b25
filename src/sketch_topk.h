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
#include "json_build.h"
#include "sketch_buf.h"
#include "typeinfo.h"

/* values longer than this are counted but not kept for display */
#define DQ_TOPK_MAX_VALUE_BYTES	1024

typedef struct DqTopKItem
{
	uint64		hash;
	int64		count;			/* upper bound of the true count */
	int64		error;			/* count - error is a lower bound */
	Datum		value;			/* by-value datum, or points into vbuf */
	int32		vlen;			/* bytes in vbuf; -1 when not kept */
	bool		aux_valid;		/* aux describes the value (reset when the
								 * item takes another value) */
	uint64		aux;			/* the caller's cached facts about the value */
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
extern bool DqTopKAdd(DqTopK *tk, uint64 hash, Datum value, DqTopKItem **held);
extern void DqTopKAddCount(DqTopK *tk, uint64 hash, Datum value, int64 count);
extern void DqTopKMerge(DqTopK *dst, const DqTopK *src);
extern int	DqTopKSorted(const DqTopK *tk, DqTopKItem **out);
extern void DqTopKSerialize(const DqTopK *tk, StringInfo buf);
extern void DqTopKDeserialize(DqTopK *tk, DqReadBuf *rb);
extern void DqTopKJson(DqJson *js, const DqTopK *tk, DqTypeInfo *ti, int k);

#endif							/* DQ_SKETCH_TOPK_H */
