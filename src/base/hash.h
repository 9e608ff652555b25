/*-------------------------------------------------------------------------
 *
 * hash.h
 *	  The bottom layer of hashing: unaligned word loads, the 64-bit
 *	  finalizer, and the byte-string hash that every sketch and hash table
 *	  of the library uses.  It includes nothing of the library, so that
 *	  type information (typeinfo), numerics (numeric_util) and the sketches
 *	  can all use it without depending on each other.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_HASH_H
#define DQ_HASH_H

#include "postgres.h"

/* Eight or four bytes at p, of any alignment, as one number. */
static inline uint64
DqLoad64(const char *p)
{
	uint64		w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint32
DqLoad32(const char *p)
{
	uint32		w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* 64-bit finalizer (MurmurHash3 fmix64): spreads any hash over all bits */
static inline uint64
DqMix64(uint64 h)
{
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

extern uint64 DqHashBytes(const char *p, Size len, uint64 seed);

#endif							/* DQ_HASH_H */
