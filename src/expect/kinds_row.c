/*-------------------------------------------------------------------------
 *
 * kinds_row.c
 *	  Row kinds on comparable values: NULLs, ranges, value sets, lengths,
 *	  and the kinds of a column pair or a column list.  Each row is decided
 *	  by the kind's eval callback, wherever rows come from (dq.check's
 *	  scan, dq.validate's aggregate, the change validator's decoder).
 *
 * Ranges and sets compile to the evaluation that suits the column's type:
 * an integer-like column compares its values as int64 with inclusive
 * bounds, a float column as doubles, a numeric one first as doubles
 * (most values are settled without numeric_cmp); a set of integer-like,
 * boolean, date or timestamp values, or of text in a byte-order
 * collation, is a hash table, the others a sorted array searched with the
 * type's comparison.  Every variant gives the answers of the type's
 * btree comparison.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "base/hash.h"
#include "base/numeric_util.h"
#include "base/text_patterns.h"
#include "base/typeinfo.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* ---------------------------------------------------------------------
 * NULLs
 * ---------------------------------------------------------------------
 */

static DqOutcome
DqEvalNotNull(DqRule *r, const Datum *values, const bool *isnull)
{
	return isnull[0] ? DQ_UNEXPECTED : DQ_EXPECTED;
}

static DqOutcome
DqEvalNull(DqRule *r, const Datum *values, const bool *isnull)
{
	return isnull[0] ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * Ranges and lengths
 * ---------------------------------------------------------------------
 */

/* min_value and max_value, compiled */
typedef struct DqBounds
{
	bool		has_lo;
	bool		has_hi;
	bool		strict_lo;
	bool		strict_hi;
	Datum		lo;				/* of the column's type */
	Datum		hi;
	double		lo_d;			/* numeric, float: the bounds as doubles */
	double		hi_d;			/* (-/+Infinity when absent) */
	int64		lo_i;			/* integer-like: inclusive bounds */
	int64		hi_i;
	int32		len_lo;			/* lengths: -1 when absent */
	int32		len_hi;
	int			max_char_bytes; /* lengths: the encoding's longest character */
} DqBounds;

/* between on any comparable type, by the type's comparison */
static DqOutcome
DqEvalBetween(DqRule *r, const Datum *values, const bool *isnull)
{
	DqBounds   *b = r->state;

	if (b->has_lo)
	{
		int			c = DqRuleCmp(r, values[0], b->lo);

		if (c < 0 || (c == 0 && b->strict_lo))
			return DQ_UNEXPECTED;
	}
	if (b->has_hi)
	{
		int			c = DqRuleCmp(r, values[0], b->hi);

		if (c > 0 || (c == 0 && b->strict_hi))
			return DQ_UNEXPECTED;
	}
	return DQ_EXPECTED;
}

/*
 * between on numeric: a value whose correctly rounded double lies
 * strictly between the bounds' doubles lies strictly between the bounds
 * (the conversion is monotonic); the others are compared exactly.
 */
static DqOutcome
DqEvalNumericRange(DqRule *r, const Datum *values, const bool *isnull)
{
	DqBounds   *b = r->state;

	if (DqVarlenaIsPlain(values[0]))
	{
		Numeric		num = (Numeric) DatumGetPointer(values[0]);

		if (!DqNumericIsNaN(num))
		{
			double		x = DqNumericToDouble(num);

			if (x > b->lo_d && x < b->hi_d)
				return DQ_EXPECTED;
		}
	}
	return DqEvalBetween(r, values, isnull);
}

/* between on an integer-like column: int64 with inclusive bounds */
static DqOutcome
DqEvalIntRange(DqRule *r, const Datum *values, const bool *isnull)
{
	DqBounds   *b = r->state;
	int64		v = DqDatumInt64(r->cmp_base, values[0]);

	return (v >= b->lo_i && v <= b->hi_i) ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* between on a float column; NaN, the largest float, by the comparison */
static DqOutcome
DqEvalFloatRange(DqRule *r, const Datum *values, const bool *isnull)
{
	DqBounds   *b = r->state;
	double		x = DqDatumFloat8(r->cmp_base, values[0]);

	if (isnan(x))
		return DqEvalBetween(r, values, isnull);
	if (x < b->lo_d || (b->strict_lo && x == b->lo_d) ||
		x > b->hi_d || (b->strict_hi && x == b->hi_d))
		return DQ_UNEXPECTED;
	return DQ_EXPECTED;
}

/*
 * The evaluation of between for the column's type: inclusive int64
 * bounds for integer-like columns (strict ones become inclusive, unless
 * at the very end of the range), doubles for floats and numerics.
 */
static DqKindEvalFn
DqBetweenEvalFor(DqRule *r, DqBounds *b)
{
	switch (r->cmp_base)
	{
		case INT2OID:
		case INT4OID:
		case DATEOID:
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			b->lo_i = b->has_lo ? DqDatumInt64(r->cmp_base, b->lo) : PG_INT64_MIN;
			b->hi_i = b->has_hi ? DqDatumInt64(r->cmp_base, b->hi) : PG_INT64_MAX;
			if (b->has_lo && b->strict_lo)
			{
				if (b->lo_i == PG_INT64_MAX)
					return DqEvalBetween;
				b->lo_i++;
			}
			if (b->has_hi && b->strict_hi)
			{
				if (b->hi_i == PG_INT64_MIN)
					return DqEvalBetween;
				b->hi_i--;
			}
			return DqEvalIntRange;
		case FLOAT4OID:
		case FLOAT8OID:
			b->lo_d = b->has_lo ? DqDatumFloat8(r->cmp_base, b->lo) : -INFINITY;
			b->hi_d = b->has_hi ? DqDatumFloat8(r->cmp_base, b->hi) : INFINITY;
			b->strict_lo = b->has_lo && b->strict_lo;
			b->strict_hi = b->has_hi && b->strict_hi;
			if (isnan(b->lo_d) || isnan(b->hi_d))
				return DqEvalBetween;
			return DqEvalFloatRange;
		case NUMERICOID:
			if ((b->has_lo && DqNumericIsNaN(DatumGetNumeric(b->lo))) ||
				(b->has_hi && DqNumericIsNaN(DatumGetNumeric(b->hi))))
				return DqEvalBetween;
			b->lo_d = b->has_lo ? DqNumericToDouble(DatumGetNumeric(b->lo)) : -INFINITY;
			b->hi_d = b->has_hi ? DqNumericToDouble(DatumGetNumeric(b->hi)) : INFINITY;
			return DqEvalNumericRange;
		default:
			return DqEvalBetween;
	}
}

/* min_value/max_value with strictness; at least one of them. */
static DqBounds *
DqCompileBounds(DqRule *r)
{
	DqBounds   *b = palloc0(sizeof(DqBounds));

	b->strict_lo = DqParamBool(r->def, r->params, "strict_min", false);
	b->strict_hi = DqParamBool(r->def, r->params, "strict_max", false);
	b->has_lo = !DqParamIsNull(DqParam(r->params, "min_value"));
	b->has_hi = !DqParamIsNull(DqParam(r->params, "max_value"));
	b->len_lo = b->len_hi = -1;
	if (!b->has_lo && !b->has_hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs min_value, max_value or both", r->def->name),
				 errhint("Pass for example {\"min_value\": 0, \"max_value\": 100}.")));
	r->state = b;
	return b;
}

/* expect_column_values_to_be_between: bounds of the column's type */
static void
DqCompileBetween(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqBounds   *b = DqCompileBounds(r);

	DqRequireCmp(r);
	/* min_value > max_value: every value is unexpected, as in GE */
	if (b->has_lo)
		b->lo = DqParamToType(r, DqParamText(r->def, "min_value",
											 DqParam(r->params, "min_value")),
							  r->cols[0].typid);
	if (b->has_hi)
		b->hi = DqParamToType(r, DqParamText(r->def, "max_value",
											 DqParam(r->params, "max_value")),
							  r->cols[0].typid);
	r->eval = DqBetweenEvalFor(r, b);
}

/* value_lengths_to_be_between: lengths in characters */
static void
DqCompileLengthBetween(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqBounds   *b;

	DqRequireString(r, "Lengths apply to text, varchar and char columns.");
	b = DqCompileBounds(r);
	/* min_value > max_value: every value is unexpected, as in GE */
	b->len_lo = DqParamLength(r->def, r->params, "min_value");
	b->len_hi = DqParamLength(r->def, r->params, "max_value");
	b->max_char_bytes = pg_database_encoding_max_length();
}

/* value_lengths_to_equal: one length */
static void
DqCompileLengthEqual(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqBounds   *b = palloc0(sizeof(DqBounds));

	DqRequireString(r, "Lengths apply to text, varchar and char columns.");
	b->len_lo = b->len_hi = DqParamLength(r->def, r->params, "value");
	b->max_char_bytes = pg_database_encoding_max_length();
	if (b->len_lo < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs parameter \"value\"", r->def->name),
				 errhint("Pass for example {\"value\": 3}.")));
	b->has_lo = b->has_hi = true;
	r->state = b;
}

/* Is a length of len characters below, or above, the rule's bounds? */
static inline bool
DqLengthBelow(const DqBounds *b, int len)
{
	return b->len_lo >= 0 && (len < b->len_lo || (len == b->len_lo && b->strict_lo));
}

static inline bool
DqLengthAbove(const DqBounds *b, int len)
{
	return b->len_hi >= 0 && (len > b->len_hi || (len == b->len_hi && b->strict_hi));
}

/*
 * A string of nbytes bytes has between nbytes / max_char_bytes (rounded
 * up) and nbytes characters.  When both ends of that range are within the
 * bounds, so is every length between them; when its longest end is below
 * them or its shortest above, so is every length: only the strings
 * between are counted (few, for the usual bounds, in any encoding).
 */
static DqOutcome
DqEvalLength(DqRule *r, const Datum *values, const bool *isnull)
{
	DqBounds   *b = r->state;
	text	   *val;
	int			len;

	if (r->cols[0].textual)
		val = DqVarlenaIsPlain(values[0]) ? (text *) DatumGetPointer(values[0]) :
			DatumGetTextPP(values[0]);
	else
		val = cstring_to_text(OutputFunctionCall(&r->cols[0].out, values[0]));
	if (r->cols[0].bpchar)
		len = DatumGetInt32(DirectFunctionCall1(bpcharlen, PointerGetDatum(val)));
	else
	{
		int			nbytes = VARSIZE_ANY_EXHDR(val);
		int			fewest = (nbytes + b->max_char_bytes - 1) / b->max_char_bytes;

		if (!DqLengthBelow(b, fewest) && !DqLengthAbove(b, nbytes))
			return DQ_EXPECTED;
		if (DqLengthBelow(b, nbytes) || DqLengthAbove(b, fewest))
			return DQ_UNEXPECTED;
		len = DqCharLength(VARDATA_ANY(val), nbytes);
	}
	return (DqLengthBelow(b, len) || DqLengthAbove(b, len)) ? DQ_UNEXPECTED : DQ_EXPECTED;
}

/* ---------------------------------------------------------------------
 * Value sets
 * ---------------------------------------------------------------------
 */

/*
 * A value set as an open-addressing hash table, for columns whose
 * equality is equality of representation: integer-like types, booleans,
 * dates and timestamps (the Datum itself) and text or varchar in a
 * byte-order collation (the bytes).
 */
typedef struct DqSetTable
{
	bool		byval;			/* compare Datums, else the bytes of text */
	uint32		mask;			/* slots - 1 */
	int32	   *index;			/* per slot: index into the set, -1 empty */
	uint64	   *hash;			/* per slot: that value's hash */
} DqSetTable;

typedef struct DqValueSet
{
	Datum	   *values;			/* sorted, NULLs removed */
	int			n;
	bool		no_constraint;	/* a null value_set: nothing is unexpected */
	bool		negate;			/* not_in_set: a member is unexpected */
	DqSetTable *table;			/* NULL when the type does not allow one */
} DqValueSet;

static inline uint64
DqSetHash(const DqSetTable *t, Datum v)
{
	if (t->byval)
		return DqMix64((uint64) v);
	return DqHashBytes(VARDATA_ANY(DatumGetPointer(v)),
					   VARSIZE_ANY_EXHDR(DatumGetPointer(v)), 0);
}

/* Is v (plain, if text) in the hash table of set s? */
static bool
DqSetTableHas(const DqValueSet *s, Datum v)
{
	const DqSetTable *t = s->table;
	uint64		h = DqSetHash(t, v);
	uint32		i = (uint32) h & t->mask;

	for (; t->index[i] >= 0; i = (i + 1) & t->mask)
	{
		Datum		m = s->values[t->index[i]];

		if (t->hash[i] != h)
			continue;
		if (t->byval)
		{
			if (m == v)
				return true;
		}
		else if (DqTextCmpBytes(m, v) == 0)
			return true;
	}
	return false;
}

/* The hash table of set s, or NULL when the rule's type does not allow it. */
static DqSetTable *
DqSetTableBuild(const DqRule *r, const DqValueSet *s)
{
	DqSetTable *t;
	uint32		slots = 8;
	int			k;

	switch (r->cmp_base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case BOOLOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			break;
		default:
			if (!r->cmp_bytes)
				return NULL;
			for (k = 0; k < s->n; k++)
				if (!DqVarlenaIsPlain(s->values[k]))
					return NULL;
			break;
	}
	while (slots < (uint32) s->n * 2)
		slots *= 2;
	t = palloc(sizeof(DqSetTable));
	t->byval = (r->cmp_base != TEXTOID && r->cmp_base != VARCHAROID);
	t->mask = slots - 1;
	t->index = palloc(sizeof(int32) * slots);
	t->hash = palloc(sizeof(uint64) * slots);
	for (k = 0; k < (int) slots; k++)
		t->index[k] = -1;
	for (k = 0; k < s->n; k++)
	{
		uint64		h = DqSetHash(t, s->values[k]);
		uint32		i = (uint32) h & t->mask;

		while (t->index[i] >= 0)
			i = (i + 1) & t->mask;
		t->index[i] = k;
		t->hash[i] = h;
	}
	return t;
}

/* Is value one of the set's, by the hash table or by binary search? */
static bool
DqSetHas(DqRule *r, const DqValueSet *s, Datum value)
{
	int			lo = 0;
	int			hi = s->n - 1;

	if (s->table != NULL && (s->table->byval || DqVarlenaIsPlain(value)))
		return DqSetTableHas(s, value);
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = DqRuleCmp(r, value, s->values[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * value_set: typed, NULLs dropped, sorted for binary search and hashed
 * where the type allows.  A null value_set is no constraint (GE).
 */
static void
DqCompileSet(DqRule *r, const DqColumnSource *src, const char *column)
{
	List	   *items = DqParamArray(r->def, r->params, "value_set", false);
	DqValueSet *s = palloc0(sizeof(DqValueSet));
	ListCell   *lc;

	DqRequireCmp(r);
	s->no_constraint = DqParamIsNull(DqParam(r->params, "value_set"));
	s->negate = (r->def->flags & DQ_KIND_NEGATED) != 0;
	s->values = palloc(sizeof(Datum) * Max(list_length(items), 1));
	foreach(lc, items)
	{
		if (lfirst(lc) == NULL)
			continue;			/* a NULL in the set matches nothing */
		s->values[s->n++] = DqSetElemToType(r, foreach_current_index(lc), lfirst(lc));
	}
	DqSortDatums(r, s->values, s->n);
	s->table = DqSetTableBuild(r, s);
	r->state = s;
}

static DqOutcome
DqEvalSet(DqRule *r, const Datum *values, const bool *isnull)
{
	DqValueSet *s = r->state;

	if (s->no_constraint)
		return DQ_EXPECTED;
	return (DqSetHas(r, s, values[0]) != s->negate) ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * Column pairs and lists
 * ---------------------------------------------------------------------
 */

/* Is a row of a pair or multicolumn kind missing, by its ignore_row_if? */
static bool
DqRowMissing(DqRule *r, const bool *isnull)
{
	int			nnull = 0;

	for (int i = 0; i < r->ncols; i++)
		nnull += isnull[i];
	if (r->ignore_row == DQ_IGNORE_ALL_MISSING)
		return nnull == r->ncols;
	if (r->ignore_row == DQ_IGNORE_ANY_MISSING)
		return nnull > 0;
	return false;
}

typedef struct DqPair
{
	Oid			common;			/* numbers of different types: compared as */
	bool		or_equal;		/* a_to_be_greater_than_b: or equal */
	bool		greater;		/* a > b, else a = b */
} DqPair;

/* column_A and column_B: the same type, or both numbers */
static void
DqCompilePair(DqRule *r, bool greater)
{
	DqPair	   *p = palloc0(sizeof(DqPair));
	Oid			a = getBaseType(r->cols[0].typid);
	Oid			b = getBaseType(r->cols[1].typid);

	p->greater = greater;
	r->state = p;
	if (a != b && TypeCategory(a) == TYPCATEGORY_NUMERIC &&
		TypeCategory(b) == TYPCATEGORY_NUMERIC)
	{
		/*
		 * numbers of different types (an integer and a float column):
		 * compared as float8 when one is a float, else as numeric, as SQL
		 * compares them
		 */
		TypeCacheEntry *tce;

		p->common = (a == FLOAT4OID || a == FLOAT8OID ||
					 b == FLOAT4OID || b == FLOAT8OID) ? FLOAT8OID : NUMERICOID;
		tce = lookup_type_cache(p->common, TYPECACHE_CMP_PROC_FINFO);
		r->cmp = &tce->cmp_proc_finfo;
		r->cmp_base = p->common;
		r->cmp_bytes = false;
		p->or_equal = DqParamBool(r->def, r->params, "or_equal", false);
		return;
	}
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("columns \"%s\" and \"%s\" of %s have different types",
						r->cols[0].name, r->cols[1].name, r->def->name),
				 errdetail("\"%s\" is %s and \"%s\" is %s.",
						   r->cols[0].name, format_type_be(r->cols[0].typid),
						   r->cols[1].name, format_type_be(r->cols[1].typid)),
				 errhint("Compare columns of the same type, or cast one in a view.")));
	DqRequireCmp(r);
	p->or_equal = DqParamBool(r->def, r->params, "or_equal", false);
}

static void
DqCompilePairEqual(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqCompilePair(r, false);
}

static void
DqCompilePairGreater(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqCompilePair(r, true);
}

static DqOutcome
DqEvalPair(DqRule *r, const Datum *values, const bool *isnull)
{
	DqPair	   *p = r->state;
	Datum		a = values[0];
	Datum		b = values[1];
	int			c;

	/* GE's ignore_row_if: both (default) or either NULL is missing */
	if (DqRowMissing(r, isnull))
		return DQ_MISSING;
	if (isnull[0] || isnull[1])
		return DQ_UNEXPECTED;
	if (OidIsValid(p->common))
	{
		a = DqParamToType(r, OutputFunctionCall(&r->cols[0].out, a), p->common);
		b = DqParamToType(r, OutputFunctionCall(&r->cols[1].out, b), p->common);
	}
	c = DqRuleCmp(r, a, b);
	if (!p->greater)
		return c == 0 ? DQ_EXPECTED : DQ_UNEXPECTED;
	return (c > 0 || (p->or_equal && c == 0)) ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* value_pairs_set: pairs of canonical texts (NULL for null) */
typedef struct DqPairSet
{
	List	   *pairs;			/* char *[2] */
} DqPairSet;

/* The canonical text of a value_pairs_set element as the column's type. */
static char *
DqPairElem(DqRule *r, int col, JsonbValue *v, int index)
{
	char	   *txt;
	Oid			typinput;
	Oid			typioparam;

	if (v->type == jbvNull)
		return NULL;
	if (v->type == jbvString)
		txt = pnstrdup(v->val.string.val, v->val.string.len);
	else if (v->type == jbvNumeric)
		txt = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	else if (v->type == jbvBool)
		txt = pstrdup(v->val.boolean ? "true" : "false");
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value_pairs_set element %d of %s must hold scalars", index, r->def->name),
				 errhint("Pass pairs such as [[1, \"a\"], [2, \"b\"]].")));
	getTypeInputInfo(r->cols[col].typid, &typinput, &typioparam);
	return OutputFunctionCall(&r->cols[col].out,
							  OidInputFunctionCall(typinput, txt, typioparam, -1));
}

static void
DqCompilePairSet(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqPairSet  *ps = palloc0(sizeof(DqPairSet));
	JsonbValue *v = DqParamNeeded(r, "value_pairs_set", jbvArray, "a JSON array of pairs",
								  "Pass for example {\"value_pairs_set\": [[1, \"a\"], [2, \"b\"]]}.");
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			i = 0;

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		char	  **pair;

		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvBinary || !JsonContainerIsArray(e.val.binary.data) ||
			JsonContainerSize(e.val.binary.data) != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value_pairs_set element %d of %s is not a pair", i, r->def->name),
					 errhint("Pass pairs such as [[1, \"a\"], [2, \"b\"]].")));
		pair = palloc(sizeof(char *) * 2);
		pair[0] = DqPairElem(r, 0, getIthJsonbValueFromContainer(e.val.binary.data, 0), i);
		pair[1] = DqPairElem(r, 1, getIthJsonbValueFromContainer(e.val.binary.data, 1), i);
		ps->pairs = lappend(ps->pairs, pair);
		i++;
	}
	r->state = ps;
}

static DqOutcome
DqEvalPairSet(DqRule *r, const Datum *values, const bool *isnull)
{
	DqPairSet  *ps = r->state;
	char	   *a;
	char	   *b;
	ListCell   *lc;

	if (DqRowMissing(r, isnull))
		return DQ_MISSING;
	a = isnull[0] ? NULL : OutputFunctionCall(&r->cols[0].out, values[0]);
	b = isnull[1] ? NULL : OutputFunctionCall(&r->cols[1].out, values[1]);
	foreach(lc, ps->pairs)
	{
		char	  **p = lfirst(lc);

		if (((a == NULL && p[0] == NULL) || (a && p[0] && strcmp(a, p[0]) == 0)) &&
			((b == NULL && p[1] == NULL) || (b && p[1] && strcmp(b, p[1]) == 0)))
			return DQ_EXPECTED;
	}
	return DQ_UNEXPECTED;
}

/* multicolumn_sum_to_equal: the columns are numbers, sum_total is one */
static void
DqCompileSum(DqRule *r, const DqColumnSource *src, const char *column)
{
	Datum	   *total = palloc(sizeof(Datum));

	for (int i = 0; i < r->ncols; i++)
		if (TypeCategory(getBaseType(r->cols[i].typid)) != TYPCATEGORY_NUMERIC)
			DqKindNotApplicable(r, i, "Sums apply to numeric columns.");
	*total = DqParamToType(r, DqRequiredText(r, "sum_total"), NUMERICOID);
	r->state = total;
}

static DqOutcome
DqEvalSum(DqRule *r, const Datum *values, const bool *isnull)
{
	/* NULLs count as 0; missing rows by ignore_row_if */
	Datum		sum = NumericGetDatum(int64_to_numeric(0));

	if (DqRowMissing(r, isnull))
		return DQ_MISSING;
	for (int i = 0; i < r->ncols; i++)
	{
		if (isnull[i])
			continue;
		sum = DirectFunctionCall2(numeric_add, sum,
								  DqParamToType(r, OutputFunctionCall(&r->cols[i].out, values[i]),
												NUMERICOID));
	}
	return DatumGetBool(DirectFunctionCall2(numeric_eq, sum, *(Datum *) r->state)) ?
		DQ_EXPECTED : DQ_UNEXPECTED;
}

/* the columns of a row hold different values (NULLs are ignored) */
static DqOutcome
DqEvalDistinctColumns(DqRule *r, const Datum *values, const bool *isnull)
{
	char	  **txt = palloc(sizeof(char *) * r->ncols);

	if (DqRowMissing(r, isnull))
		return DQ_MISSING;
	for (int i = 0; i < r->ncols; i++)
		txt[i] = isnull[i] ? NULL : OutputFunctionCall(&r->cols[i].out, values[i]);
	for (int i = 0; i < r->ncols; i++)
		for (int j = i + 1; j < r->ncols; j++)
			if (txt[i] && txt[j] && strcmp(txt[i], txt[j]) == 0)
				return DQ_UNEXPECTED;
	return DQ_EXPECTED;
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqRowKinds[] = {
	{
		.name = "expect_column_values_to_not_be_null",
		.ncols = 1, .params = DQ_PARAMS("mostly"),
		.description = "the column has no NULLs",
		.flags = DQ_KIND_COUNTS_NULLS,
		.eval = DqEvalNotNull,
	},
	{
		.name = "expect_column_values_to_be_null",
		.ncols = 1, .params = DQ_PARAMS("mostly"),
		.description = "the column is NULL everywhere",
		.flags = DQ_KIND_COUNTS_NULLS,
		.eval = DqEvalNull,
	},
	{
		.name = "expect_column_values_to_be_between",
		.ncols = 1,
		.params = DQ_PARAMS("min_value", "max_value", "strict_min", "strict_max", "mostly"),
		.description = "values lie between min_value and max_value (either may be absent)",
		.compile = DqCompileBetween, .eval = DqEvalBetween,
	},
	{
		.name = "expect_column_values_to_be_in_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set", "mostly"),
		.description = "values belong to value_set",
		.compile = DqCompileSet, .eval = DqEvalSet,
	},
	{
		.name = "expect_column_values_to_not_be_in_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set", "mostly"),
		.description = "values do not belong to value_set",
		.flags = DQ_KIND_NEGATED, .compile = DqCompileSet, .eval = DqEvalSet,
	},
	{
		.name = "expect_column_value_lengths_to_be_between",
		.ncols = 1,
		.params = DQ_PARAMS("min_value", "max_value", "strict_min", "strict_max", "mostly"),
		.description = "value lengths in characters lie between min_value and max_value",
		.compile = DqCompileLengthBetween, .eval = DqEvalLength,
	},
	{
		.name = "expect_column_value_lengths_to_equal",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value", "mostly"),
		.description = "value lengths in characters equal value",
		.compile = DqCompileLengthEqual, .eval = DqEvalLength,
	},
	{
		.name = "expect_column_pair_values_to_be_equal",
		.ncols = 2, .nreq = 2,
		.params = DQ_PARAMS("column_A", "column_B", "ignore_row_if", "mostly"),
		.description = "column_A equals column_B in every row",
		.compile = DqCompilePairEqual, .eval = DqEvalPair,
	},
	{
		.name = "expect_column_pair_values_a_to_be_greater_than_b",
		.ncols = 2, .nreq = 2,
		.params = DQ_PARAMS("column_A", "column_B", "or_equal", "ignore_row_if", "mostly"),
		.description = "column_A is greater than (or_equal: at least) column_B in every row",
		.compile = DqCompilePairGreater, .eval = DqEvalPair,
	},
	{
		.name = "expect_column_pair_values_to_be_in_set",
		.ncols = 2, .nreq = 3,
		.params = DQ_PARAMS("column_A", "column_B", "value_pairs_set", "ignore_row_if", "mostly"),
		.description = "each (column_A, column_B) pair is one of value_pairs_set",
		.compile = DqCompilePairSet, .eval = DqEvalPairSet,
	},
	{
		.name = "expect_multicolumn_sum_to_equal",
		.ncols = -1, .nreq = 2,
		.params = DQ_PARAMS("column_list", "sum_total", "ignore_row_if", "mostly"),
		.description = "the columns of column_list add up to sum_total in every row",
		.compile = DqCompileSum, .eval = DqEvalSum,
	},
	{
		.name = "expect_select_column_values_to_be_unique_within_record",
		.ncols = -1, .nreq = 1,
		.params = DQ_PARAMS("column_list", "ignore_row_if", "mostly"),
		.description = "the columns of column_list hold different values in every row",
		.eval = DqEvalDistinctColumns,
	},
	{
		.name = "expect_multicolumn_values_to_be_unique",
		.ncols = -1, .nreq = 1,
		.params = DQ_PARAMS("column_list", "ignore_row_if", "mostly"),
		.description = "the columns of column_list hold different values in every row (GE's older name of ..._unique_within_record)",
		.eval = DqEvalDistinctColumns,
	},
	{0}
};
