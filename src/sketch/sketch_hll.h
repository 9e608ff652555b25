/*-------------------------------------------------------------------------
 *
 * sketch_hll.h
 *	  HyperLogLog distinct-count sketch.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_HLL_H
#define DQ_SKETCH_HLL_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "port/pg_bitutils.h"

#include "base/hash.h"
#include "sketch/sketch_buf.h"

/* 2^14 registers: relative standard error 1.04 / sqrt(16384) = 0.81% */
#define DQ_HLL_P			14
#define DQ_HLL_M			(1 << DQ_HLL_P)
/* up to this many distinct hashes are kept exactly before going dense */
#define DQ_HLL_SPARSE_MAX	1024

typedef struct DqHll
{
	int32		nsparse;		/* hashes in the exact set; -1 when dense */
	int32		sparse_cap;		/* slots of the open-addressing set */
	uint64	   *sparse;			/* exact set, 0 marks an empty slot */
	uint8	   *regs;			/* DQ_HLL_M registers once dense */
} DqHll;

extern void DqHllInit(DqHll *hll);
extern void DqHllAddSlow(DqHll *hll, uint64 hash);
extern void DqHllMerge(DqHll *dst, const DqHll *src);
extern double DqHllEstimate(const DqHll *hll);
extern void DqHllSerialize(const DqHll *hll, StringInfo buf);
extern void DqHllDeserialize(DqHll *hll, DqReadBuf *rb);

/*
 * Add one (well mixed) 64-bit hash.  The dense case, by far the most
 * frequent, is inline: one register update.
 */
static inline void
DqHllAdd(DqHll *hll, uint64 hash)
{
	if (likely(hll->nsparse < 0))
	{
		uint32		idx = (uint32) (hash >> (64 - DQ_HLL_P));
		uint64		w = hash << DQ_HLL_P;
		uint8		rank = (w == 0) ? (64 - DQ_HLL_P + 1) :
			(uint8) (pg_leftmost_one_pos64(w) ^ 63) + 1;

		if (hll->regs[idx] < rank)
			hll->regs[idx] = rank;
		return;
	}
	DqHllAddSlow(hll, hash);
}

#endif							/* DQ_SKETCH_HLL_H */
