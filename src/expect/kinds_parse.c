/*-------------------------------------------------------------------------
 *
 * kinds_parse.c
 *	  Row kinds on what values parse as: a PostgreSQL type (parseable_as),
 *	  JSON, a JSON document valid under a JSON Schema, a date and time, a
 *	  strftime format.
 *
 * Parsing a value may fail with a data error, which is the unexpected
 * outcome, not an error of the check: data errors (class 22) of built-in
 * input functions are caught cheaply, those of other code -- a domain's
 * CHECK constraint, another role's type -- in a subtransaction (see
 * base/subxact.c); the rule is then marked untrusted_code, so that
 * dq.validate runs it without parallel workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "base/json_build.h"
#include "base/subxact.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* ---------------------------------------------------------------------
 * A PostgreSQL type: parseable_as
 * ---------------------------------------------------------------------
 */

/* the type values must parse as */
typedef struct DqParseType
{
	Oid			typinput;
	Oid			typioparam;
	bool		safe;			/* its input is a known-safe built-in */
} DqParseType;

/* what DqParseStepFn parses */
typedef struct DqParseStep
{
	Oid			typinput;
	Oid			typioparam;
	char	   *str;
} DqParseStep;

static void
DqParseStepFn(void *arg)
{
	DqParseStep *step = arg;

	(void) OidInputFunctionCall(step->typinput, step->str, step->typioparam, -1);
}

/*
 * Does str parse with the input function?  Data errors (class 22) mean no,
 * and for a type whose input is not a known-safe built-in (a domain,
 * another role's type) so do constraint violations; those are caught in a
 * subtransaction, since the failing code may have been half-way through an
 * SPI query (a domain CHECK in PL/pgSQL).
 */
static bool
DqParses(Oid typinput, Oid typioparam, bool safe, char *str)
{
	DqParseStep step = {typinput, typioparam, str};

	if (safe)
		return DqCatchDataError(DqParseStepFn, &step) == NULL;
	return DqCatchDataErrorInSubxact(DqParseStepFn, &step) == NULL;
}

/* parameter "type": a type name, its input function to run */
static void
DqCompileParseable(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqParseType *pt = palloc0(sizeof(DqParseType));
	Oid			typid;
	int32		typmod;

	parseTypeString(DqRequiredText(r, "type"), &typid, &typmod, false);
	getTypeInputInfo(typid, &pt->typinput, &pt->typioparam);
	pt->safe = DqTypeInputIsKnownSafe(typid);
	if (!pt->safe)
		r->untrusted_code = true;
	r->named_type = typid;
	r->named_type_param = "type";
	r->state = pt;
}

static DqOutcome
DqEvalParseable(DqRule *r, const Datum *values, const bool *isnull)
{
	DqParseType *pt = r->state;

	return DqParses(pt->typinput, pt->typioparam, pt->safe,
					OutputFunctionCall(&r->cols[0].out, values[0])) ?
		DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * JSON and dates
 * ---------------------------------------------------------------------
 */

/* values of a string column parse as JSON; json and jsonb columns always do */
static DqOutcome
DqEvalJsonParseable(DqRule *r, const Datum *values, const bool *isnull)
{
	Oid			base = getBaseType(r->cols[0].typid);
	JsonLexContext *lex;
	char	   *txt;

	if (base == JSONOID || base == JSONBOID)
		return DQ_EXPECTED;
	/* GE parses strings only: another type's values are not JSON text */
	if (!DqIsStringType(r->cols[0].typid))
		return DQ_UNEXPECTED;
	txt = OutputFunctionCall(&r->cols[0].out, values[0]);
	lex = makeJsonLexContextCstringLen(txt, strlen(txt), GetDatabaseEncoding(), false);
	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS ?
		DQ_EXPECTED : DQ_UNEXPECTED;
}

/* the column is of a string type, as GE passes strings to these kinds */
static void
DqCompileNeedsText(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqRequireString(r, psprintf("Values passed to %s must be of a string type; cast the column in a view.",
								r->def->name));
}

/*
 * Does str parse as a timestamp?  Ambiguous dates are read month first,
 * as dateutil reads them (01/02/2020 is January 2nd), whatever DateStyle
 * says.
 */
static bool
DqParsesAsTimestamp(char *str)
{
	Oid			typinput;
	Oid			typioparam;
	int			save = DateOrder;
	volatile bool ok = false;

	getTypeInputInfo(TIMESTAMPTZOID, &typinput, &typioparam);
	DateOrder = DATEORDER_MDY;
	PG_TRY();
	{
		ok = DqParses(typinput, typioparam, true, str);
	}
	PG_FINALLY();
	{
		DateOrder = save;
	}
	PG_END_TRY();
	return ok;
}

static DqOutcome
DqEvalDateutilParseable(DqRule *r, const Datum *values, const bool *isnull)
{
	return DqParsesAsTimestamp(OutputFunctionCall(&r->cols[0].out, values[0])) ?
		DQ_EXPECTED : DQ_UNEXPECTED;
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

/* A name, in full or its first three letters; returns its length. */
static int
DqMatchAnyName(const char *s, const char *const *names, int *index)
{
	int			len = DqMatchName(s, names, false, index);

	return (len > 0) ? len : DqMatchName(s, names, true, index);
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
			case 'a':
			case 'A':
				{
					/* a month's name (b, h, B) or a day's (a, A) */
					bool		month = pg_tolower((unsigned char) fmt[-1]) != 'a';
					int			idx;
					int			len = DqMatchAnyName(s, month ? DqMonths : DqDays, &idx);

					if (len == 0)
						return false;
					if (month)
						tp->month = idx + 1;
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

/* How many of the schemas listed by kw (anyOf, oneOf) val satisfies. */
static int
DqSubSchemasValid(JsonbValue *kw, JsonbValue *val)
{
	JsonbIterator *it = JsonbIteratorInit(kw->val.binary.data);
	JsonbIteratorToken tok;
	JsonbValue	e;
	int			n = 0;

	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM && DqSubSchemaValid(&e, val))
			n++;
	return n;
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
	if ((kw = DqSchemaGet(schema, "anyOf")) != NULL && kw->type == jbvBinary &&
		DqSubSchemasValid(kw, val) == 0)
		return false;
	if ((kw = DqSchemaGet(schema, "oneOf")) != NULL && kw->type == jbvBinary &&
		DqSubSchemasValid(kw, val) != 1)
		return false;
	if ((kw = DqSchemaGet(schema, "not")) != NULL && DqSubSchemaValid(kw, val))
		return false;
	return true;
}

/* json_schema: an object of supported keywords */
static void
DqCompileJsonSchema(DqRule *r, const DqColumnSource *src, const char *column)
{
	JsonbValue *v = DqParamNeeded(r, "json_schema", jbvBinary, "a JSON object",
								  "Pass for example {\"json_schema\": {\"type\": \"object\"}}.");

	DqCheckSchema(r, v->val.binary.data);
	r->state = JsonbValueToJsonb(v);
}

static DqOutcome
DqEvalJsonSchema(DqRule *r, const Datum *values, const bool *isnull)
{
	Jsonb	   *schema = r->state;
	Oid			base = getBaseType(r->cols[0].typid);
	char	   *txt = OutputFunctionCall(&r->cols[0].out, values[0]);
	Jsonb	   *doc;
	JsonbValue	root;

	if (base != JSONOID && base != JSONBOID)
	{
		JsonLexContext *lex = makeJsonLexContextCstringLen(txt, strlen(txt),
														   GetDatabaseEncoding(), false);

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
	return DqSchemaValid(&schema->root, &root) ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* strftime_format: a string of supported directives */
static void
DqCompileStrftime(DqRule *r, const DqColumnSource *src, const char *column)
{
	JsonbValue *v;
	char	   *format;

	DqCompileNeedsText(r, src, column);
	v = DqParamNeeded(r, "strftime_format", jbvString, "a string",
					  "Pass for example {\"strftime_format\": \"%Y-%m-%d\"}.");
	format = pnstrdup(v->val.string.val, v->val.string.len);
	DqCheckStrftimeFormat(r, format);
	r->state = format;
}

static DqOutcome
DqEvalStrftime(DqRule *r, const Datum *values, const bool *isnull)
{
	return DqMatchesStrftime(r->state, OutputFunctionCall(&r->cols[0].out, values[0])) ?
		DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqParseKinds[] = {
	{
		.name = "expect_column_values_to_be_parseable_as",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("type", "mostly"),
		.description = "values (as text) parse as the named PostgreSQL type (GE's dateutil_parseable, renamed)",
		.named_param = "type", .named = DQ_NAMES_TYPE,
		.compile = DqCompileParseable, .eval = DqEvalParseable,
	},
	{
		.name = "expect_column_values_to_be_json_parseable",
		.ncols = 1, .params = DQ_PARAMS("mostly"),
		.description = "values of a string column parse as JSON (json and jsonb columns always do)",
		.eval = DqEvalJsonParseable,
	},
	{
		.name = "expect_column_values_to_be_dateutil_parseable",
		.ncols = 1, .params = DQ_PARAMS("mostly"),
		.description = "values of a string column parse as a date and time (PostgreSQL's timestamp input, not dateutil's)",
		.compile = DqCompileNeedsText, .eval = DqEvalDateutilParseable,
	},
	{
		.name = "expect_column_values_to_match_json_schema",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("json_schema", "mostly"),
		.description = "values are JSON documents valid under json_schema (a subset of JSON Schema: see docs/expectations.md)",
		.compile = DqCompileJsonSchema, .eval = DqEvalJsonSchema,
	},
	{
		.name = "expect_column_values_to_match_strftime_format",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("strftime_format", "mostly"),
		.description = "values of a string column match strftime_format by Python's strptime rules and give a real date",
		.compile = DqCompileStrftime, .eval = DqEvalStrftime,
	},
	{0}
};
