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
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "base/compat.h"
#include "base/numeric_util.h"
#include "base/hash.h"

/*
 * Reading numeric values without a text round trip.
 *
 * numeric_float8 goes through numeric_out and strtod, which costs more
 * than everything else the profiler does with a value.  The quantile
 * sketch only needs an approximation, so we decode the stored form
 * directly.  That form is the on-disk format of numeric (numeric.c:
 * a 2-byte header, optionally a 2-byte weight, then base-10000 digits);
 * it cannot change without breaking pg_upgrade, so reading it is safe.
 * The value must not be compressed or stored out of line; a short (1-byte)
 * varlena header is fine, so values straight from a heap tuple need no
 * copy.
 */
#define DQ_NUMERIC_SIGN_MASK	0xC000
#define DQ_NUMERIC_NEG			0x4000
#define DQ_NUMERIC_SHORT		0x8000
#define DQ_NUMERIC_SPECIAL		0xC000
#define DQ_NUMERIC_PINF			0xD000
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

	memcpy(&h, VARDATA_ANY(num), sizeof(uint16));
	return h;
}

bool
DqNumericIsNaN(Numeric num)
{
	return (DqNumericHeader(num) & 0xF000) == DQ_NUMERIC_SPECIAL;
}

bool
DqNumericIsInf(Numeric num)
{
	uint16		h = DqNumericHeader(num) & 0xF000;

	return h == DQ_NUMERIC_PINF || h == DQ_NUMERIC_NINF;
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
/* Where the base-10000 digits start, how many, and the first one's weight */
static inline const char *
DqNumericLayout(Numeric num, int *ndigits, int *weight)
{
	uint16		h = DqNumericHeader(num);
	const char *data = VARDATA_ANY(num);
	int			hdr;

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SHORT)
	{
		hdr = sizeof(uint16);
		*weight = ((h & DQ_NUMERIC_SHORT_WSIGN) ? ~DQ_NUMERIC_SHORT_WMASK : 0) |
			(h & DQ_NUMERIC_SHORT_WMASK);
	}
	else
	{
		int16		w;

		hdr = sizeof(uint16) + sizeof(int16);
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		*weight = w;
	}
	*ndigits = (int) ((VARSIZE_ANY_EXHDR(num) - hdr) / sizeof(int16));
	return data + hdr;
}

bool
DqNumericIsZero(Numeric num)
{
	int			ndigits,
				weight;

	if ((DqNumericHeader(num) & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return false;
	(void) DqNumericLayout(num, &ndigits, &weight);
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
	int			ndigits,
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
	digits = DqNumericLayout(num, &ndigits, &weight);
	if (ndigits == 0)
		return 0.0;

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
 * Compare two numerics as numeric_cmp does (NaN above everything,
 * -Infinity below and +Infinity above every finite value, 1.0 = 1.00), on
 * their stored forms: no copy of a value stored with a one-byte header.
 * Finite values are compared by sign, then by the weight of their first
 * base-10000 digit, then digit by digit; stored digits carry no leading
 * or trailing zeros, but a longer tail is read for a non-zero digit, as
 * PostgreSQL does, rather than assumed.
 */
int
DqNumericCmp(Numeric a, Numeric b)
{
	int			na,
				nb,
				wa,
				wb,
				sa,
				sb,
				mag = 0;
	const char *da,
			   *db;

	if ((DqNumericHeader(a) & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL ||
		(DqNumericHeader(b) & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a),
												 NumericGetDatum(b)));
	da = DqNumericLayout(a, &na, &wa);
	db = DqNumericLayout(b, &nb, &wb);
	sa = (na == 0) ? 0 : (DqNumericIsNegative(a) ? -1 : 1);
	sb = (nb == 0) ? 0 : (DqNumericIsNegative(b) ? -1 : 1);
	if (sa != sb)
		return (sa < sb) ? -1 : 1;
	if (sa == 0)
		return 0;
	if (wa != wb)
		mag = (wa < wb) ? -1 : 1;
	else
	{
		for (int i = 0; i < Max(na, nb) && mag == 0; i++)
		{
			int16		x = 0,
						y = 0;

			if (i < na)
				memcpy(&x, da + i * sizeof(int16), sizeof(int16));
			if (i < nb)
				memcpy(&y, db + i * sizeof(int16), sizeof(int16));
			if (x != y)
				mag = (x < y) ? -1 : 1;
		}
	}
	return sa * mag;
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
	int			ndigits,
				weight;
	const char *digits;
	uint64		seed;

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return hash_bytes_uint32_extended((uint32) (h & 0xF000), 0x5EED);
	digits = DqNumericLayout(num, &ndigits, &weight);
	if (ndigits == 0)
		return hash_bytes_uint32_extended(0, 0);	/* every zero */
	seed = ((uint64) (uint32) weight << 1) | (DqNumericIsNegative(num) ? 1 : 0);
	return DqHashBytes(digits, ndigits * sizeof(int16), seed);
}

/*
 * Exact sums of numeric values in a 128-bit integer.
 *
 * A numeric of at most four base-10000 digits is an integer mantissa below
 * 10^16 times a power of 10000; sum->acc holds the sum as such an integer
 * times 10000^sum->exp.  Adding a value with a smaller exponent rescales
 * the accumulator first.  Every step is checked: on overflow nothing
 * changes and the caller sums that value another way.  This is what
 * PostgreSQL's numeric accumulator computes, without allocating and
 * without carrying base-10000 digit arrays per value.
 */

/* *r = 10000^k for k >= 0; false when it does not fit a DqWideInt */
static bool
DqPow10000(int k, DqWideInt *r)
{
	*r = 1;
	while (k-- > 0)
		if (__builtin_mul_overflow(*r, 10000, r))
			return false;
	return true;
}

/*
 * Mantissa, exponent and display scale of a finite numeric with at most
 * four base-10000 digits; false for anything else.
 */
bool
DqNumericDecode(Numeric num, int64 *mant, int *exp, int *dscale)
{
	uint16		h = DqNumericHeader(num);
	int			ndigits,
				weight,
				i;
	const char *digits;
	int64		m = 0;

	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SPECIAL)
		return false;
	digits = DqNumericLayout(num, &ndigits, &weight);
	if (ndigits > 4)
		return false;
	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
		m = m * 10000 + d;
	}
	*mant = DqNumericIsNegative(num) ? -m : m;
	*exp = (ndigits == 0) ? 0 : weight - (ndigits - 1);
	if ((h & DQ_NUMERIC_SIGN_MASK) == DQ_NUMERIC_SHORT)
		*dscale = (h & 0x1F80) >> 7;
	else
		*dscale = h & 0x3FFF;
	return true;
}

/* sum += mant * 10000^exp with display scale dscale; false on overflow */
bool
DqNumSumAdd(DqNumSum *sum, DqWideInt mant, int exp, int dscale)
{
	DqWideInt	acc = sum->acc;
	int			sexp = sum->exp;
	DqWideInt	term;
	DqWideInt	scale;

	if (!sum->any)
	{
		acc = 0;
		sexp = exp;
	}
	if (exp < sexp)
	{
		/* rescale the accumulator down to the value's exponent */
		if (sexp - exp > 9 || !DqPow10000(sexp - exp, &scale) ||
			__builtin_mul_overflow(acc, scale, &acc))
			return false;
		sexp = exp;
	}
	if (exp - sexp > 9 || !DqPow10000(exp - sexp, &scale) ||
		__builtin_mul_overflow(mant, scale, &term) ||
		__builtin_add_overflow(acc, term, &acc))
		return false;
	sum->acc = acc;
	sum->exp = sexp;
	if (dscale > sum->dscale)
		sum->dscale = dscale;
	sum->any = true;
	return true;
}

/* The sum as a numeric with the largest display scale of its terms. */
Datum
DqNumSumResult(const DqNumSum *sum)
{
	char		digits[48];
	int			pos = sizeof(digits);
	DqWideUInt	u = sum->acc < 0 ? -(DqWideUInt) sum->acc : (DqWideUInt) sum->acc;
	StringInfoData buf;
	int			ndig;
	int			frac = sum->exp < 0 ? -4 * sum->exp : 0;
	int			i;

	do
	{
		digits[--pos] = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	ndig = sizeof(digits) - pos;

	initStringInfo(&buf);
	if (sum->acc < 0)
		appendStringInfoChar(&buf, '-');
	/* integer part */
	if (ndig > frac)
		appendBinaryStringInfo(&buf, digits + pos, ndig - frac);
	else
		appendStringInfoChar(&buf, '0');
	for (i = 0; sum->exp > 0 && i < 4 * sum->exp; i++)
		appendStringInfoChar(&buf, '0');
	/* fraction: exactly dscale digits (those past it are zeros) */
	if (sum->dscale > 0)
	{
		appendStringInfoChar(&buf, '.');
		for (i = 0; i < sum->dscale; i++)
		{
			/* i-th fraction digit: position ndig - frac + i of the digits */
			int			at = ndig - frac + i;

			appendStringInfoChar(&buf, (i < frac && at >= 0) ? digits[pos + at] : '0');
		}
	}
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf.data),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}
