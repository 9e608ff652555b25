/*-------------------------------------------------------------------------
 *
 * typeinfo.c
 *	  Type lookups and per-value helpers of the profiler and the sketches.
 *
 * Hashing follows the type's equality: values that compare equal hash
 * equally (for instance numeric 1.0 and 1.00, float -0 and 0, every NaN),
 * and unequal values should not collide: numeric has its own hash here
 * because the core one ignores the sign.
 * The type's extended hash function is used when it has one; strings under
 * a deterministic collation hash their bytes directly (what hashtext does,
 * without the call overhead); types without a hash opclass (json, point,
 * ...) hash their binary representation.  Every hash goes through a
 * 64-bit finalizer so that the HyperLogLog sees well mixed bits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <locale.h>
#include <math.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "base/compat.h"
#include "base/numeric_util.h"
#include "base/typeinfo.h"

/*
 * Fill ti for values of typid compared under collation.
 */
void
DqTypeInfoInit(DqTypeInfo *ti, Oid typid, Oid collation)
{
	TypeCacheEntry *tce;
	Oid			outfunc;
	bool		isvarlena;
	char		category;
	bool		preferred;

	memset(ti, 0, sizeof(DqTypeInfo));
	ti->typid = typid;
	ti->basetypid = getBaseType(typid);
	ti->collation = collation;
	get_typlenbyval(ti->basetypid, &ti->typlen, &ti->typbyval);

	switch (ti->basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			ti->family = DQ_FAM_INT;
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			ti->family = DQ_FAM_FLOAT;
			break;
		case NUMERICOID:
			ti->family = DQ_FAM_NUMERIC;
			break;
		case BOOLOID:
			ti->family = DQ_FAM_BOOL;
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			ti->family = DQ_FAM_DATETIME;
			break;
		default:
			get_type_category_preferred(ti->basetypid, &category, &preferred);
			ti->family = (category == TYPCATEGORY_STRING &&
						  ti->typlen == -1) ? DQ_FAM_TEXT : DQ_FAM_OTHER;
			break;
	}
	ti->is_bpchar = (ti->basetypid == BPCHAROID);

	tce = lookup_type_cache(ti->basetypid,
							TYPECACHE_CMP_PROC_FINFO |
							TYPECACHE_HASH_EXTENDED_PROC_FINFO);
	if (OidIsValid(tce->cmp_proc_finfo.fn_oid))
		ti->cmp = &tce->cmp_proc_finfo;
	if (OidIsValid(tce->hash_extended_proc_finfo.fn_oid))
		ti->hash = &tce->hash_extended_proc_finfo;

	/*
	 * text and varchar under a deterministic collation: equal means
	 * byte-equal, so hashing the bytes is exact (for char(n) without its
	 * trailing blanks).  Other string types (citext ignores case) keep their
	 * own hash function.
	 */
	if ((ti->basetypid == TEXTOID || ti->basetypid == VARCHAROID ||
		 ti->basetypid == BPCHAROID) &&
		ti->hash != NULL &&
		(!OidIsValid(collation) || collation == C_COLLATION_OID ||
		 get_collation_isdeterministic(collation)))
		ti->hash_text_bytes = true;
	ti->cmp_bytes = (ti->basetypid == TEXTOID || ti->basetypid == VARCHAROID) &&
		ti->cmp != NULL && DqCollationIsBytewise(collation);

	getTypeOutputInfo(ti->basetypid, &outfunc, &isvarlena);
	fmgr_info(outfunc, &ti->out);
}

/* Is name a libc locale whose collation is code point order? */
static bool
DqIsCodepointLocale(const char *name)
{
	return name != NULL &&
		(pg_strcasecmp(name, "C.UTF-8") == 0 || pg_strcasecmp(name, "C.utf8") == 0);
}

/*
 * Does the collation order strings as memcmp does?  True for C and POSIX,
 * and for a deterministic libc collation "C.UTF-8" in a UTF-8 database
 * (code point order, which is byte order for UTF-8), provided that the C
 * library agrees on a set of probe strings where other locales do not
 * (case, punctuation, accents, multibyte characters).  Decided once per
 * collation and backend.
 */
bool
DqCollationIsBytewise(Oid collation)
{
	static const char *const probes[] = {
		"a", "A", "b", "B", "ab", "aB", "a-b", "a b", "-a", "1", "10", "9",
		"\xc3\xa9", "e", "f", "\xc3\x9f", "ss", "\xe2\x82\xac", "z", "Z", "~"
	};
	static Oid	known_oid[8];
	static bool known_res[8];
	static int	nknown = 0;
	bool		result;
	int			i,
				j;

	if (!OidIsValid(collation))
		return false;
	if (lc_collate_is_c(collation))
		return true;
	for (i = 0; i < nknown; i++)
		if (known_oid[i] == collation)
			return known_res[i];

	if (GetDatabaseEncoding() != PG_UTF8)
		result = false;
	else if (collation == DEFAULT_COLLATION_OID)
		result = default_locale.provider == COLLPROVIDER_LIBC &&
			DqIsCodepointLocale(setlocale(LC_COLLATE, NULL));
	else
	{
		HeapTuple	tp = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
		Form_pg_collation coll;

		if (!HeapTupleIsValid(tp))
			elog(ERROR, "cache lookup failed for collation %u", collation);
		coll = (Form_pg_collation) GETSTRUCT(tp);
		result = false;
		if (coll->collprovider == COLLPROVIDER_LIBC && coll->collisdeterministic)
		{
			bool		isnull;
			Datum		d = SysCacheGetAttr(COLLOID, tp, Anum_pg_collation_collcollate,
											&isnull);

			result = !isnull && DqIsCodepointLocale(TextDatumGetCString(d));
		}
		ReleaseSysCache(tp);
	}

	/* trust, but verify: the C library must sort the probes by their bytes */
	for (i = 0; result && i < (int) lengthof(probes); i++)
		for (j = 0; result && j < (int) lengthof(probes); j++)
		{
			int			li = strlen(probes[i]);
			int			lj = strlen(probes[j]);
			int			c = varstr_cmp(probes[i], li, probes[j], lj, collation);
			int			b = memcmp(probes[i], probes[j], Min(li, lj));

			if (b == 0)
				b = (li > lj) - (li < lj);
			if ((c > 0) != (b > 0) || (c < 0) != (b < 0))
				result = false;
		}

	if (nknown < (int) lengthof(known_oid))
	{
		known_oid[nknown] = collation;
		known_res[nknown++] = result;
	}
	return result;
}

const char *
DqTypeFamilyName(DqTypeFamily family)
{
	switch (family)
	{
		case DQ_FAM_INT:
		case DQ_FAM_FLOAT:
		case DQ_FAM_NUMERIC:
			return "numeric";
		case DQ_FAM_TEXT:
			return "text";
		case DQ_FAM_BOOL:
			return "boolean";
		case DQ_FAM_DATETIME:
			return "datetime";
		case DQ_FAM_OTHER:
			break;
	}
	return "other";
}

/*
 * DqDatumHash (typeinfo.h) for the types it does not hash inline: numeric,
 * strings and everything else.  Varlena values must be detoasted (short
 * headers are fine).
 */
uint64
DqDatumHashOther(const DqTypeInfo *ti, Datum value)
{
	switch (ti->basetypid)
	{
		case NUMERICOID:
			return DqNumericHash((Numeric) DatumGetPointer(value));
		default:
			break;
	}
	if (ti->hash_text_bytes)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(value);
		int			len = VARSIZE_ANY_EXHDR(v);

		/* char(n): trailing blanks are not significant */
		if (ti->is_bpchar)
			while (len > 0 && VARDATA_ANY(v)[len - 1] == ' ')
				len--;
		return DqHashBytes(VARDATA_ANY(v), len, 0);
	}
	if (ti->hash != NULL)
		return DqMix64(DatumGetUInt64(FunctionCall2Coll(ti->hash, ti->collation,
														value,
														Int64GetDatum(0))));
	/* no hash opclass: hash the binary representation */
	if (ti->typbyval)
		return DqMix64((uint64) value);
	if (ti->typlen == -1)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(value);

		return DqHashBytes(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), 0);
	}
	return DqHashBytes(DatumGetPointer(value),
					   datumGetSize(value, false, ti->typlen), 0);
}

/*
 * Compare two values by the type's default btree order (ti->cmp set).
 */
int
DqDatumCompare(const DqTypeInfo *ti, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(ti->cmp, ti->collation, a, b));
}

char *
DqDatumOutput(DqTypeInfo *ti, Datum value)
{
	return OutputFunctionCall(&ti->out, value);
}

/*
 * Copy a value into a reusable buffer (*buf, *cap), growing it when needed,
 * and point *dst at the copy.  By-value datums are stored directly.
 */
void
DqDatumStore(Datum value, int16 typlen, bool typbyval,
			 Datum *dst, char **buf, int32 *cap)
{
	Size		len;

	if (typbyval)
	{
		*dst = value;
		return;
	}
	len = datumGetSize(value, false, typlen);
	if (*cap < (int32) len)
	{
		int32		newcap = Max((int32) len, 32);

		if (*buf)
			pfree(*buf);
		*buf = palloc(newcap);
		*cap = newcap;
	}
	memcpy(*buf, DatumGetPointer(value), len);
	*dst = PointerGetDatum(*buf);
}
