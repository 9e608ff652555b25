/*-------------------------------------------------------------------------
 *
 * numeric_util.c
 *	  Fast read-only access to numeric values for the profiler.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "compat.h"
#include "numeric_util.h"

/*
 * Reading numeric values without a text round trip.
 *
 * numeric_float8 goes through numeric_out and strtod, which costs more
 * than everything else the profiler does with a value.  The quantile
 * sketch only needs an approximation, so we decode the stored form
 * directly.  That form is the on-disk format of numeric (numeric.c:
 * a 2-byte header, optionally a 2-byte weight, then base-10000 digits);
 * it cannot change without breaking pg_upgrade, so reading it is safe.
 * The value must be fully detoasted (4-byte varlena header).
 */
#define DQ_NUMERIC_SIGN_MASK	0xC000
#define DQ_NUMERIC_NEG			0x4000
#define DQ_NUMERIC_SHORT		0x8000
#define DQ_NUMERIC_SPECIAL		0xC000
#define DQ_NUMERIC_NINF			0xF000
#define DQ_NUMERIC_SHORT_SIGN	0x2000
#define DQ_NUMERIC_SHORT_WSIGN	0x0040
#define DQ_NUMERIC_SHORT_WMASK	0x003F
#define DQ_NBASE				10000.0
#define DQ_POW10K_RANGE			80

static double DqPow10k[2 * DQ_POW10K_RANGE + 1];
static bool DqPow10kReady = false;

static inline uint16
DqNumericHeader(Numeric num)
{
	uint16		h;

	memcpy(&h, VARDATA(num), sizeof(uint16));
	return h;
}

bool
DqNumericIsNegative(Numeric num)
{
	uint16		h = DqNumericHeader(num);

	switch (h & DQ_NUMERIC_SIGN_MASK)
	{
		case DQ_NUMERIC_SHORT:
			return (h & DQ_NUMERIC_SHORT_SIGN) != 0;
		case DQ_NUMERIC_SPECIAL:
			return (h & 0xF000) == DQ_NUMERIC_NINF;
		default:
			return (h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_NEG;
	}
}

/* Header size and digit count of a finite numeric. */
static inline void
DqNumericLayout(Numeric num, int *hdr, int *ndigits, int *weight)
{
	uint16		h = DqNumericHeader(num);

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SHORT)
	{
		*hdr = VARHDRSZ + sizeof(uint16);
		*weight = ((h & DQ_NUMERIC_SHORT_WSIGN) ? ~DQ_NUMERIC_SHORT_WMASK : 0) |
			(h & DQ_NUMERIC_SHORT_WMASK);
	}
	else
	{
		int16		w;

		*hdr = VARHDRSZ + sizeof(uint16) + sizeof(int16);
		memcpy(&w, VARDATA(num) + sizeof(uint16), sizeof(int16));
		*weight = w;
	}
	*ndigits = (int) ((VARSIZE(num) - *hdr) / sizeof(int16));
}

bool
DqNumericIsZero(Numeric num)
{
	int			hdr,
				ndigits,
				weight;

	if ((DqNumericHeader(num) & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return false;
	DqNumericLayout(num, &hdr, &ndigits, &weight);
	return ndigits == 0;
}

/*
 * Approximate a numeric as a double (about 16 significant digits);
 * +/-Infinity beyond the range of double, like numeric_float8_no_overflow.
 */
double
DqNumericToDouble(Numeric num)
{
	uint16		h = DqNumericHeader(num);
	int			hdr,
				ndigits,
				weight,
				used,
				i,
				e;
	const char *digits;
	double		r = 0;

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												  NumericGetDatum(num)));
	if (!DqPow10kReady)
	{
		for (i = -DQ_POW10K_RANGE; i <= DQ_POW10K_RANGE; i++)
			DqPow10k[i + DQ_POW10K_RANGE] = pow(DQ_NBASE, i);
		DqPow10kReady = true;
	}
	DqNumericLayout(num, &hdr, &ndigits, &weight);
	if (ndigits == 0)
		return 0.0;
	digits = (const char *) num + hdr;

	/*
	 * Exact path: up to four base-10000 digits form an integer below 2^53,
	 * and 10000^k is exact for k <= 5, so one multiplication or division
	 * rounds correctly (as strtod would).  Anything else takes the slow,
	 * correctly rounded path through PostgreSQL's own conversion.
	 */
	if (ndigits > 4)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												  NumericGetDatum(num)));
	used = ndigits;
	for (i = 0; i < used; i++)
	{
		int16		d;

		memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
		r = r * DQ_NBASE + d;
	}
	e = weight - (used - 1);
	if (r >= 9007199254740992.0 || e > 5 || e < -5)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												  NumericGetDatum(num)));
	if (e >= 0)
		r *= DqPow10k[e + DQ_POW10K_RANGE];
	else
		r /= DqPow10k[-e + DQ_POW10K_RANGE];
	return DqNumericIsNegative(num) ? -r : r;
}


/*
 * 64-bit hash of a numeric consistent with equality: equal values (1.0
 * and 1.00) hash alike because stored digits carry no trailing zeros and
 * the display scale is left out.  Unlike PostgreSQL's hash_numeric, the
 * sign and the whole weight are hashed too, so that x and -x, or 1e300
 * and 1e400, do not collide (the core function may collide by design;
 * sketches counting distinct values may not).
 */
uint64
DqNumericHash(Numeric num)
{
	uint16		h = DqNumericHeader(num);
	int			hdr,
				ndigits,
				weight;
	uint64		seed;

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return hash_bytes_uint32_extended((uint32) (h & 0xF000), 0x5EED);
	DqNumericLayout(num, &hdr, &ndigits, &weight);
	if (ndigits == 0)
		return hash_bytes_uint32_extended(0, 0);	/* every zero */
	seed = ((uint64) (uint32) weight << 1) | (DqNumericIsNegative(num) ? 1 : 0);
	return hash_bytes_extended((const unsigned char *) num + hdr,
							   ndigits * sizeof(int16), seed);
}
