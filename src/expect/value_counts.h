/*-------------------------------------------------------------------------
 *
 * value_counts.h
 *	  Counting the distinct values of a column (value_counts.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_VALUE_COUNTS_H
#define DQ_VALUE_COUNTS_H

#include "postgres.h"

#include "fmgr.h"

typedef struct DqValueCount
{
	Datum		value;
	uint32		hash;
	bool		used;
	int64		count;
} DqValueCount;

typedef struct DqValueCounts
{
	Oid			typid;
	Oid			coll;
	int16		typlen;
	bool		typbyval;
	FmgrInfo   *hash;
	FmgrInfo   *eq;
	FmgrInfo   *cmp;
	FmgrInfo	out;
	uint32		size;			/* slots, a power of 2 */
	uint32		n;				/* distinct values */
	DqValueCount *slots;
	MemoryContext cxt;
} DqValueCounts;

extern DqValueCounts *DqValueCountsCreate(Oid typid, Oid coll);
extern void DqValueCountsAdd(DqValueCounts *vc, Datum value, int64 n);
extern DqValueCount *DqValueCountsSorted(DqValueCounts *vc, int *n);
extern char *DqValueCountsJson(DqValueCounts *vc);

#endif							/* DQ_VALUE_COUNTS_H */
