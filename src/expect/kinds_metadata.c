/*-------------------------------------------------------------------------
 *
 * kinds_metadata.c
 *	  Kinds about the relation's shape -- its columns, their number and
 *	  order -- and the types of its columns.  They read no row: the outcome
 *	  is decided when the rule is compiled, from the columns as they are
 *	  then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "expect/expectations.h"
#include "expect/kinds.h"

/* JSON array text of names */
static char *
DqNamesJson(char **names, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, names[i]);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* The table has exactly value columns. */
static void
DqMetaColumnCountEqual(DqRule *r, const DqColumnSource *src, const char *column)
{
	int32		v = DqParamCount(r, 5);

	r->meta_success = (src->ncols == v);
	r->meta_result = psprintf("\"observed_value\": %d", src->ncols);
}

/* A bound of column_count_to_be_between as a double, NULL when absent. */
static JsonbValue *
DqColumnCountBound(DqRule *r, const char *key, double *bound)
{
	JsonbValue *v = DqParam(r->params, key);

	if (DqParamIsNull(v))
		return NULL;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_value and max_value of %s must be numbers", r->def->name),
				 errhint("Pass for example {\"min_value\": 2, \"max_value\": 10}.")));
	*bound = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												NumericGetDatum(v->val.numeric)));
	return v;
}

/* The number of columns lies between the bounds. */
static void
DqMetaColumnCountBetween(DqRule *r, const DqColumnSource *src, const char *column)
{
	JsonbValue *v;
	bool		slo = false;
	bool		shi = false;
	double		lo = 0;
	double		hi = 0;
	double		n = src->ncols;

	if ((v = DqParam(r->params, "strict_min")) != NULL && v->type != jbvNull)
		slo = (v->type == jbvBool && v->val.boolean);
	if ((v = DqParam(r->params, "strict_max")) != NULL && v->type != jbvNull)
		shi = (v->type == jbvBool && v->val.boolean);
	r->meta_success = true;
	if (DqColumnCountBound(r, "min_value", &lo) != NULL &&
		(slo ? !(n > lo) : !(n >= lo)))
		r->meta_success = false;
	if (DqColumnCountBound(r, "max_value", &hi) != NULL &&
		(shi ? !(n < hi) : !(n <= hi)))
		r->meta_success = false;
	r->meta_result = psprintf("\"observed_value\": %d", src->ncols);
}

/* The column named by column_name exists (at column_index, when given). */
static void
DqMetaColumnExists(DqRule *r, const DqColumnSource *src, const char *column)
{
	int32		idx = DqParamLength(r->def, r->params, "column_index");
	int			i = DqFindColumn(src, column);

	r->meta_success = (i >= 0 && (idx < 0 || idx == i));
	r->meta_result = pstrdup("");
}

/* One mismatch of the ordered list, as GE's details show it. */
static void
DqAppendMismatch(StringInfo mism, int pos, const char *expected, const char *found)
{
	appendStringInfo(mism, "%s{\"Expected Column Position\": %d, \"Expected\": ",
					 mism->len ? ", " : "", pos);
	if (expected)
		escape_json(mism, expected);
	else
		appendStringInfoString(mism, "null");
	appendStringInfoString(mism, ", \"Found\": ");
	if (found)
		escape_json(mism, found);
	else
		appendStringInfoString(mism, "null");
	appendStringInfoChar(mism, '}');
}

/* The table's columns are exactly column_list, in order. */
static void
DqMetaColumnsOrdered(DqRule *r, const DqColumnSource *src, const char *column)
{
	List	   *want = DqParamArray(r->def, r->params, "column_list", false);
	StringInfoData mism;
	int			n = Max(list_length(want), src->ncols);

	/* a null column_list: no constraint (GE) */
	r->meta_success = true;
	initStringInfo(&mism);
	if (!DqParamIsNull(DqParam(r->params, "column_list")))
	{
		for (int i = 0; i < n; i++)
		{
			const char *exp = i < list_length(want) ? list_nth(want, i) : NULL;
			const char *got = i < src->ncols ? src->names[i] : NULL;

			if (exp != NULL && got != NULL && strcmp(exp, got) == 0)
				continue;
			r->meta_success = false;
			DqAppendMismatch(&mism, i, exp, got);
		}
	}
	r->meta_result = r->meta_success ?
		psprintf("\"observed_value\": %s", DqNamesJson(src->names, src->ncols)) :
		psprintf("\"observed_value\": %s, \"details\": {\"mismatched\": [%s]}",
				 DqNamesJson(src->names, src->ncols), mism.data);
}

/* Is name one of the (text) list's elements? */
static bool
DqNameInList(const char *name, List *list)
{
	ListCell   *lc;

	foreach(lc, list)
		if (lfirst(lc) && strcmp(name, lfirst(lc)) == 0)
			return true;
	return false;
}

/*
 * The table's columns are column_set (exact_match, the default) or
 * include it.  GE's details: "mismatched" with the non-empty lists of
 * "unexpected" and "missing" columns; a null column_set is no constraint
 * without exact_match and matches no column with it.
 */
static void
DqMetaColumnsSet(DqRule *r, const DqColumnSource *src, const char *column)
{
	bool		null_set = DqParamIsNull(DqParam(r->params, "column_set"));
	List	   *want = DqParamArray(r->def, r->params, "column_set", false);
	bool		exact = DqParamBool(r->def, r->params, "exact_match", true);
	List	   *have = NIL;
	StringInfoData missing;
	StringInfoData unexpected;
	StringInfoData mism;
	ListCell   *lc;
	int			nmissing = 0;
	int			nunexpected = 0;

	initStringInfo(&missing);
	initStringInfo(&unexpected);
	for (int i = 0; i < src->ncols; i++)
		have = lappend(have, src->names[i]);
	foreach(lc, want)
	{
		if (lfirst(lc) != NULL && DqNameInList(lfirst(lc), have))
			continue;
		if (missing.len > 0)
			appendStringInfoString(&missing, ", ");
		nmissing++;
		escape_json(&missing, lfirst(lc) ? (char *) lfirst(lc) : "");
	}
	for (int i = 0; i < src->ncols; i++)
	{
		if (DqNameInList(src->names[i], want))
			continue;
		if (unexpected.len > 0)
			appendStringInfoString(&unexpected, ", ");
		nunexpected++;
		escape_json(&unexpected, src->names[i]);
	}
	r->meta_success = (nmissing == 0 && (!exact || nunexpected == 0));
	if (null_set && !exact)
	{
		r->meta_success = true;
		r->meta_result = psprintf("\"observed_value\": %s",
								  DqNamesJson(src->names, src->ncols));
		return;
	}
	initStringInfo(&mism);
	if (nunexpected)
		appendStringInfo(&mism, "\"unexpected\": [%s]", unexpected.data);
	if (nmissing)
		appendStringInfo(&mism, "%s\"missing\": [%s]", nunexpected ? ", " : "",
						 missing.data);
	r->meta_result = psprintf("\"observed_value\": %s, \"details\": {\"mismatched\": {%s}}",
							  DqNamesJson(src->names, src->ncols), mism.data);
}

/*
 * A type name as GE writes PostgreSQL types, by their SQLAlchemy class
 * (DOUBLE_PRECISION): an underscore stands for a space when the name does
 * not parse as it is.  ERROR (the parser's) when neither form names a type.
 */
static Oid
DqGeTypeName(const char *given)
{
	char	   *name = pstrdup(given);
	Oid			typid;
	int32		typmod;

	parseTypeString(name, &typid, &typmod, true);
	if (OidIsValid(typid))
		return typid;
	for (char *p = name; *p; p++)
		if (*p == '_')
			*p = ' ';
	parseTypeString(name, &typid, &typmod, true);
	if (!OidIsValid(typid))
		parseTypeString(given, &typid, &typmod, false);
	return typid;
}

/* The column's type is one of names (domains match their base type too). */
static void
DqMetaTypeIn(DqRule *r, List *names)
{
	Oid			have = r->cols[0].typid;
	ListCell   *lc;

	foreach(lc, names)
	{
		Oid			typid;

		if (lfirst(lc) == NULL)
			continue;
		typid = DqGeTypeName(lfirst(lc));
		if (typid == have || typid == getBaseType(have))
			r->meta_success = true;
	}
	r->meta_result = psprintf("\"observed_value\": \"%s\"", format_type_be(have));
}

static void
DqMetaOfType(DqRule *r, const DqColumnSource *src, const char *column)
{
	r->meta_success = false;
	DqMetaTypeIn(r, list_make1(DqRequiredText(r, "type_")));
}

static void
DqMetaInTypeList(DqRule *r, const DqColumnSource *src, const char *column)
{
	/* a null type_list: no constraint (GE) */
	r->meta_success = DqParamIsNull(DqParam(r->params, "type_list"));
	DqMetaTypeIn(r, DqParamArray(r->def, r->params, "type_list", false));
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqMetadataKinds[] = {
	{
		.name = "expect_table_column_count_to_equal",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("value"), .scope = DQ_SCOPE_METADATA,
		.description = "the table has exactly value columns",
		.metadata = DqMetaColumnCountEqual,
	},
	{
		.name = "expect_table_column_count_to_be_between",
		.ncols = 0, .params = DQ_PARAMS("min_value", "max_value", "strict_min", "strict_max"),
		.scope = DQ_SCOPE_METADATA,
		.description = "the number of columns lies between the bounds",
		.metadata = DqMetaColumnCountBetween,
	},
	{
		.name = "expect_column_to_exist",
		.ncols = 0, .params = DQ_PARAMS("column_index"), .scope = DQ_SCOPE_METADATA,
		.flags = DQ_KIND_NAMES_COLUMN,
		.description = "the column named by column_name exists (at column_index, 0-based, when given)",
		.metadata = DqMetaColumnExists,
	},
	{
		.name = "expect_table_columns_to_match_ordered_list",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("column_list"), .scope = DQ_SCOPE_METADATA,
		.description = "the table's columns are exactly column_list, in order",
		.metadata = DqMetaColumnsOrdered,
	},
	{
		.name = "expect_table_columns_to_match_set",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("column_set", "exact_match"),
		.scope = DQ_SCOPE_METADATA,
		.description = "the table's columns are column_set (exact_match, the default) or include it",
		.metadata = DqMetaColumnsSet,
	},
	{
		.name = "expect_column_values_to_be_of_type",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("type_"), .scope = DQ_SCOPE_METADATA,
		.flags = DQ_KIND_LISTED_AS_COLUMN,
		.description = "the column's type is type_ (a PostgreSQL type name; domains match their base type too)",
		.named_param = "type_", .named = DQ_NAMES_TYPE,
		.metadata = DqMetaOfType,
	},
	{
		.name = "expect_column_values_to_be_in_type_list",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("type_list"), .scope = DQ_SCOPE_METADATA,
		.flags = DQ_KIND_LISTED_AS_COLUMN,
		.description = "the column's type is one of type_list",
		.named_param = "type_list", .named = DQ_NAMES_TYPE_LIST,
		.metadata = DqMetaInTypeList,
	},
	{0}
};
