/*-------------------------------------------------------------------------
 *
 * sketch_quantile.h
 *	  KLL quantile sketch over float8 values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_QUANTILE_H
#define DQ_SKETCH_QUANTILE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "sketch/sketch_buf.h"

/*
 * Accuracy parameter k.  The compactions' normalized rank error at 99%
 * confidence is about 2.296 / k^0.9723 (constants as published for KLL by
 * Apache DataSketches): 0.68% for k = 400.  With the bottom sampler (see
 * sketch_quantile.c) the stated bound is 1% of n at 99% confidence.
 */
#define DQ_KLL_K			400
#define DQ_KLL_MAX_LEVELS	40

typedef struct DqKllLevel
{
	int32		n;
	int32		cap;
	bool		sorted;			/* items known to be in ascending order */
	double	   *items;
} DqKllLevel;

typedef struct DqKll
{
	int32		k;
	int32		nlevels;
	int64		n;				/* values added (weight of the sketch) */
	double		min;
	double		max;
	uint64		rng;			/* deterministic coin for compactions */
	int32		retained;		/* items held over all levels */
	int64		capacity;		/* sum of the level capacities */
	int32		levelcap[DQ_KLL_MAX_LEVELS];	/* capacity of each level */
	int32		samplevel;		/* new items enter at this level */
	int64		blockpos;		/* position in the current sampling block */
	int64		blocktarget;	/* position of the item the block keeps */
	DqKllLevel	levels[DQ_KLL_MAX_LEVELS];
} DqKll;

extern void DqKllInit(DqKll *kll, int k);
extern void DqKllAddKept(DqKll *kll, double v);
extern void DqKllNextBlock(DqKll *kll);
extern void DqKllMerge(DqKll *dst, const DqKll *src);
extern void DqKllSerialize(const DqKll *kll, StringInfo buf);
extern void DqKllDeserialize(DqKll *kll, DqReadBuf *rb);

/* A sorted, weighted view for answering many queries at once. */
typedef struct DqKllSorted
{
	int32		n;
	double	   *values;
	double	   *cumweight;		/* weight of values[0..i] inclusive */
	double		total;
} DqKllSorted;

extern void DqKllSort(const DqKll *kll, DqKllSorted *out);
extern double DqKllSortedQuantile(const DqKllSorted *s, double q);
extern double DqKllSortedRank(const DqKllSorted *s, double v);

/*
 * Add one value.  NaN must be filtered out by the caller.  Inline, the
 * part every value takes: min, max, count, and the sampler, which keeps
 * one value of each block of 2^samplevel on large inputs.
 */
static inline void
DqKllAdd(DqKll *kll, double v)
{
	if (v < kll->min)
		kll->min = v;
	if (v > kll->max)
		kll->max = v;
	kll->n++;
	if (kll->samplevel > 0)
	{
		bool		keep = (kll->blockpos == kll->blocktarget);

		if (++kll->blockpos == (INT64CONST(1) << kll->samplevel))
			DqKllNextBlock(kll);
		if (!keep)
			return;
	}
	DqKllAddKept(kll, v);
}

#endif							/* DQ_SKETCH_QUANTILE_H */
