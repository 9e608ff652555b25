/*-------------------------------------------------------------------------
 *
 * numeric_util.h
 *	  Fast read-only access to numeric values (sign, zero, double, hash).
 *
 * Arguments must be fully detoasted numerics (4-byte varlena header).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_NUMERIC_UTIL_H
#define DQ_NUMERIC_UTIL_H

#include "postgres.h"

#include "utils/numeric.h"

extern bool DqNumericIsNegative(Numeric num);
extern bool DqNumericIsZero(Numeric num);
extern double DqNumericToDouble(Numeric num);
extern uint64 DqNumericHash(Numeric num);

#endif							/* DQ_NUMERIC_UTIL_H */
