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

#include <math.h>

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/float.h"

#include "base/hash.h"

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
	bool		cmp_bytes;		/* text/varchar whose collation is byte order */
	FmgrInfo   *cmp;			/* btree comparison, NULL if none */
	FmgrInfo   *hash;			/* extended hash, NULL if none */
	FmgrInfo	out;			/* output function */
} DqTypeInfo;

extern void DqTypeInfoInit(DqTypeInfo *ti, Oid typid, Oid collation);
extern const char *DqTypeFamilyName(DqTypeFamily family);
extern uint64 DqDatumHashOther(const DqTypeInfo *ti, Datum value);
extern int	DqDatumCompare(const DqTypeInfo *ti, Datum a, Datum b);
extern char *DqDatumOutput(DqTypeInfo *ti, Datum value);
extern bool DqCollationIsBytewise(Oid collation);
extern void DqDatumStore(Datum value, int16 typlen, bool typbyval,
						 Datum *dst, char **buf, int32 *cap);

/*
 * Compare two text or varchar values in byte order (memcmp, then the
 * length), which is their order under a collation for which
 * DqCollationIsBytewise holds.  Both must be detoasted (short headers are
 * fine).
 */
static inline int
DqTextCmpBytes(Datum a, Datum b)
{
	const struct varlena *x = (const struct varlena *) DatumGetPointer(a);
	const struct varlena *y = (const struct varlena *) DatumGetPointer(b);
	Size		lx = VARSIZE_ANY_EXHDR(x);
	Size		ly = VARSIZE_ANY_EXHDR(y);
	int			c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(lx, ly));

	if (c != 0)
		return c;
	return (lx > ly) - (lx < ly);
}

/* Integer view of the by-value integer-like types (ints, date, timestamps) */
static inline int64
DqDatumInt64(Oid basetypid, Datum d)
{
	switch (basetypid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
		case DATEOID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/* A float4 or float8 value as a double (exact: float4 widens losslessly) */
static inline double
DqDatumFloat8(Oid basetypid, Datum d)
{
	return basetypid == FLOAT4OID ? (double) DatumGetFloat4(d) : DatumGetFloat8(d);
}

/* float8 hash consistent with float8 equality (-0 = 0, NaN = NaN) */
static inline uint64
DqHashFloat8(double f)
{
	uint64		bits;

	if (isnan(f))
		f = get_float8_nan();
	else
		f = f + 0.0;			/* turns -0 into +0 */
	memcpy(&bits, &f, sizeof(bits));
	return DqMix64(bits);
}

/*
 * 64-bit hash of a non-NULL value, consistent with the type's equality.
 * The by-value types of most columns inline, the others in typeinfo.c.
 * Varlena values must be detoasted (short headers are fine).  typid is
 * ti->basetypid; callers that pass a constant get one type's code.
 */
static pg_attribute_always_inline uint64
DqDatumHashAs(const DqTypeInfo *ti, Oid typid, Datum value)
{
	switch (typid)
	{
		case INT2OID:
			return DqMix64((uint64) (int64) DatumGetInt16(value));
		case INT4OID:
		case DATEOID:
			return DqMix64((uint64) (int64) DatumGetInt32(value));
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return DqMix64((uint64) DatumGetInt64(value));
		case BOOLOID:
			return DqMix64(DatumGetBool(value) ? 1 : 2);
		case FLOAT4OID:
			return DqHashFloat8((double) DatumGetFloat4(value));
		case FLOAT8OID:
			return DqHashFloat8(DatumGetFloat8(value));
		default:
			return DqDatumHashOther(ti, value);
	}
}

static inline uint64
DqDatumHash(const DqTypeInfo *ti, Datum value)
{
	return DqDatumHashAs(ti, ti->basetypid, value);
}

/* The hashes of n values of one type: the type is dispatched once. */
static inline void
DqDatumHashes(const DqTypeInfo *ti, const Datum *values, uint64 *hashes, int n)
{
	int			k;

#define DQ_HASH_LOOP(typid) \
	case typid: \
		for (k = 0; k < n; k++) \
			hashes[k] = DqDatumHashAs(ti, typid, values[k]); \
		break

	switch (ti->basetypid)
	{
			DQ_HASH_LOOP(INT2OID);
			DQ_HASH_LOOP(INT4OID);
			DQ_HASH_LOOP(DATEOID);
			DQ_HASH_LOOP(INT8OID);
			DQ_HASH_LOOP(TIMESTAMPOID);
			DQ_HASH_LOOP(TIMESTAMPTZOID);
			DQ_HASH_LOOP(FLOAT4OID);
			DQ_HASH_LOOP(FLOAT8OID);
		default:
			for (k = 0; k < n; k++)
				hashes[k] = DqDatumHashOther(ti, values[k]);
			break;
	}
#undef DQ_HASH_LOOP
}

/* Is a varlena datum neither compressed nor stored out of line? */
static inline bool
DqVarlenaIsPlain(Datum a)
{
	const struct varlena *x = (const struct varlena *) DatumGetPointer(a);

	return !VARATT_IS_COMPRESSED(x) && !VARATT_IS_EXTERNAL(x);
}

/*
 * The first eight bytes of a string as a big-endian number, zero-padded:
 * a < b in byte order whenever prefix(a) < prefix(b).
 */
static inline uint64
DqTextPrefix(Datum a)
{
	const struct varlena *x = (const struct varlena *) DatumGetPointer(a);
	Size		len = Min(VARSIZE_ANY_EXHDR(x), 8);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(x);
	uint64		r = 0;
	Size		i;

	for (i = 0; i < 8; i++)
		r = (r << 8) | (i < len ? p[i] : 0);
	return r;
}

#endif							/* DQ_TYPEINFO_H */
