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
#include "sketch_buf.h"

/*
 * Accuracy parameter k.  Normalized rank error at 99% confidence is about
 * 2.296 / k^0.9723 (Karnin, Lang, Liberty 2016; constants as published for
 * KLL by Apache DataSketches): 0.68% for k = 400.
 */
#define DQ_KLL_K			400
#define DQ_KLL_MAX_LEVELS	40

typedef struct DqKllLevel
{
	int32		n;
	int32		cap;
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
	DqKllLevel	levels[DQ_KLL_MAX_LEVELS];
} DqKll;

extern void DqKllInit(DqKll *kll, int k);
extern void DqKllAdd(DqKll *kll, double v);
extern void DqKllMerge(DqKll *dst, const DqKll *src);
extern double DqKllQuantile(const DqKll *kll, double q);
extern double DqKllRank(const DqKll *kll, double v);
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

#endif							/* DQ_SKETCH_QUANTILE_H */
