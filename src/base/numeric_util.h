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

/* exact sum of numerics of up to four base-10000 digits (numeric_util.c) */
typedef struct DqNumSum
{
	int128		acc;			/* the sum is acc * 10000^exp */
	int			exp;
	int			dscale;			/* largest display scale added */
	bool		any;
} DqNumSum;

extern bool DqNumericDecode(Numeric num, int64 *mant, int *exp, int *dscale);
extern bool DqNumSumAdd(DqNumSum *sum, int128 mant, int exp, int dscale);
extern Datum DqNumSumResult(const DqNumSum *sum);

#endif							/* DQ_NUMERIC_UTIL_H */
