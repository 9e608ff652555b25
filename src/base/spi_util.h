/*-------------------------------------------------------------------------
 *
 * spi_util.h
 *	  The checks every caller of SPI repeats, reading values out of
 *	  SPI_tuptable, and the argument checks of SQL-callable functions
 *	  (spi_util.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SPI_UTIL_H
#define DQ_SPI_UTIL_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"

/* connecting and running */
extern void DqSpiConnect(void);
extern void DqSpiCheck(int ret, int expected, const char *what);
extern uint64 DqSpiRun(const char *sql, bool read_only, int expected,
					   const char *what);
extern uint64 DqSpiRunArgs(const char *sql, int nargs, Oid *argtypes,
						   Datum *values, const char *nulls, bool read_only,
						   int expected, const char *what);
extern void DqSpiRunOneRow(const char *sql, int nargs, Oid *argtypes,
						   Datum *values, const char *nulls, bool read_only,
						   int expected, const char *what);
extern SPIPlanPtr DqSpiKeptPlan(SPIPlanPtr *plan, const char *sql, int nargs,
								Oid *types);
extern uint64 DqSpiCached(SPIPlanPtr *plan, const char *sql, int nargs,
						  Oid *types, Datum *values, const char *nulls,
						  bool read_only, int expected, const char *what);
extern int64 DqSpiInsertReturningId(const char *sql, int nargs, Oid *argtypes,
									Datum *values, const char *nulls,
									const char *what);

/* values of SPI_tuptable (rows from 0, columns from 1) */
extern Datum DqSpiValue(uint64 row, int col, bool *isnull);
extern bool DqSpiIsNull(uint64 row, int col);
extern char *DqSpiText(uint64 row, int col);
extern int64 DqSpiInt64(uint64 row, int col);
extern double DqSpiFloat8(uint64 row, int col);
extern bool DqSpiBool(uint64 row, int col);
extern int	DqSpiFloat8Array(uint64 row, int col, double **out);
extern int	DqSpiTextArray(uint64 row, int col, char ***out);
extern Datum DqSpiCopyValue(uint64 row, int col, MemoryContext cxt,
							bool *isnull);

/* arguments of SQL-callable functions */
extern void DqRequireArg(FunctionCallInfo fcinfo, int argno,
						 const char *argname, const char *hint);
extern void DqRequireOneDimArray(ArrayType *arr, const char *argname,
								 const char *hint);

#endif							/* DQ_SPI_UTIL_H */
