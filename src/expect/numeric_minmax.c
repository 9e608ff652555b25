/*-------------------------------------------------------------------------
 *
 * numeric_minmax.c
 *	  dq_internal.numeric_max(numeric) and dq_internal.numeric_min(numeric):
 *	  the largest and the smallest value of a numeric column, which the
 *	  statistics kinds (expect_column_max_to_be_between, _min_) compute in
 *	  the one scan of dq.validate.
 *
 * pg_catalog.max(numeric) calls numeric_larger on every row, which takes
 * its arguments with PG_GETARG_NUMERIC: a value stored with a one-byte
 * header (every numeric shorter than 127 bytes on disk, so nearly all) is
 * copied into newly allocated memory before two values are compared.
 * These transition functions compare the stored forms in place
 * (DqNumericCmp); the executor copies a value into the aggregate's state
 * only when it becomes the new extreme.
 *
 * The results are those of max and min: numeric's order (NaN above every
 * other value), one of the input values with its display scale, the later
 * value on a tie (numeric_larger returns its second argument then).  The
 * transition functions are strict and serve as combine functions too, as
 * numeric_larger does for max.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/numeric.h"

#include "base/numeric_util.h"

PG_FUNCTION_INFO_V1(dq_numeric_larger);
PG_FUNCTION_INFO_V1(dq_numeric_smaller);

/*
 * Argument n, neither compressed nor out of line (a short header stays).
 * The state is kept in that form too, so it is decompressed once at most.
 */
static inline Numeric
DqNumericArg(FunctionCallInfo fcinfo, int n)
{
	return (Numeric) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n));
}

Datum
dq_numeric_larger(PG_FUNCTION_ARGS)
{
	Numeric		a = DqNumericArg(fcinfo, 0);
	Numeric		b = DqNumericArg(fcinfo, 1);

	PG_RETURN_POINTER(DqNumericCmp(a, b) > 0 ? a : b);
}

Datum
dq_numeric_smaller(PG_FUNCTION_ARGS)
{
	Numeric		a = DqNumericArg(fcinfo, 0);
	Numeric		b = DqNumericArg(fcinfo, 1);

	PG_RETURN_POINTER(DqNumericCmp(a, b) < 0 ? a : b);
}
