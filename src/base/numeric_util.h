/*-------------------------------------------------------------------------
 *
 * numeric_util.h
 *	  Fast read-only access to numeric values (sign, zero, double, hash).
 *
 * Arguments must be neither compressed nor stored out of line (short
 * varlena headers are fine).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_NUMERIC_UTIL_H
#define DQ_NUMERIC_UTIL_H

#include "postgres.h"

#include "utils/numeric.h"

extern bool DqNumericIsNaN(Numeric num);
extern bool DqNumericIsInf(Numeric num);
extern bool DqNumericIsNegative(Numeric num);
extern bool DqNumericIsZero(Numeric num);
extern double DqNumericToDouble(Numeric num);
extern uint64 DqNumericHash(Numeric num);
extern int	DqNumericCmp(Numeric a, Numeric b);

/*
 * The widest integer of the platform.  Exact sums accumulate in it and,
 * when a sum outgrows it, the caller sums the value another way (numeric
 * arithmetic), the way PostgreSQL's own aggregates fall back to numeric
 * accumulation on platforms without a 128-bit integer type.
 */
#ifdef HAVE_INT128
typedef int128 DqWideInt;
typedef uint128 DqWideUInt;
#else
typedef int64 DqWideInt;
typedef uint64 DqWideUInt;
#endif

/* exact sum of numerics of up to four base-10000 digits (numeric_util.c) */
typedef struct DqNumSum
{
	DqWideInt	acc;			/* the sum is acc * 10000^exp */
	int			exp;
	int			dscale;			/* largest display scale added */
	bool		any;
} DqNumSum;

extern bool DqNumericDecode(Numeric num, int64 *mant, int *exp, int *dscale);
extern bool DqNumSumAdd(DqNumSum *sum, DqWideInt mant, int exp, int dscale);
extern Datum DqNumSumResult(const DqNumSum *sum);

#endif							/* DQ_NUMERIC_UTIL_H */
