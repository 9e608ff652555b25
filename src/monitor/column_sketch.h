/*-------------------------------------------------------------------------
 *
 * column_sketch.h
 *	  The mergeable state of one column over one time bucket: counts,
 *	  distinct values, moments, quantiles, lengths, patterns and top
 *	  values.  Column and distribution monitors keep one per bucket, so
 *	  that any window of buckets is the merge of their states, never a
 *	  rescan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_MONITOR_COLUMN_SKETCH_H
#define DQ_MONITOR_COLUMN_SKETCH_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "base/json_build.h"
#include "base/text_patterns.h"
#include "base/typeinfo.h"
#include "sketch/sketch_hll.h"
#include "sketch/sketch_quantile.h"
#include "sketch/sketch_topk.h"

/* counters of the top-values sketch of a bucket */
#define DQ_COLSKETCH_TOPK		64
/* categories compared by the chi-square test (from each side) */
#define DQ_COLSKETCH_CATEGORIES	20

typedef struct DqColSketch
{
	DqTypeInfo	ti;
	int64		rows;
	int64		nulls;
	DqHll		hll;
	/* numbers: numeric types, and date/time types as epoch seconds */
	int64		n;				/* finite values */
	double		mean;
	double		m2;				/* sum of squared deviations (Welford) */
	double		min;
	double		max;
	int64		zeros;
	int64		negatives;
	DqKll		kll;
	/* text */
	int64		len_sum;
	int32		len_min;
	int32		len_max;
	int64		empties;
	int64		patterns[DQ_NUM_PATTERNS];
	/* categories: text and other types (top values), booleans */
	bool		has_topk;
	DqTopK		topk;
	int64		trues;
	int64		falses;
} DqColSketch;

/* The verdict of a drift comparison of two sketches. */
typedef struct DqDriftOptions
{
	double		ks_threshold;	/* KS distance that counts as drift */
	double		psi_threshold;	/* PSI that counts as drift */
	double		p_value;		/* significance for KS and chi-square */
	double		min_effect;		/* Cramer's V for chi-square */
	int64		min_rows;		/* fewer values on a side: no verdict */
} DqDriftOptions;

extern DqColSketch *DqColSketchCreate(Oid typid, Oid collation);
extern void DqColSketchAdd(DqColSketch *cs, Datum value, bool isnull);
extern void DqColSketchMerge(DqColSketch *dst, const DqColSketch *src);
extern bytea *DqColSketchSerialize(const DqColSketch *cs);
extern DqColSketch *DqColSketchDeserialize(bytea *b);
extern Datum DqColSketchMetricsJsonb(DqColSketch *cs, int64 buckets);
extern Datum DqColSketchDriftJsonb(DqColSketch *ref, DqColSketch *cur,
								   DqDriftOptions *o, int64 nref, int64 ncur);
extern bool DqColSketchIsNumeric(const DqColSketch *cs);
extern void DqDriftDefaults(DqDriftOptions *o);
extern void DqDriftParseOptions(DqDriftOptions *o, Jsonb *options,
								const char *const *skip_keys);
extern void DqColSketchDrift(DqJson *js, const DqColSketch *ref,
							 const DqColSketch *cur, const DqDriftOptions *o,
							 bool *drift, double *primary);

#endif							/* DQ_MONITOR_COLUMN_SKETCH_H */
