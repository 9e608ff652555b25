/*-------------------------------------------------------------------------
 *
 * hash.c
 *	  The byte-string hash of the library (see hash.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "base/hash.h"

/*
 * Hash of a byte string in the manner of wyhash: sixteen bytes per step,
 * each pair of words folded into the state by a 64x64->128-bit multiply
 * whose halves are xor-ed (the "mum" step), then the 64-bit finalizer.
 * The last one to sixteen bytes are read as two words that may overlap
 * (the length is part of the seed), so there is no byte loop and no
 * variable-length copy.  Several times faster than hash_bytes_extended
 * on typical column values; only our own sketches see these hashes.  A
 * seed of 0 gives the plain hash; numerics pass their sign and weight.
 */
static inline uint64
DqMum(uint64 a, uint64 b)
{
#ifdef HAVE_INT128
	uint128		r = (uint128) a * (uint128) b;

	return (uint64) r ^ (uint64) (r >> 64);
#else
	/* the same 128-bit product from four 32x32->64-bit ones */
	uint64		alo = a & 0xFFFFFFFF,
				ahi = a >> 32,
				blo = b & 0xFFFFFFFF,
				bhi = b >> 32;
	uint64		ll = alo * blo,
				lh = alo * bhi,
				hl = ahi * blo,
				hh = ahi * bhi;
	uint64		mid = (ll >> 32) + (lh & 0xFFFFFFFF) + (hl & 0xFFFFFFFF);
	uint64		lo = (mid << 32) | (ll & 0xFFFFFFFF);
	uint64		hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);

	return lo ^ hi;
#endif
}

uint64
DqHashBytes(const char *p, Size len, uint64 seed)
{
	uint64		h = UINT64CONST(0x243F6A8885A308D3) ^ (uint64) len ^
		(seed * UINT64CONST(0x9E3779B97F4A7C15));
	uint64		a;
	uint64		b;

	if (len > 16)
	{
		const char *end = p + len;

		do
		{
			h = DqMum(DqLoad64(p) ^ UINT64CONST(0xA0761D6478BD642F),
					  DqLoad64(p + 8) ^ h);
			p += 16;
		} while (end - p > 16);
		/* the last sixteen bytes, overlapping what the loop read */
		p = end - 16;
		len = 16;
	}
	if (len >= 8)
	{
		a = DqLoad64(p);
		b = DqLoad64(p + len - 8);
	}
	else if (len >= 4)
	{
		a = DqLoad32(p);
		b = DqLoad32(p + len - 4);
	}
	else if (len > 0)
	{
		a = ((uint64) (unsigned char) p[0] << 16) |
			((uint64) (unsigned char) p[len >> 1] << 8) |
			(uint64) (unsigned char) p[len - 1];
		b = 0;
	}
	else
		a = b = 0;
	h = DqMum(a ^ UINT64CONST(0x8EBC6AF09C88C6E3),
			  b ^ h ^ UINT64CONST(0x589965CC75374CC3));
	return DqMix64(h);
}
