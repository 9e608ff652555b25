/*-------------------------------------------------------------------------
 *
 * ge_kinds.c
 *	  Great Expectations' core kinds added for GE conformance: their
 *	  compilation, their evaluation on one row, and the queries of those
 *	  that need one.
 *
 * Row-level ("column map") kinds, evaluated by DqEvalRule wherever rows
 * come from (dq.check, dq.validate's one scan, change validation):
 *
 *	 expect_column_values_to_be_json_parseable		PostgreSQL's JSON parser
 *	 expect_column_values_to_be_dateutil_parseable	PostgreSQL's timestamp parser
 *	 expect_column_values_to_match_json_schema		a JSON Schema subset
 *	 expect_column_values_to_(not_)match_like_pattern_list
 *	 expect_column_values_to_match_strftime_format	Python's strptime rules
 *	 expect_column_pair_values_to_be_in_set
 *	 expect_multicolumn_values_to_be_unique
 *
 * expect_table_column_count_to_be_between reads the relation's shape;
 * expect_column_value_z_scores_to_be_less_than needs the column's mean
 * and standard deviation first, so it runs a query of its own;
 * unexpected_rows_expectation (GE 1.x's UnexpectedRowsExpectation) runs
 * the user's query, always as the role that owns the expectation, under
 * SECURITY_RESTRICTED_OPERATION with search_path pinned (base/trust.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "base/json_build.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "expect/expectations.h"
#include "expect/ge_kinds.h"

/* the compiled parameters of the kinds of this file */
typedef struct DqKindExt
{
	Jsonb	   *schema;			/* json_schema */
	char	   *format;			/* strftime_format */
	List	   *pairs;			/* value_pairs_set: char ** pairs, canonical text */
	char	   *query;			/* unexpected_rows_query, {batch} replaced */
	double		threshold;		/* z-scores */
	bool		double_sided;
} DqKindExt;

static bool
DqIsText(Oid typid)
{
	return TypeCategory(getBaseType(typid)) == TYPCATEGORY_STRING;
}

static JsonbValue *
DqExtParam(DqRule *r, const char *key)
{
	JsonbValue *v = DqJsonbGet(&r->params->root, key);

	return (v == NULL || v->type == jbvNull) ? NULL : v;
}

static void
DqNeedsText(DqRule *r)
{
	if (!DqIsText(r->cols[0].typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s does not apply to column \"%s\" of type %s",
						r->def->name, r->cols[0].name, format_type_be(r->cols[0].typid)),
				 errhint("Values passed to %s must be of a string type; cast the column in a view.",
						 r->def->name)));
}

/* ---------------------------------------------------------------------
 * strftime formats, matched with the rules of Python's strptime
 * ---------------------------------------------------------------------
 */

typedef struct DqTimeParts
{
	int			year;
	int			month;
	int			day;
	bool		has_year;
} DqTimeParts;

static const char *const DqMonths[] = {"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december", NULL};
static const char *const DqDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday",
"saturday", "sunday", NULL};

/* the directives understood, for the check at definition */
static const char DqStrftimeDirectives[] = "YmdHMSyIpbBhaAjfzZwUW%";

/* Match a name (full, or its first three letters); returns its length. */
static int
DqMatchName(const char *s, const char *const *names, bool abbrev, int *index)
{
	int			i;

	for (i = 0; names[i] != NULL; i++)
	{
		int			len = abbrev ? 3 : (int) strlen(names[i]);

		if (pg_strncasecmp(s, names[i], len) == 0)
		{
			*index = i;
			return len;
		}
	}
	return 0;
}

static bool DqStrftimeMatch(const char *fmt, const char *s, DqTimeParts *tp);

/* a number of minw..maxw digits in [lo, hi], longest first, then the rest */
static bool
DqStrftimeNumber(const char *fmt, const char *s, DqTimeParts *tp, int minw, int maxw,
				 int lo, int hi, int which)
{
	int			w;

	for (w = maxw; w >= minw; w--)
	{
		int			v = 0;
		int			k;

		for (k = 0; k < w; k++)
		{
			if (!isdigit((unsigned char) s[k]))
				break;
			v = v * 10 + (s[k] - '0');
		}
		if (k < w || v < lo || v > hi)
			continue;
		{
			DqTimeParts save = *tp;

			if (which == 'Y')
			{
				tp->year = v;
				tp->has_year = true;
			}
			else if (which == 'y')
			{
				tp->year = v < 69 ? 2000 + v : 1900 + v;
				tp->has_year = true;
			}
			else if (which == 'm')
				tp->month = v;
			else if (which == 'd')
				tp->day = v;
			if (DqStrftimeMatch(fmt, s + w, tp))
				return true;
			*tp = save;
		}
	}
	return false;
}

/* Does s match fmt from here on?  Fills the date parts. */
static bool
DqStrftimeMatch(const char *fmt, const char *s, DqTimeParts *tp)
{
	while (*fmt)
	{
		if (isspace((unsigned char) *fmt))
		{
			/* whitespace in the format matches any whitespace, or none */
			while (isspace((unsigned char) *fmt))
				fmt++;
			while (isspace((unsigned char) *s))
				s++;
			continue;
		}
		if (*fmt != '%')
		{
			if (pg_tolower((unsigned char) *fmt) != pg_tolower((unsigned char) *s))
				return false;
			fmt++;
			s++;
			continue;
		}
		fmt++;
		switch (*fmt++)
		{
			case 'Y':
				return DqStrftimeNumber(fmt, s, tp, 4, 4, 0, 9999, 'Y');
			case 'y':
				return DqStrftimeNumber(fmt, s, tp, 2, 2, 0, 99, 'y');
			case 'm':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 1, 12, 'm');
			case 'd':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 1, 31, 'd');
			case 'H':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 0, 23, 'H');
			case 'I':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 1, 12, 'I');
			case 'M':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 0, 59, 'M');
			case 'S':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 0, 61, 'S');
			case 'j':
				return DqStrftimeNumber(fmt, s, tp, 1, 3, 1, 366, 'j');
			case 'f':
				return DqStrftimeNumber(fmt, s, tp, 1, 6, 0, 999999, 'f');
			case 'w':
				return DqStrftimeNumber(fmt, s, tp, 1, 1, 0, 6, 'w');
			case 'U':
			case 'W':
				return DqStrftimeNumber(fmt, s, tp, 1, 2, 0, 53, 'U');
			case 'p':
				if (pg_strncasecmp(s, "am", 2) != 0 && pg_strncasecmp(s, "pm", 2) != 0)
					return false;
				s += 2;
				break;
			case 'b':
			case 'h':
			case 'B':
				{
					int			idx;
					int			len = DqMatchName(s, DqMonths, false, &idx);

					if (len == 0)
						len = DqMatchName(s, DqMonths, true, &idx);
					if (len == 0)
						return false;
					tp->month = idx + 1;
					s += len;
					break;
				}
			case 'a':
			case 'A':
				{
					int			idx;
					int			len = DqMatchName(s, DqDays, false, &idx);

					if (len == 0)
						len = DqMatchName(s, DqDays, true, &idx);
					if (len == 0)
						return false;
					s += len;
					break;
				}
			case 'z':
				if (*s == 'Z' || *s == 'z')
				{
					s++;
					break;
				}
				if (*s != '+' && *s != '-')
					return false;
				s++;
				if (!isdigit((unsigned char) s[0]) || !isdigit((unsigned char) s[1]))
					return false;
				s += 2;
				if (*s == ':')
					s++;
				if (!isdigit((unsigned char) s[0]) || !isdigit((unsigned char) s[1]))
					return false;
				s += 2;
				break;
			case 'Z':
				if (!isalpha((unsigned char) *s))
					return false;
				while (isalpha((unsigned char) *s))
					s++;
				break;
			case '%':
				if (*s++ != '%')
					return false;
				break;
			default:
				return false;
		}
	}
	return *s == '\0';
}

/* Does str match format, and is the date it gives a real one? */
static bool
DqMatchesStrftime(const char *format, const char *str)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	DqTimeParts tp = {1900, 1, 1, false};
	bool		leap;

	if (!DqStrftimeMatch(format, str, &tp))
		return false;
	leap = (tp.year % 4 == 0 && tp.year % 100 != 0) || tp.year % 400 == 0;
	if (tp.day > mdays[tp.month - 1])
		return false;
	if (tp.month == 2 && tp.day == 29 && !leap)
		return false;
	return true;
}

static void
DqCheckStrftimeFormat(DqRule *r, const char *fmt)
{
	const char *p;

	for (p = fmt; *p; p++)
	{
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0' || strchr(DqStrftimeDirectives, *p) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unable to use strftime_format \"%s\" of %s", fmt, r->def->name),
					 errdetail("The directive \"%%%c\" is not supported.", *p ? *p : ' '),
					 errhint("Use the directives %%Y %%m %%d %%H %%M %%S %%y %%I %%p %%b %%B %%a %%A %%j %%f %%z %%Z %%w %%U %%W and %%%%.")));
	}
}

/* ---------------------------------------------------------------------
 * A subset of JSON Schema (draft 7): type, enum, const, properties,
 * required, additionalProperties, items, minItems, maxItems, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
 * pattern, allOf, anyOf, oneOf, not.  Other keywords are refused when the
 * expectation is defined.
 * ---------------------------------------------------------------------
 */

static const char *const DqSchemaKeywords[] = {
	"type", "enum", "const", "properties", "required", "additionalProperties",
	"items", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum",
	"exclusiveMaximum", "minLength", "maxLength", "pattern", "allOf", "anyOf",
	"oneOf", "not", "title", "description", "$schema", "$id", "default", "examples",
	NULL
};

static void
DqCheckSchema(DqRule *r, JsonbContainer *schema)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (!JsonContainerIsObject(schema))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("json_schema of %s must be a JSON object", r->def->name),
				 errhint("Pass for example {\"json_schema\": {\"type\": \"object\", \"required\": [\"id\"]}}.")));
	it = JsonbIteratorInit(schema);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			int			i;
			bool		known = false;

			for (i = 0; DqSchemaKeywords[i] != NULL; i++)
				known |= (strcmp(key, DqSchemaKeywords[i]) == 0);
			if (!known)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("JSON Schema keyword \"%s\" is not supported by %s", key, r->def->name),
						 errhint("Supported keywords: type, enum, const, properties, required, additionalProperties, items, minItems, maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, allOf, anyOf, oneOf, not.")));
		}
	}
}

static JsonbValue *
DqSchemaGet(JsonbContainer *schema, const char *key)
{
	return DqJsonbGet(schema, key);
}

static bool DqSchemaValid(JsonbContainer *schema, JsonbValue *val);

/* A nested schema (an object) given as a JsonbValue. */
static bool
DqSubSchemaValid(JsonbValue *sub, JsonbValue *val)
{
	if (sub->type == jbvBool)
		return sub->val.boolean;
	if (sub->type != jbvBinary || !JsonContainerIsObject(sub->val.binary.data))
		return true;
	return DqSchemaValid(sub->val.binary.data, val);
}

static bool
DqTypeIs(JsonbValue *val, const char *t)
{
	switch (val->type)
	{
		case jbvNull:
			return strcmp(t, "null") == 0;
		case jbvBool:
			return strcmp(t, "boolean") == 0;
		case jbvString:
			return strcmp(t, "string") == 0;
		case jbvNumeric:
			if (strcmp(t, "number") == 0)
				return true;
			if (strcmp(t, "integer") == 0)
				return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(val->val.numeric),
														DirectFunctionCall2(numeric_trunc,
																			NumericGetDatum(val->val.numeric),
																			Int32GetDatum(0))));
			return false;
		case jbvBinary:
			if (JsonContainerIsArray(val->val.binary.data))
				return strcmp(t, "array") == 0;
			return strcmp(t, "object") == 0;
		default:
			return false;
	}
}

static bool
DqJsonbValueEqual(JsonbValue *a, JsonbValue *b)
{
	Jsonb	   *ja = JsonbValueToJsonb(a);
	Jsonb	   *jb = JsonbValueToJsonb(b);

	return DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(ja), JsonbPGetDatum(jb)));
}

static double
DqNum(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static bool
DqSchemaValid(JsonbContainer *schema, JsonbValue *val)
{
	JsonbValue *kw;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;

	if ((kw = DqSchemaGet(schema, "type")) != NULL)
	{
		bool		ok = false;

		if (kw->type == jbvString)
			ok = DqTypeIs(val, pnstrdup(kw->val.string.val, kw->val.string.len));
		else if (kw->type == jbvBinary)
		{
			it = JsonbIteratorInit(kw->val.binary.data);
			while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
				if (tok == WJB_ELEM && e.type == jbvString &&
					DqTypeIs(val, pnstrdup(e.val.string.val, e.val.string.len)))
					ok = true;
		}
		if (!ok)
			return false;
	}
	if ((kw = DqSchemaGet(schema, "enum")) != NULL && kw->type == jbvBinary)
	{
		bool		ok = false;

		it = JsonbIteratorInit(kw->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM && DqJsonbValueEqual(&e, val))
				ok = true;
		if (!ok)
			return false;
	}
	if ((kw = DqSchemaGet(schema, "const")) != NULL && !DqJsonbValueEqual(kw, val))
		return false;
	if (val->type == jbvNumeric)
	{
		double		x = DqNum(val);

		if ((kw = DqSchemaGet(schema, "minimum")) != NULL && kw->type == jbvNumeric && x < DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "maximum")) != NULL && kw->type == jbvNumeric && x > DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "exclusiveMinimum")) != NULL && kw->type == jbvNumeric && x <= DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "exclusiveMaximum")) != NULL && kw->type == jbvNumeric && x >= DqNum(kw))
			return false;
	}
	if (val->type == jbvString)
	{
		int			len = pg_mbstrlen_with_len(val->val.string.val, val->val.string.len);

		if ((kw = DqSchemaGet(schema, "minLength")) != NULL && kw->type == jbvNumeric && len < DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "maxLength")) != NULL && kw->type == jbvNumeric && len > DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "pattern")) != NULL && kw->type == jbvString &&
			!RE_compile_and_execute(cstring_to_text_with_len(kw->val.string.val, kw->val.string.len),
									val->val.string.val, val->val.string.len,
									REG_ADVANCED, DEFAULT_COLLATION_OID, 0, NULL))
			return false;
	}
	if (val->type == jbvBinary && JsonContainerIsArray(val->val.binary.data))
	{
		int			n = JsonContainerSize(val->val.binary.data);

		if ((kw = DqSchemaGet(schema, "minItems")) != NULL && kw->type == jbvNumeric && n < DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "maxItems")) != NULL && kw->type == jbvNumeric && n > DqNum(kw))
			return false;
		if ((kw = DqSchemaGet(schema, "items")) != NULL)
		{
			it = JsonbIteratorInit(val->val.binary.data);
			while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
				if (tok == WJB_ELEM && !DqSubSchemaValid(kw, &e))
					return false;
		}
	}
	if (val->type == jbvBinary && JsonContainerIsObject(val->val.binary.data))
	{
		JsonbContainer *obj = val->val.binary.data;
		JsonbValue *props = DqSchemaGet(schema, "properties");
		JsonbValue *addl = DqSchemaGet(schema, "additionalProperties");

		if ((kw = DqSchemaGet(schema, "required")) != NULL && kw->type == jbvBinary)
		{
			it = JsonbIteratorInit(kw->val.binary.data);
			while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
				if (tok == WJB_ELEM && e.type == jbvString &&
					DqJsonbGet(obj, pnstrdup(e.val.string.val, e.val.string.len)) == NULL)
					return false;
		}
		it = JsonbIteratorInit(obj);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			char	   *key;
			JsonbValue *sub = NULL;
			JsonbValue	member;

			if (tok != WJB_KEY)
				continue;
			key = pnstrdup(e.val.string.val, e.val.string.len);
			tok = JsonbIteratorNext(&it, &member, true);
			if (props != NULL && props->type == jbvBinary)
				sub = DqJsonbGet(props->val.binary.data, key);
			if (sub != NULL)
			{
				if (!DqSubSchemaValid(sub, &member))
					return false;
			}
			else if (addl != NULL && !DqSubSchemaValid(addl, &member))
				return false;
		}
	}
	if ((kw = DqSchemaGet(schema, "allOf")) != NULL && kw->type == jbvBinary)
	{
		it = JsonbIteratorInit(kw->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM && !DqSubSchemaValid(&e, val))
				return false;
	}
	if ((kw = DqSchemaGet(schema, "anyOf")) != NULL && kw->type == jbvBinary)
	{
		int			n = 0;

		it = JsonbIteratorInit(kw->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM && DqSubSchemaValid(&e, val))
				n++;
		if (n == 0)
			return false;
	}
	if ((kw = DqSchemaGet(schema, "oneOf")) != NULL && kw->type == jbvBinary)
	{
		int			n = 0;

		it = JsonbIteratorInit(kw->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM && DqSubSchemaValid(&e, val))
				n++;
		if (n != 1)
			return false;
	}
	if ((kw = DqSchemaGet(schema, "not")) != NULL && DqSubSchemaValid(kw, val))
		return false;
	return true;
}

/* ---------------------------------------------------------------------
 * Compiling and evaluating
 * ---------------------------------------------------------------------
 */

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

/*
 * Compile a kind of this file; the caller has resolved the columns.
 * Returns false when the kind is not one of this file's.
 */
bool
DqCompileGeKind(const DqColumnSource *src, DqRule *r)
{
	DqKindExt  *x = palloc0(sizeof(DqKindExt));
	JsonbValue *v;

	r->ext = x;
	switch (r->def->kind)
	{
		case DQ_K_JSON_PARSEABLE:
			return true;
		case DQ_K_DATEUTIL_PARSEABLE:
			DqNeedsText(r);
			return true;
		case DQ_K_JSON_SCHEMA:
			v = DqExtParam(r, "json_schema");
			if (v == NULL || v->type != jbvBinary)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s needs json_schema as a JSON object", r->def->name),
						 errhint("Pass for example {\"json_schema\": {\"type\": \"object\"}}.")));
			DqCheckSchema(r, v->val.binary.data);
			x->schema = JsonbValueToJsonb(v);
			return true;
		case DQ_K_LIKE_LIST:
		case DQ_K_NOT_LIKE_LIST:
			{
				JsonbIterator *it;
				JsonbValue	e;
				JsonbIteratorToken tok;

				v = DqExtParam(r, "like_pattern_list");
				if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs like_pattern_list as a JSON array of strings", r->def->name),
							 errhint("Pass for example {\"like_pattern_list\": [\"a%%\", \"b%%\"]}.")));
				it = JsonbIteratorInit(v->val.binary.data);
				while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
				{
					if (tok != WJB_ELEM)
						continue;
					if (e.type != jbvString)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("like_pattern_list of %s must contain strings", r->def->name),
								 errhint("Pass LIKE patterns such as \"a%%\".")));
					r->patterns = lappend(r->patterns,
										  cstring_to_text_with_len(e.val.string.val, e.val.string.len));
				}
				if (r->patterns == NIL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("like_pattern_list of %s must not be empty", r->def->name),
							 errhint("Pass at least one LIKE pattern.")));
				v = DqExtParam(r, "match_on");
				if (v != NULL && r->def->kind == DQ_K_LIKE_LIST)
				{
					char	   *s = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : "";

					if (strcmp(s, "all") == 0)
						r->match_all = true;
					else if (strcmp(s, "any") != 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("match_on must be \"any\" or \"all\""),
								 errhint("Use \"any\" (the default) or \"all\".")));
				}
				return true;
			}
		case DQ_K_STRFTIME:
			DqNeedsText(r);
			v = DqExtParam(r, "strftime_format");
			if (v == NULL || v->type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s needs strftime_format as a string", r->def->name),
						 errhint("Pass for example {\"strftime_format\": \"%%Y-%%m-%%d\"}.")));
			x->format = pnstrdup(v->val.string.val, v->val.string.len);
			DqCheckStrftimeFormat(r, x->format);
			return true;
		case DQ_K_PAIR_IN_SET:
			{
				JsonbIterator *it;
				JsonbValue	e;
				JsonbIteratorToken tok;
				int			i = 0;

				v = DqExtParam(r, "value_pairs_set");
				if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs value_pairs_set as a JSON array of pairs", r->def->name),
							 errhint("Pass for example {\"value_pairs_set\": [[1, \"a\"], [2, \"b\"]]}.")));
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
					x->pairs = lappend(x->pairs, pair);
					i++;
				}
				return true;
			}
		case DQ_K_MULTI_UNIQUE:
			return true;
		case DQ_K_COLUMN_COUNT_BETWEEN:
			{
				JsonbValue *lo = DqExtParam(r, "min_value");
				JsonbValue *hi = DqExtParam(r, "max_value");
				bool		slo = false;
				bool		shi = false;
				double		n = src->ncols;

				if ((v = DqExtParam(r, "strict_min")) != NULL)
					slo = (v->type == jbvBool && v->val.boolean);
				if ((v = DqExtParam(r, "strict_max")) != NULL)
					shi = (v->type == jbvBool && v->val.boolean);
				if ((lo && lo->type != jbvNumeric) || (hi && hi->type != jbvNumeric))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("min_value and max_value of %s must be numbers", r->def->name),
							 errhint("Pass for example {\"min_value\": 2, \"max_value\": 10}.")));
				r->meta_success = true;
				if (lo && (slo ? !(n > DqNum(lo)) : !(n >= DqNum(lo))))
					r->meta_success = false;
				if (hi && (shi ? !(n < DqNum(hi)) : !(n <= DqNum(hi))))
					r->meta_success = false;
				r->meta_result = psprintf("\"observed_value\": %d", src->ncols);
				return true;
			}
		case DQ_K_ZSCORE:
			{
				if (TypeCategory(getBaseType(r->cols[0].typid)) != TYPCATEGORY_NUMERIC)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("%s does not apply to column \"%s\" of type %s",
									r->def->name, r->cols[0].name, format_type_be(r->cols[0].typid)),
							 errhint("z-scores apply to numeric columns.")));
				v = DqExtParam(r, "threshold");
				if (v == NULL || v->type != jbvNumeric)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs threshold as a number", r->def->name),
							 errhint("Pass for example {\"threshold\": 3, \"double_sided\": true}.")));
				x->threshold = DqNum(v);
				v = DqExtParam(r, "double_sided");
				if (v != NULL && v->type != jbvBool)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("parameter \"double_sided\" of %s must be a boolean", r->def->name),
							 errhint("Pass true or false.")));
				x->double_sided = (v == NULL) ? true : v->val.boolean;
				return true;
			}
		case DQ_K_UNEXPECTED_ROWS:
			{
				char	   *q;
				char	   *at;
				StringInfoData buf;

				v = DqExtParam(r, "unexpected_rows_query");
				if (v == NULL || v->type != jbvString)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs unexpected_rows_query as a string", r->def->name),
							 errhint("Pass for example {\"unexpected_rows_query\": \"SELECT * FROM {batch} WHERE amount < 0\"}.")));
				q = pnstrdup(v->val.string.val, v->val.string.len);
				initStringInfo(&buf);
				while ((at = strstr(q, "{batch}")) != NULL)
				{
					appendBinaryStringInfo(&buf, q, at - q);
					appendStringInfoString(&buf, src->qualname);
					q = at + strlen("{batch}");
				}
				appendStringInfoString(&buf, q);
				x->query = buf.data;
				return true;
			}
		default:
			return false;
	}
}

typedef struct DqParseArg
{
	Oid			typinput;
	Oid			typioparam;
	char	   *str;
} DqParseArg;

static void
DqParseFn(void *arg)
{
	DqParseArg *a = arg;

	(void) OidInputFunctionCall(a->typinput, a->str, a->typioparam, -1);
}

/*
 * Does str parse as a timestamp?  Ambiguous dates are read month first,
 * as dateutil reads them (01/02/2020 is January 2nd), whatever DateStyle
 * says.
 */
static bool
DqParsesAsTimestamp(char *str)
{
	DqParseArg	a;
	int			save = DateOrder;
	volatile bool ok = false;

	getTypeInputInfo(TIMESTAMPTZOID, &a.typinput, &a.typioparam);
	a.str = str;
	DateOrder = DATEORDER_MDY;
	PG_TRY();
	{
		ok = (DqCatchDataError(DqParseFn, &a) == NULL);
	}
	PG_FINALLY();
	{
		DateOrder = save;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Outcome of one row for the row-level kinds of this file (the value is
 * not NULL for single-column kinds).
 */
DqOutcome
DqEvalGeKind(DqRule *r, Datum *values, bool *isnull)
{
	DqKindExt  *x = r->ext;
	char	   *txt;

	switch (r->def->kind)
	{
		case DQ_K_PAIR_IN_SET:
			{
				char	   *a;
				char	   *b;
				ListCell   *lc;

				if (isnull[0] && isnull[1] && r->ignore_row != DQ_IGNORE_NEVER)
					return DQ_MISSING;
				if ((isnull[0] || isnull[1]) && r->ignore_row == DQ_IGNORE_ANY_MISSING)
					return DQ_MISSING;
				a = isnull[0] ? NULL : OutputFunctionCall(&r->cols[0].out, values[0]);
				b = isnull[1] ? NULL : OutputFunctionCall(&r->cols[1].out, values[1]);
				foreach(lc, x->pairs)
				{
					char	  **p = lfirst(lc);

					if (((a == NULL && p[0] == NULL) || (a && p[0] && strcmp(a, p[0]) == 0)) &&
						((b == NULL && p[1] == NULL) || (b && p[1] && strcmp(b, p[1]) == 0)))
						return DQ_EXPECTED;
				}
				return DQ_UNEXPECTED;
			}
		case DQ_K_MULTI_UNIQUE:
			{
				int			nnull = 0;
				int			i;
				int			j;
				char	  **t = palloc(sizeof(char *) * r->ncols);

				for (i = 0; i < r->ncols; i++)
					nnull += isnull[i];
				if ((r->ignore_row == DQ_IGNORE_ALL_MISSING && nnull == r->ncols) ||
					(r->ignore_row == DQ_IGNORE_ANY_MISSING && nnull > 0))
					return DQ_MISSING;
				for (i = 0; i < r->ncols; i++)
					t[i] = isnull[i] ? NULL : OutputFunctionCall(&r->cols[i].out, values[i]);
				for (i = 0; i < r->ncols; i++)
					for (j = i + 1; j < r->ncols; j++)
						if (t[i] && t[j] && strcmp(t[i], t[j]) == 0)
							return DQ_UNEXPECTED;
				return DQ_EXPECTED;
			}
		default:
			break;
	}
	if (isnull[0])
		return DQ_MISSING;
	switch (r->def->kind)
	{
		case DQ_K_JSON_PARSEABLE:
			{
				Oid			base = getBaseType(r->cols[0].typid);
				JsonLexContext *lex;

				if (base == JSONOID || base == JSONBOID)
					return DQ_EXPECTED;
				/* GE parses strings only: another type's values are not JSON text */
				if (!DqIsText(r->cols[0].typid))
					return DQ_UNEXPECTED;
				txt = OutputFunctionCall(&r->cols[0].out, values[0]);
				lex = makeJsonLexContextCstringLen(txt, strlen(txt), GetDatabaseEncoding(), false);
				return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS ?
					DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_DATEUTIL_PARSEABLE:
			txt = OutputFunctionCall(&r->cols[0].out, values[0]);
			return DqParsesAsTimestamp(txt) ? DQ_EXPECTED : DQ_UNEXPECTED;
		case DQ_K_JSON_SCHEMA:
			{
				Oid			base = getBaseType(r->cols[0].typid);
				Jsonb	   *doc;
				JsonbValue	root;
				JsonLexContext *lex;

				txt = OutputFunctionCall(&r->cols[0].out, values[0]);
				if (base != JSONOID && base != JSONBOID)
				{
					lex = makeJsonLexContextCstringLen(txt, strlen(txt), GetDatabaseEncoding(), false);
					if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
						return DQ_UNEXPECTED;
				}
				doc = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(txt)));
				if (JB_ROOT_IS_SCALAR(doc))
					(void) JsonbExtractScalar(&doc->root, &root);
				else
				{
					root.type = jbvBinary;
					root.val.binary.data = &doc->root;
					root.val.binary.len = VARSIZE(doc) - VARHDRSZ;
				}
				return DqSchemaValid(&x->schema->root, &root) ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_LIKE_LIST:
		case DQ_K_NOT_LIKE_LIST:
			{
				Oid			coll = r->cols[0].collation ? r->cols[0].collation : DEFAULT_COLLATION_OID;
				text	   *val = cstring_to_text(OutputFunctionCall(&r->cols[0].out, values[0]));
				int			nmatch = 0;
				ListCell   *lc;

				foreach(lc, r->patterns)
					nmatch += DatumGetBool(DirectFunctionCall2Coll(textlike, coll,
																   PointerGetDatum(val),
																   PointerGetDatum(lfirst(lc))));
				if (r->def->kind == DQ_K_NOT_LIKE_LIST)
					return nmatch == 0 ? DQ_EXPECTED : DQ_UNEXPECTED;
				if (r->match_all)
					return nmatch == list_length(r->patterns) ? DQ_EXPECTED : DQ_UNEXPECTED;
				return nmatch > 0 ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_STRFTIME:
			txt = OutputFunctionCall(&r->cols[0].out, values[0]);
			return DqMatchesStrftime(x->format, txt) ? DQ_EXPECTED : DQ_UNEXPECTED;
		default:
			break;
	}
	elog(ERROR, "unexpected expectation kind %d", (int) r->def->kind);
	return DQ_MISSING;			/* keep compiler quiet */
}

/*
 * The z-score kind's query: GE's counts as jsonb, unexpected when
 * |z| >= threshold (z >= threshold when not double_sided), z from the
 * column's mean and sample standard deviation.
 */
char *
DqZScoreSql(DqRule *r, const char *qualname, int partial_max)
{
	DqKindExt  *x = r->ext;
	const char *col = quote_identifier(r->cols[0].name);
	char	   *z = psprintf("((%s::pg_catalog.float8 - s.m) / NULLIF(s.sd, 0))", col);
	char	   *bad = x->double_sided ?
		psprintf("pg_catalog.abs(%s) >= %.17g", z, x->threshold) :
		psprintf("%s >= %.17g", z, x->threshold);

	return psprintf("WITH s AS (SELECT pg_catalog.avg(%s::pg_catalog.float8) AS m, "
					"                  pg_catalog.stddev_samp(%s::pg_catalog.float8) AS sd FROM %s), "
					"     t AS (SELECT pg_catalog.count(*) AS n, "
					"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m FROM %s), "
					"     bad AS (SELECT %s AS v FROM %s, s WHERE %s IS NOT NULL AND COALESCE(%s, true)) "
					"SELECT pg_catalog.jsonb_build_object("
					"'element_count', t.n, 'missing_count', t.m, "
					"'unexpected_count', (SELECT pg_catalog.count(*) FROM bad), "
					"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b.v)) FROM "
					"   (SELECT v FROM bad LIMIT %d) b), '[]'::pg_catalog.jsonb)) FROM t",
					col, col, qualname, col, qualname, col, qualname, col, bad, partial_max);
}

/*
 * unexpected_rows_expectation: run the query as role "owner" (restricted,
 * search_path pinned) and count its rows; success when there are none.
 * observed_value is GE's "N unexpected rows"; details.unexpected_rows
 * holds the first partial_max rows as JSON objects.  The result is
 * built in the caller's memory context.
 */
/* The count of the user's unexpected rows, as SQL (parsed at definition). */
char *
DqUnexpectedRowsSql(DqRule *r)
{
	DqKindExt  *x = r->ext;

	return psprintf("SELECT pg_catalog.count(*) FROM (%s) u", x->query);
}

Datum
DqRunUnexpectedRows(DqRule *r, Oid owner, const char *column, Jsonb *params,
					bool has_mostly)
{
	DqKindExt  *x = r->ext;
	DqCheckState cs = {0};
	DqOwnerContext octx;
	MemoryContext callercxt = CurrentMemoryContext;
	int64		n;
	char	   *rows;
	bool		isnull;
	Datum		d;
	char	   *members;

	DqParseResultFormat(params, &cs);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DqBecomeOwner(owner, &octx);
	if (SPI_execute(psprintf("SELECT pg_catalog.count(*), "
							 "COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p)) FROM "
							 "  (SELECT * FROM (%s) q LIMIT %d) p), '[]'::pg_catalog.jsonb)::pg_catalog.text "
							 "FROM (%s) u", x->query, cs.partial_max, x->query),
					false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "unexpected_rows_query did not return one count");
	DqRestoreUser(&octx);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	{
		MemoryContext old = MemoryContextSwitchTo(callercxt);

		rows = TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	members = psprintf("\"observed_value\": \"" INT64_FORMAT " unexpected row%s\", "
					   "\"details\": {\"unexpected_rows\": %s}",
					   n, n == 1 ? "" : "s", rows);
	return DqAggregateResult(r, column, params, has_mostly, n == 0, members);
}
