/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  SPI with the checks every caller needs, named once: connecting,
 *	  running a statement and checking its result code (and, where one row
 *	  is expected, the row count), reading the values of SPI_tuptable, and
 *	  copying a value out of SPI's memory before SPI_finish frees it.
 *
 * A result code SPI should never return here is an internal error
 * (elog): the statements are the extension's own, and errors of the SQL
 * they run are raised by SPI itself.  "what" completes the message
 * "could not <what>", for example "record the profile run".
 *
 * DqRequireArg is the NULL-argument check of SQL-callable functions that
 * are CALLED ON NULL INPUT, with the SQLSTATE and hint the style guide
 * asks for; DqRequireOneDimArray the dimension check of an array argument.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "base/spi_util.h"

/* Connect to SPI; an internal error when that fails. */
void
DqSpiConnect(void)
{
	int			ret = SPI_connect();

	if (ret != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
}

/*
 * Check the result code of a statement: expected (SPI_OK_SELECT, ...), or
 * any success when expected is 0.
 */
void
DqSpiCheck(int ret, int expected, const char *what)
{
	if (ret < 0 || (expected != 0 && ret != expected))
		elog(ERROR, "could not %s: %s", what, SPI_result_code_string(ret));
}

/*
 * Run sql (no parameters, no row limit: a limit would disable parallel
 * query) and check its result code; returns the number of rows.
 */
uint64
DqSpiRun(const char *sql, bool read_only, int expected, const char *what)
{
	DqSpiCheck(SPI_execute(sql, read_only, 0), expected, what);
	return SPI_processed;
}

/*
 * The plan of sql, prepared on its first use and kept for the session in
 * the caller's static slot *plan, for a statement a backend runs many
 * times (a pass over thousands of monitors, an alert per failure).  The
 * plan cache re-plans it when the tables it reads change.
 */
SPIPlanPtr
DqSpiKeptPlan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "could not prepare: %s", sql);
		*plan = p;
	}
	return *plan;
}

/*
 * DqSpiRunArgs through the kept plan of sql (DqSpiKeptPlan); returns the
 * number of rows.
 */
uint64
DqSpiCached(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
			Datum *values, const char *nulls, bool read_only, int expected,
			const char *what)
{
	DqSpiCheck(SPI_execute_plan(DqSpiKeptPlan(plan, sql, nargs, types),
								values, nulls, read_only, 0),
			   expected, what);
	return SPI_processed;
}

/* DqSpiRun with parameters ($1, ...); nulls as SPI takes them ('n'). */
uint64
DqSpiRunArgs(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls, bool read_only, int expected, const char *what)
{
	DqSpiCheck(SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
									 read_only, 0),
			   expected, what);
	return SPI_processed;
}

/* DqSpiRunArgs of a statement that returns exactly one row. */
void
DqSpiRunOneRow(const char *sql, int nargs, Oid *argtypes, Datum *values,
			   const char *nulls, bool read_only, int expected,
			   const char *what)
{
	uint64		n = DqSpiRunArgs(sql, nargs, argtypes, values, nulls,
								 read_only, expected, what);

	if (n != 1)
		elog(ERROR, "could not %s: " UINT64_FORMAT " rows instead of one",
			 what, n);
}

/*
 * Run an INSERT ... RETURNING of one row whose first column is a bigint
 * (the new row's id), and return that id.
 */
int64
DqSpiInsertReturningId(const char *sql, int nargs, Oid *argtypes, Datum *values,
					   const char *nulls, const char *what)
{
	DqSpiRunOneRow(sql, nargs, argtypes, values, nulls, false,
				   SPI_OK_INSERT_RETURNING, what);
	return DqSpiInt64(0, 1);
}

/* The value at row (from 0) and column (from 1) of SPI_tuptable. */
Datum
DqSpiValue(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

bool
DqSpiIsNull(uint64 row, int col)
{
	bool		isnull;

	(void) DqSpiValue(row, col, &isnull);
	return isnull;
}

/* A value as text (its output function), NULL when NULL. */
char *
DqSpiText(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* A bigint value, 0 when NULL. */
int64
DqSpiInt64(uint64 row, int col)
{
	bool		isnull;
	Datum		d = DqSpiValue(row, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* A float8 value, NaN when NULL. */
double
DqSpiFloat8(uint64 row, int col)
{
	bool		isnull;
	Datum		d = DqSpiValue(row, col, &isnull);

	return isnull ? get_float8_nan() : DatumGetFloat8(d);
}

/* A boolean value, false when NULL. */
bool
DqSpiBool(uint64 row, int col)
{
	bool		isnull;
	Datum		d = DqSpiValue(row, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/*
 * The elements of an array value of element type elemtype; -1 when the
 * value is NULL.
 */
static int
DqSpiElements(uint64 row, int col, Oid elemtype, Datum **elems, bool **nulls)
{
	bool		isnull;
	Datum		d = DqSpiValue(row, col, &isnull);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;

	if (isnull)
		return -1;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(DatumGetArrayTypeP(d), elemtype, typlen, typbyval, typalign,
					  elems, nulls, &n);
	return n;
}

/* A float8[] value: its elements (NaN for NULL ones); 0 when NULL. */
int
DqSpiFloat8Array(uint64 row, int col, double **out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n = DqSpiElements(row, col, FLOAT8OID, &elems, &nulls);

	*out = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? get_float8_nan() : DatumGetFloat8(elems[i]);
	return Max(n, 0);
}

/* A text[] value: its elements (NULL ones as NULL); 0 when NULL. */
int
DqSpiTextArray(uint64 row, int col, char ***out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n = DqSpiElements(row, col, TEXTOID, &elems, &nulls);

	*out = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return Max(n, 0);
}

/*
 * A value copied into cxt, so that it outlives SPI_finish (varlena values
 * are detoasted on the way).
 */
Datum
DqSpiCopyValue(uint64 row, int col, MemoryContext cxt, bool *isnull)
{
	Datum		d = DqSpiValue(row, col, isnull);
	int16		typlen;
	bool		typbyval;
	MemoryContext old;

	if (*isnull)
		return (Datum) 0;
	get_typlenbyval(SPI_gettypeid(SPI_tuptable->tupdesc, col), &typlen, &typbyval);
	if (typbyval)
		return d;
	old = MemoryContextSwitchTo(cxt);
	if (typlen == -1)
		d = PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
	else
		d = datumCopy(d, typbyval, typlen);
	MemoryContextSwitchTo(old);
	return d;
}

/*
 * ERROR when argument argno of a function called on NULL input is NULL;
 * argname is its SQL name, hint says what to pass.
 */
void
DqRequireArg(FunctionCallInfo fcinfo, int argno, const char *argname,
			 const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname),
				 errhint("%s", hint)));
}

/*
 * An array argument must have one dimension (or none: the empty array).
 * hint may be NULL.
 */
void
DqRequireOneDimArray(ArrayType *arr, const char *argname, const char *hint)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname),
				 hint ? errhint("%s", hint) : 0));
}
