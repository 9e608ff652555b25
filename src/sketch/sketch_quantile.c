/*-------------------------------------------------------------------------
 *
 * sketch_quantile.c
 *	  KLL quantile sketch (Karnin, Lang, Liberty: "Optimal Quantile
 *	  Approximation in Streams", 2016).
 *
 * Level h holds items of weight 2^h.  Level capacities shrink geometrically
 * (factor 2/3) from the top level down, with a floor of 8 items.  When the
 * sketch holds more items than the sum of the capacities, the lowest level
 * over its capacity is sorted and compacted: every other item, starting at
 * a pseudo-random offset, moves one level up with doubled weight.  The
 * coin is a deterministic xorshift generator so that the same input gives
 * the same sketch.  Until the first compaction the sketch is exact.
 *
 * Bottom sampler (the KLL paper's construction for optimal space): on
 * large inputs the lowest levels are replaced by sampling.  With samplevel s, each block of 2^s consecutive
 * input values contributes one value chosen uniformly at random, entering
 * level s with weight 2^s.  Large inputs then touch the sketch for only a
 * fraction of their values, which keeps the per-value cost a few
 * nanoseconds, and the error stays within that of the compactions above.
 *
 * Quantile semantics: the q-quantile is the smallest retained value whose
 * cumulative weight reaches q * n, i.e. percentile_disc(q) when exact.
 * Memory is O(k log(n/k)) doubles, about 10 kB for k = 400.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "base/simd.h"

#include "sketch/sketch_quantile.h"

/*
 * Sorting a level.  The values are random with respect to each other, so
 * a comparison sort's branches go either way at random and each wrong
 * guess costs the CPU a pipeline flush.  This merge sort instead picks
 * every element with a conditional move: runs of four are sorted by a
 * min/max network, then merged pairwise, bottom-up, through a scratch
 * buffer.  Levels hold about a hundred values when they are sorted.
 * NaN never enters the sketch.
 */
static inline void
DqSortTwo(double *x, double *y)
{
#ifdef DQ_USE_SSE2
	/* gcc turns the portable form below into a branch and a swap */
	__m128d		a = _mm_load_sd(x);
	__m128d		b = _mm_load_sd(y);

	_mm_store_sd(x, _mm_min_sd(b, a));	/* (b < a) ? b : a */
	_mm_store_sd(y, _mm_max_sd(a, b));	/* (a > b) ? a : b */
#else
	double		a = *x;
	double		b = *y;

	*x = (b < a) ? b : a;
	*y = (a > b) ? a : b;
#endif
}

/* Merge the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). */
static inline void
DqMergeRuns(const double *src, double *dst, int lo, int mid, int hi)
{
	int			i = lo;
	int			j = mid;
	int			k = lo;

	while (i < mid && j < hi)
	{
		double		x = src[i];
		double		y = src[j];
		bool		takey = y < x;	/* equal values: the left run first */

		dst[k++] = takey ? y : x;
		i += !takey;
		j += takey;
	}
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

static void
DqSortDoubles(double *items, int n)
{
	double		stackbuf[512];
	double	   *scratch = (n <= lengthof(stackbuf)) ? stackbuf :
		palloc(sizeof(double) * n);
	double	   *src = items;
	double	   *dst = scratch;
	int			width;
	int			i;

	/* runs of four by a five-comparator network; a shorter tail by hand */
	for (i = 0; i + 4 <= n; i += 4)
	{
		DqSortTwo(&items[i], &items[i + 1]);
		DqSortTwo(&items[i + 2], &items[i + 3]);
		DqSortTwo(&items[i], &items[i + 2]);
		DqSortTwo(&items[i + 1], &items[i + 3]);
		DqSortTwo(&items[i + 1], &items[i + 2]);
	}
	if (n - i == 3)
	{
		DqSortTwo(&items[i], &items[i + 1]);
		DqSortTwo(&items[i + 1], &items[i + 2]);
		DqSortTwo(&items[i], &items[i + 1]);
	}
	else if (n - i == 2)
		DqSortTwo(&items[i], &items[i + 1]);

	for (width = 4; width < n; width *= 2)
	{
		double	   *t;

		for (i = 0; i < n; i += 2 * width)
		{
			int			mid = Min(i + width, n);
			int			hi = Min(i + 2 * width, n);

			DqMergeRuns(src, dst, i, mid, hi);
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != items)
		memcpy(items, src, sizeof(double) * n);
	if (scratch != stackbuf)
		pfree(scratch);
}

#define DQ_KLL_MIN_CAP	8
/* largest k a deserialized sketch may have (the aggregates use DQ_KLL_K) */
#define DQ_KLL_MAX_K	65536

/*
 * The sampler's block size W is kept at or below n / 32768.  Sampling adds
 * a rank error of standard deviation at most sqrt(W / 4n) <= 0.28% of n,
 * whatever the input order; with the compactions' 0.26% (k = 400) the
 * total stays within 1% at 99% confidence.
 */
#define DQ_KLL_SAMPLE_RATIO	INT64CONST(32768)

/* pair of (value, weight) used when answering queries */
typedef struct DqKllPair
{
	double		v;
	double		w;
} DqKllPair;

#define ST_SORT DqSortPair
#define ST_ELEMENT_TYPE DqKllPair
#define ST_COMPARE(a, b) (((a)->v > (b)->v) - ((a)->v < (b)->v))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* Capacity of level h when the sketch has nlevels levels. */
static int32
DqKllLevelCapacity(int k, int nlevels, int h)
{
	int			depth = nlevels - 1 - h;
	double		cap = ceil(k * pow(2.0 / 3.0, depth));

	return Max((int32) cap, DQ_KLL_MIN_CAP);
}

/* Set the number of levels and recompute the total capacity. */
static void
DqKllSetLevels(DqKll *kll, int nlevels)
{
	int64		total = 0;
	int			h;

	if (nlevels > DQ_KLL_MAX_LEVELS)
		elog(ERROR, "dq_lineage: quantile sketch has too many levels");
	kll->nlevels = nlevels;
	for (h = 0; h < nlevels; h++)
	{
		kll->levelcap[h] = DqKllLevelCapacity(kll->k, nlevels, h);
		total += kll->levelcap[h];
	}
	kll->capacity = total;
}

static void
DqKllReserve(DqKllLevel *lvl, int32 need)
{
	if (lvl->cap >= need)
		return;
	if (lvl->items == NULL)
	{
		lvl->cap = Max(need, 16);
		lvl->items = palloc(sizeof(double) * lvl->cap);
	}
	else
	{
		while (lvl->cap < need)
			lvl->cap *= 2;
		lvl->items = repalloc(lvl->items, sizeof(double) * lvl->cap);
	}
}

/*
 * Create an empty sketch.
 */
void
DqKllInit(DqKll *kll, int k)
{
	memset(kll, 0, sizeof(DqKll));
	kll->k = k;
	DqKllSetLevels(kll, 1);
	kll->min = INFINITY;
	kll->max = -INFINITY;
	kll->rng = UINT64CONST(0x9E3779B97F4A7C15);
	DqKllReserve(&kll->levels[0], 64);
}

static inline uint64
DqKllRandom(DqKll *kll)
{
	uint64		x = kll->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	kll->rng = x;
	return x;
}

static inline bool
DqKllCoin(DqKll *kll)
{
	return (DqKllRandom(kll) >> 32) & 1;
}

/* Start a new sampling block of 2^samplevel values. */
void
DqKllNextBlock(DqKll *kll)
{
	kll->blockpos = 0;
	kll->blocktarget = (int64) ((DqKllRandom(kll) >> 11) &
								((UINT64CONST(1) << kll->samplevel) - 1));
}

/* Sort level h and move every other item one level up. */
static void
DqKllCompactLevel(DqKll *kll, int h)
{
	DqKllLevel *lvl = &kll->levels[h];
	DqKllLevel *up;
	int32		npairs;
	int32		offset;
	int32		i;
	double		leftover = 0;
	bool		hasleftover;

	if (h + 1 >= kll->nlevels)
		DqKllSetLevels(kll, kll->nlevels + 1);
	up = &kll->levels[h + 1];
	if (!lvl->sorted)
		DqSortDoubles(lvl->items, lvl->n);
	hasleftover = (lvl->n % 2) != 0;
	if (hasleftover)
		leftover = lvl->items[lvl->n - 1];
	npairs = lvl->n / 2;
	offset = DqKllCoin(kll) ? 1 : 0;
	DqKllReserve(up, up->n + npairs);
	if (up->n == 0 || up->sorted)
	{
		/*
		 * The promoted items are in order: merge them into the level above
		 * from the back, so that it stays sorted and its own compaction
		 * needs no sort.
		 */
		int32		a = up->n - 1;
		int32		b = npairs - 1;
		int32		out = up->n + npairs - 1;

		while (b >= 0)
		{
			double		pb = lvl->items[2 * b + offset];

			if (a >= 0 && up->items[a] > pb)
				up->items[out--] = up->items[a--];
			else
			{
				up->items[out--] = pb;
				b--;
			}
		}
		up->n += npairs;
		up->sorted = true;
	}
	else
	{
		for (i = 0; i < npairs; i++)
			up->items[up->n++] = lvl->items[2 * i + offset];
	}
	kll->retained -= npairs;
	lvl->n = 0;
	if (hasleftover)
		lvl->items[lvl->n++] = leftover;
	lvl->sorted = true;
}

/*
 * Raise the sampling level when the input has grown enough: block size
 * 2^s at most n / DQ_KLL_SAMPLE_RATIO (see the header comment), and only
 * below the top two levels.  Level s is compacted upwards first.
 */
static void
DqKllRaiseSampler(DqKll *kll)
{
	while (kll->samplevel + 2 < kll->nlevels &&
		   (INT64CONST(1) << (kll->samplevel + 1)) * DQ_KLL_SAMPLE_RATIO <= kll->n)
	{
		if (kll->levels[kll->samplevel].n > 1)
			DqKllCompactLevel(kll, kll->samplevel);
		kll->samplevel++;
		DqKllNextBlock(kll);
	}
}

/* Compact the lowest level that is over capacity. */
static void
DqKllCompactOnce(DqKll *kll)
{
	int			h;

	for (h = 0; h < kll->nlevels; h++)
	{
		if (kll->levels[h].n >= kll->levelcap[h])
		{
			DqKllCompactLevel(kll, h);
			return;
		}
	}
}

static void
DqKllCompress(DqKll *kll)
{
	while (kll->retained > kll->capacity)
		DqKllCompactOnce(kll);
	DqKllRaiseSampler(kll);
}

/*
 * Add a value the sampler keeps (DqKllAdd in sketch_quantile.h has done
 * the rest).
 */
void
DqKllAddKept(DqKll *kll, double v)
{
	DqKllLevel *lvl = &kll->levels[kll->samplevel];

	if (lvl->n >= lvl->cap)
		DqKllReserve(lvl, lvl->n + 1);
	lvl->items[lvl->n++] = v;
	lvl->sorted = (lvl->n == 1);
	kll->retained++;
	if (kll->retained > kll->capacity)
		DqKllCompress(kll);
}

/*
 * Merge src into dst (the parallel combine step).
 */
void
DqKllMerge(DqKll *dst, const DqKll *src)
{
	int			h;

	if (src->n == 0)
		return;
	if (dst->nlevels < src->nlevels)
		DqKllSetLevels(dst, src->nlevels);
	for (h = 0; h < src->nlevels; h++)
	{
		const DqKllLevel *sl = &src->levels[h];
		DqKllLevel *dl = &dst->levels[h];

		CHECK_FOR_INTERRUPTS();
		if (sl->n == 0)
			continue;
		DqKllReserve(dl, dl->n + sl->n);
		memcpy(dl->items + dl->n, sl->items, sizeof(double) * sl->n);
		dl->sorted = (dl->n == 0) ? sl->sorted : false;
		dl->n += sl->n;
		dst->retained += sl->n;
	}
	dst->n += src->n;
	if (src->samplevel > dst->samplevel)
	{
		dst->samplevel = src->samplevel;
		DqKllNextBlock(dst);
	}
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	DqKllCompress(dst);
}

/*
 * Sort the retained items with their weights for querying.
 */
void
DqKllSort(const DqKll *kll, DqKllSorted *out)
{
	DqKllPair  *pairs = palloc(sizeof(DqKllPair) * Max(kll->retained, 1));
	int32		n = 0;
	int			h;
	int32		i;
	double		cum = 0;

	for (h = 0; h < kll->nlevels; h++)
	{
		double		w = ldexp(1.0, h);

		for (i = 0; i < kll->levels[h].n; i++)
		{
			pairs[n].v = kll->levels[h].items[i];
			pairs[n].w = w;
			n++;
		}
	}
	DqSortPair(pairs, n);
	out->n = n;
	out->values = palloc(sizeof(double) * Max(n, 1));
	out->cumweight = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		cum += pairs[i].w;
		out->values[i] = pairs[i].v;
		out->cumweight[i] = cum;
	}
	out->total = cum;
	pfree(pairs);
}

/*
 * Smallest retained value whose cumulative weight reaches q * total.
 * q = 0 gives the minimum, q = 1 the maximum (both tracked exactly).
 */
double
DqKllSortedQuantile(const DqKllSorted *s, double q)
{
	double		target;
	int32		lo = 0;
	int32		hi;

	if (s->n == 0)
		return NAN;
	target = q * s->total;
	hi = s->n - 1;
	/* binary search for the first cumweight >= target */
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (s->cumweight[mid] >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return s->values[lo];
}

/*
 * Fraction of the weight at values <= v.
 */
double
DqKllSortedRank(const DqKllSorted *s, double v)
{
	int32		lo = 0;
	int32		hi = s->n;

	if (s->n == 0)
		return 0.0;
	/* first index with value > v */
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (s->values[mid] > v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (lo == 0) ? 0.0 : s->cumweight[lo - 1] / s->total;
}

void
DqKllSerialize(const DqKll *kll, StringInfo buf)
{
	int			h;

	DqBufPutInt32(buf, kll->k);
	DqBufPutInt32(buf, kll->nlevels);
	DqBufPutInt64(buf, kll->n);
	DqBufPutDouble(buf, kll->min);
	DqBufPutDouble(buf, kll->max);
	DqBufPut(buf, &kll->rng, sizeof(uint64));
	DqBufPutInt32(buf, kll->samplevel);
	DqBufPutInt64(buf, kll->blockpos);
	DqBufPutInt64(buf, kll->blocktarget);
	for (h = 0; h < kll->nlevels; h++)
	{
		DqBufPutInt32(buf, kll->levels[h].n);
		DqBufPut(buf, kll->levels[h].items, sizeof(double) * kll->levels[h].n);
	}
}

void
DqKllDeserialize(DqKll *kll, DqReadBuf *rb)
{
	int			h;
	int32		k;
	int32		nlevels;

	k = DqBufGetInt32(rb);
	if (k < DQ_KLL_MIN_CAP || k > DQ_KLL_MAX_K)
		DqBufInvalid("quantile sketch");
	DqKllInit(kll, k);
	nlevels = DqBufGetInt32(rb);
	if (nlevels < 1 || nlevels > DQ_KLL_MAX_LEVELS)
		DqBufInvalid("quantile sketch");
	DqKllSetLevels(kll, nlevels);
	kll->n = DqBufGetInt64(rb);
	kll->min = DqBufGetDouble(rb);
	kll->max = DqBufGetDouble(rb);
	DqBufGet(rb, &kll->rng, sizeof(uint64));
	kll->samplevel = DqBufGetInt32(rb);
	kll->blockpos = DqBufGetInt64(rb);
	kll->blocktarget = DqBufGetInt64(rb);
	if (kll->n < 0 || isnan(kll->min) || isnan(kll->max) ||
		kll->samplevel < 0 || kll->samplevel >= nlevels ||
		kll->blockpos < 0 || kll->blocktarget < 0 ||
		kll->blockpos >= (INT64CONST(1) << kll->samplevel) ||
		kll->blocktarget >= (INT64CONST(1) << kll->samplevel))
		DqBufInvalid("quantile sketch");
	for (h = 0; h < nlevels; h++)
	{
		int32		n = DqBufGetInt32(rb);
		int32		i;

		if (n < 0 || (Size) n > DqBufLeft(rb) / sizeof(double))
			DqBufInvalid("quantile sketch");
		DqKllReserve(&kll->levels[h], Max(n, 1));
		DqBufGet(rb, kll->levels[h].items, sizeof(double) * n);
		/* the sorts and the quantile search compare items with < */
		for (i = 0; i < n; i++)
			if (isnan(kll->levels[h].items[i]))
				DqBufInvalid("quantile sketch");
		kll->levels[h].n = n;
		kll->levels[h].sorted = false;
		kll->retained += n;
	}
}
