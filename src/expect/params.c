/*-------------------------------------------------------------------------
 *
 * params.c
 *	  Reading the parameters of expectations: the typed readers the kinds
 *	  check their parameters with, the parameters every kind accepts
 *	  (result_format, mostly, cdc_operations, ...), and the canonical form
 *	  of parameters that name relations and types.
 *
 * Errors name the parameter and the kind, with SQLSTATE 22023 and a hint
 * showing a valid value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/varlena.h"

#include "base/catalog.h"
#include "base/json_build.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* parameters every kind accepts */
static const char *const DqCommonParams[] = {
	"result_format", "catch_exceptions", "meta", "include_config",
	"cdc_operations", NULL
};

/* ---------------------------------------------------------------------
 * Typed readers
 * ---------------------------------------------------------------------
 */

/* The member key of params, or NULL. */
JsonbValue *
DqParam(Jsonb *params, const char *key)
{
	return DqJsonbGet(&params->root, key);
}

/* Is a parameter absent or JSON null? */
bool
DqParamIsNull(JsonbValue *v)
{
	return v == NULL || v->type == jbvNull;
}

/* A scalar parameter as text (string, number or boolean). */
char *
DqParamText(const DqKindDef *def, const char *key, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter \"%s\" of %s must be a string, number or boolean",
							key, def->name),
					 errhint("Pass a JSON scalar, for example {\"%s\": 10}.", key)));
	}
	return NULL;				/* keep compiler quiet */
}

/* A boolean parameter, dflt when absent. */
bool
DqParamBool(const DqKindDef *def, Jsonb *params, const char *key, bool dflt)
{
	JsonbValue *v = DqParam(params, key);

	if (DqParamIsNull(v))
		return dflt;
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" of %s must be a boolean", key, def->name),
				 errhint("Pass true or false.")));
	return v->val.boolean;
}

/* A non-negative integer parameter; absent gives -1. */
int32
DqParamLength(const DqKindDef *def, Jsonb *params, const char *key)
{
	JsonbValue *v = DqParam(params, key);
	Numeric		n;

	if (DqParamIsNull(v))
		return -1;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" of %s must be a number", key, def->name),
				 errhint("Pass a non-negative integer.")));
	n = v->val.numeric;
	if (numeric_is_nan(n) || numeric_is_inf(n) ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
										  DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
															  Int32GetDatum(0)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(0)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(PG_INT32_MAX)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" of %s must be a non-negative integer", key, def->name),
				 errdetail("The value given was %s.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)))),
				 errhint("Lengths are counted in characters.")));
	return DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(n)));
}

/*
 * The required parameter "value" of a kind counting rows or columns, a
 * non-negative integer; the hint shows example.
 */
int32
DqParamCount(DqRule *r, int example)
{
	int32		v = DqParamLength(r->def, r->params, "value");

	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs parameter \"value\"", r->def->name),
				 errhint("Pass for example {\"value\": %d}.", example)));
	return v;
}

/* The elements of an array parameter (NULL elements as NULL pointers). */
List *
DqParamArray(const DqKindDef *def, Jsonb *params, const char *key, bool required)
{
	JsonbValue *v = DqParam(params, key);
	List	   *out = NIL;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (DqParamIsNull(v))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs parameter \"%s\"", def->name, key),
					 errhint("Pass it in params, for example {\"%s\": [\"a\", \"b\"]}.", key)));
		return NIL;
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" of %s must be a JSON array", key, def->name),
				 errhint("Pass for example {\"%s\": [\"a\", \"b\"]}.", key)));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type == jbvNull)
			out = lappend(out, NULL);
		else
			out = lappend(out, DqParamText(def, key, &elem));
	}
	return out;
}

/*
 * The elements of the JSON array arr (parameter key of r) as C strings;
 * ERROR "<key> of <kind> must <what>" with hint for one that is not a
 * string.
 */
List *
DqParamStrings(DqRule *r, JsonbContainer *arr, const char *key,
			   const char *what, const char *hint)
{
	List	   *out = NIL;
	uint32		n = JsonContainerSize(arr);
	uint32		i;

	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);

		if (elem->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s of %s must %s", key, r->def->name, what),
					 errhint("%s", hint)));
		out = lappend(out, pnstrdup(elem->val.string.val, elem->val.string.len));
	}
	return out;
}

/*
 * A parameter the kind needs, of JSON type type (jbvArray or jbvObject: a
 * JSON array or object; jbvBinary: either); ERROR "<kind> needs <key> as
 * <what>" with hint when it is absent, null or of another type.
 */
JsonbValue *
DqParamNeeded(DqRule *r, const char *key, enum jbvType type, const char *what,
			  const char *hint)
{
	JsonbValue *v = DqParam(r->params, key);
	bool		ok;

	if (DqParamIsNull(v))
		ok = false;
	else if (type == jbvArray || type == jbvObject)
		ok = v->type == jbvBinary &&
			(type == jbvArray ? JsonContainerIsArray(v->val.binary.data) :
			 JsonContainerIsObject(v->val.binary.data));
	else
		ok = v->type == type;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs %s as %s", r->def->name, key, what),
				 errhint("%s", hint)));
	return v;
}

/* A parameter the kind needs, as text; ERROR when it is absent. */
char *
DqRequiredText(DqRule *r, const char *key)
{
	JsonbValue *v = DqParam(r->params, key);

	if (DqParamIsNull(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs parameter \"%s\"", r->def->name, key),
				 errhint("%s takes: %s.", r->def->name, DqKindParamList(r->def))));
	return DqParamText(r->def, key, v);
}

/*
 * match_on of the list kinds: "any" (the default) or "all" of the
 * patterns must match; returns whether it is "all".
 */
bool
DqParseMatchAll(const DqKindDef *def, Jsonb *params)
{
	JsonbValue *m = DqParam(params, "match_on");
	char	   *s;

	if (DqParamIsNull(m))
		return false;
	s = DqParamText(def, "match_on", m);
	if (strcmp(s, "all") == 0)
		return true;
	if (strcmp(s, "any") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("match_on must be \"any\" or \"all\""),
				 errdetail("The value given was \"%s\".", s),
				 errhint("Use \"any\" (the default) or \"all\".")));
	return false;
}

/* ---------------------------------------------------------------------
 * Parameters every kind accepts
 * ---------------------------------------------------------------------
 */

/* ERROR on parameters the kind does not know. */
void
DqCheckParamNames(const DqKindDef *def, Jsonb *params)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(params))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object"),
				 errhint("Pass for example '{\"min_value\": 0}'.")));
	it = JsonbIteratorInit(&params->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		int			i;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; def->params[i] != NULL; i++)
			if (strcmp(def->params[i], key) == 0)
				known = true;
		for (i = 0; DqCommonParams[i] != NULL; i++)
			if (strcmp(DqCommonParams[i], key) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized parameter \"%s\" for %s", key, def->name),
					 errhint("%s takes: %s.", def->name, DqKindParamList(def))));
	}
	(void) DqCdcOperations(params);
}

/*
 * The changes change validation checks an expectation on: the optional
 * parameter "cdc_operations", an array of "INSERT", "UPDATE" and "DELETE"
 * (any case), default INSERT and UPDATE.  A DELETE is checked on the old
 * row, which the WAL carries whole only with REPLICA IDENTITY FULL.
 */
int
DqCdcOperations(Jsonb *params)
{
	JsonbValue *v = DqJsonbGet(&params->root, "cdc_operations");
	int			ops = 0;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v == NULL)
		return DQ_CDC_INSERT | DQ_CDC_UPDATE;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdc_operations must be a JSON array"),
				 errhint("Pass for example '{\"cdc_operations\": [\"INSERT\", \"UPDATE\", \"DELETE\"]}'.")));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		char	   *op;

		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cdc_operations must contain strings"),
					 errhint("The operations are INSERT, UPDATE and DELETE.")));
		op = pnstrdup(elem.val.string.val, elem.val.string.len);

		if (pg_strcasecmp(op, "insert") == 0)
			ops |= DQ_CDC_INSERT;
		else if (pg_strcasecmp(op, "update") == 0)
			ops |= DQ_CDC_UPDATE;
		else if (pg_strcasecmp(op, "delete") == 0)
			ops |= DQ_CDC_DELETE;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cdc_operations contains \"%s\"", op),
					 errhint("The operations are INSERT, UPDATE and DELETE.")));
	}
	return ops;
}

/* "a, b, c" list of a kind's parameters, for hints. */
char *
DqKindParamList(const DqKindDef *def)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; def->params[i] != NULL; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", def->params[i]);
	return buf.data;
}

/*
 * GE's ignore_row_if of a pair (both_values_are_missing, the default,
 * either_value_is_missing, neither) or multicolumn kind
 * (all_values_are_missing, the default, any_value_is_missing, never).
 */
DqIgnoreRow
DqParseIgnoreRow(const DqKindDef *def, Jsonb *params)
{
	JsonbValue *v = DqParam(params, "ignore_row_if");
	bool		pair = (def->ncols == 2);
	char	   *s;

	if (DqParamIsNull(v))
		return DQ_IGNORE_ALL_MISSING;
	s = DqParamText(def, "ignore_row_if", v);
	if (strcmp(s, pair ? "both_values_are_missing" : "all_values_are_missing") == 0)
		return DQ_IGNORE_ALL_MISSING;
	if (strcmp(s, pair ? "either_value_is_missing" : "any_value_is_missing") == 0)
		return DQ_IGNORE_ANY_MISSING;
	if (strcmp(s, "never") == 0 || (pair && strcmp(s, "neither") == 0))
		return DQ_IGNORE_NEVER;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized ignore_row_if \"%s\" for %s", s, def->name),
			 errhint(pair ? "Use \"both_values_are_missing\" (the default), \"either_value_is_missing\" or \"neither\"." :
					 "Use \"all_values_are_missing\" (the default), \"any_value_is_missing\" or \"never\".")));
	return DQ_IGNORE_ALL_MISSING;	/* keep compiler quiet */
}

/* GE's result formats by name */
static const struct
{
	const char *name;
	DqResultFormat format;
}			DqResultFormats[] =
{
	{"BOOLEAN_ONLY", DQ_RF_BOOLEAN_ONLY},
	{"BASIC", DQ_RF_BASIC},
	{"SUMMARY", DQ_RF_SUMMARY},
	{"COMPLETE", DQ_RF_COMPLETE}
};

/* GE's result_format: a name, or an object with the name and a count. */
void
DqParseResultFormat(Jsonb *params, DqCheckState *cs)
{
	JsonbValue *v;
	char	   *name = NULL;

	cs->format = DQ_RF_BASIC;
	cs->partial_max = 20;
	v = DqJsonbGet(&params->root, "result_format");
	if (v == NULL || v->type == jbvNull)
		return;
	if (v->type == jbvString)
		name = pnstrdup(v->val.string.val, v->val.string.len);
	else if (v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data))
	{
		JsonbValue *f;
		JsonbValue *c;

		f = DqJsonbGet(v->val.binary.data, "result_format");
		if (f != NULL && f->type == jbvString)
			name = pnstrdup(f->val.string.val, f->val.string.len);
		c = DqJsonbGet(v->val.binary.data, "partial_unexpected_count");
		if (c != NULL)
		{
			int64		n = -1;

			if (c->type == jbvNumeric)
				n = DatumGetInt64(DirectFunctionCall1(numeric_int8,
													  NumericGetDatum(c->val.numeric)));
			if (n < 0 || n > DQ_COMPLETE_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("partial_unexpected_count must be an integer between 0 and %d",
								DQ_COMPLETE_MAX),
						 errhint("The default is 20.")));
			cs->partial_max = (int) n;
		}
		if (name == NULL)
			name = "BASIC";
	}
	for (int i = 0; i < lengthof(DqResultFormats); i++)
	{
		if (name != NULL && strcmp(name, DqResultFormats[i].name) == 0)
		{
			cs->format = DqResultFormats[i].format;
			return;
		}
	}
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("result_format must be a string or an object"),
				 errhint("Use \"BOOLEAN_ONLY\", \"BASIC\", \"SUMMARY\" or \"COMPLETE\".")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized result_format \"%s\"", name),
			 errhint("Use \"BOOLEAN_ONLY\", \"BASIC\", \"SUMMARY\" or \"COMPLETE\".")));
}

/*
 * The effective mostly: the argument when given, else params' "mostly",
 * else 1.  *has_mostly tells whether one was given (GE then shows it).
 */
double
DqResolveMostly(Jsonb *params, bool has_arg, double arg, bool *has_mostly)
{
	double		mostly = has_arg ? arg : 1.0;

	*has_mostly = has_arg;
	if (!has_arg)
	{
		JsonbValue *v = DqJsonbGet(&params->root, "mostly");

		if (v != NULL && v->type != jbvNull)
		{
			if (v->type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("mostly must be a number between 0 and 1"),
						 errhint("Pass for example {\"mostly\": 0.95}.")));
			mostly = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														NumericGetDatum(v->val.numeric)));
			*has_mostly = true;
		}
	}
	if (*has_mostly && !(mostly >= 0.0 && mostly <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mostly must be between 0 and 1"),
				 errdetail("The value given was %g.", mostly),
				 errhint("mostly is the fraction of non-NULL rows that must pass, for example 0.95.")));
	return mostly;
}

/* ---------------------------------------------------------------------
 * Names of relations and types
 * ---------------------------------------------------------------------
 */

/*
 * Names of relations and types in the parameters of an expectation are
 * resolved with the search_path of whoever defines it, but evaluated with
 * search_path pinned to pg_catalog (and pg_temp): a name that would not
 * find the same object there is replaced by its schema-qualified form, so
 * that the stored expectation means what its author meant and no object
 * created later elsewhere can stand in for it.  Names that do not resolve
 * are left as they are (compiling the rule reports them).
 */
static char *
DqCanonicalRelation(const char *name)
{
	List	   *qname;
	Oid			mine;
	Oid			pinned;
	int			nest;

	qname = stringToQualifiedNameList(name);
	mine = RangeVarGetRelid(makeRangeVarFromNameList(qname), NoLock, true);
	if (!OidIsValid(mine))
		return NULL;
	nest = NewGUCNestLevel();
	DqSetLocalGuc("search_path", "pg_catalog, pg_temp");
	pinned = RangeVarGetRelid(makeRangeVarFromNameList(qname), NoLock, true);
	AtEOXact_GUC(false, nest);
	if (pinned == mine)
		return NULL;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(mine)),
									  get_rel_name(mine));
}

static char *
DqCanonicalType(const char *name)
{
	Oid			mine;
	Oid			pinned = InvalidOid;
	int32		typmod;
	int32		typmod2 = -1;
	int			nest;

	parseTypeString(name, &mine, &typmod, true);
	if (!OidIsValid(mine))
		return NULL;
	nest = NewGUCNestLevel();
	DqSetLocalGuc("search_path", "pg_catalog, pg_temp");
	parseTypeString(name, &pinned, &typmod2, true);
	AtEOXact_GUC(false, nest);
	if (pinned == mine && typmod2 == typmod)
		return NULL;
	return format_type_extended(mine, typmod, FORMAT_TYPE_TYPEMOD_GIVEN |
								FORMAT_TYPE_FORCE_QUALIFY);
}

/* params with member "key" set to the JSON text "json" */
static Jsonb *
DqParamsWith(Jsonb *params, const char *key, const char *json)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	escape_json(&buf, key);
	appendStringInfo(&buf, ": %s}", json);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(params),
											  DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(buf.data))));
}

/* A list of type names with each in its canonical form, as JSON text. */
static char *
DqCanonicalTypeList(const DqKindDef *def, Jsonb *params, const char *key,
					bool *changed)
{
	List	   *names = DqParamArray(def, params, key, false);
	ListCell   *lc;
	StringInfoData buf;

	*changed = false;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, names)
	{
		char	   *canon = lfirst(lc) ? DqCanonicalType(lfirst(lc)) : NULL;

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		if (lfirst(lc) == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, canon ? canon : (char *) lfirst(lc));
		*changed |= (canon != NULL);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * The parameters of an expectation with the relation and type names they
 * hold (the parameter its kind's row names, named_param) in a form that
 * means the same under the pinned search_path (see DqCanonicalRelation);
 * call with the definer's search_path in effect.
 */
Jsonb *
DqCanonicalParams(const char *kind, Jsonb *params)
{
	const DqKindDef *def = DqLookupKind(kind);
	const char *key = def->named_param;
	JsonbValue *v;
	char	   *canon;
	StringInfoData buf;

	if (!JB_ROOT_IS_OBJECT(params) || def->named == DQ_NAMES_NOTHING)
		return params;
	v = DqParam(params, key);
	if (def->named == DQ_NAMES_TYPE_LIST)
	{
		bool		changed;
		char	   *list;

		if (DqParamIsNull(v) || v->type != jbvBinary ||
			!JsonContainerIsArray(v->val.binary.data))
			return params;
		list = DqCanonicalTypeList(def, params, key, &changed);
		return changed ? DqParamsWith(params, key, list) : params;
	}
	if (v == NULL || v->type != jbvString)
		return params;
	canon = pnstrdup(v->val.string.val, v->val.string.len);
	canon = (def->named == DQ_NAMES_RELATION) ?
		DqCanonicalRelation(canon) : DqCanonicalType(canon);
	if (canon == NULL)
		return params;
	initStringInfo(&buf);
	escape_json(&buf, canon);
	return DqParamsWith(params, key, buf.data);
}
