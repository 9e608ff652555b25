/*-------------------------------------------------------------------------
 *
 * typeinfo.h
 *	  What the profiler needs to know about a column's type: its family,
 *	  how to hash, compare, copy and print its values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_TYPEINFO_H
#define DQ_TYPEINFO_H

#include "postgres.h"

#include "fmgr.h"

typedef enum DqTypeFamily
{
	DQ_FAM_OTHER = 0,			/* counts, nulls, distinct, top values */
	DQ_FAM_INT,					/* int2, int4, int8 */
	DQ_FAM_FLOAT,				/* float4, float8 */
	DQ_FAM_NUMERIC,				/* numeric */
	DQ_FAM_TEXT,				/* string category: text, varchar, bpchar, name */
	DQ_FAM_BOOL,				/* boolean */
	DQ_FAM_DATETIME				/* date, timestamp, timestamptz */
} DqTypeFamily;

typedef struct DqTypeInfo
{
	Oid			typid;			/* as declared (may be a domain) */
	Oid			basetypid;		/* domain resolved */
	Oid			collation;
	int16		typlen;
	bool		typbyval;
	DqTypeFamily family;
	bool		is_bpchar;		/* trailing blanks are not significant */
	bool		hash_text_bytes;	/* deterministic collation: hash bytes */
	FmgrInfo   *cmp;			/* btree comparison, NULL if none */
	FmgrInfo   *hash;			/* extended hash, NULL if none */
	FmgrInfo	out;			/* output function */
} DqTypeInfo;

extern void DqTypeInfoInit(DqTypeInfo *ti, Oid typid, Oid collation);
extern const char *DqTypeFamilyName(DqTypeFamily family);
extern uint64 DqDatumHash(const DqTypeInfo *ti, Datum value);
extern int	DqDatumCompare(const DqTypeInfo *ti, Datum a, Datum b);
extern char *DqDatumOutput(DqTypeInfo *ti, Datum value);
extern void DqDatumStore(Datum value, int16 typlen, bool typbyval,
						 Datum *dst, char **buf, int32 *cap);

#endif							/* DQ_TYPEINFO_H */
