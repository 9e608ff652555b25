/*-------------------------------------------------------------------------
 *
 * expectations.c
 *	  Row-level ("column map") expectations with Great Expectations'
 *	  names, parameters and result semantics, and dq.check(), which
 *	  evaluates one of them ad hoc.
 *
 * An expectation is compiled once into a DqRule: its parameters are
 * checked and converted to the column's type (a bound that does not parse
 * raises the type's own 22P02), comparison functions are looked up, and
 * regular expressions are compiled (an invalid one raises 2201B) before
 * any row is read.  Evaluation is then plain C on Datums, the same code
 * whether rows come from a scan or, later, from logical decoding.
 *
 * Counting follows GE: NULL rows are "missing", never tested and never
 * unexpected, except for not_be_null / be_null, which count the NULLs (or
 * non-NULLs) themselves over every row.  success is
 * (n - unexpected) / n >= mostly with n the non-missing rows, computed in
 * float8, and true when n = 0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relation.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "parser/parse_coerce.h"
#include "parser/parse_oper.h"
#include "parser/parser.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "nodes/value.h"
#include "miscadmin.h"
#include "common/hashfn.h"
#include "regex/regex.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/guc.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "base/catalog.h"
#include "base/compat.h"
#include "expect/expectations.h"
#include "base/typeinfo.h"
#include "base/subxact.h"
#include "base/json_build.h"
#include "base/numeric_util.h"
#include "expect/regex_fast.h"
#include "expect/ge_distribution.h"
#include "expect/ge_kinds.h"
#include "expect/governance.h"
#include "base/text_patterns.h"

PG_FUNCTION_INFO_V1(dq_expectation_kinds);

/* parameters every kind accepts */
static const char *const DqCommonParams[] = {
	"result_format", "catch_exceptions", "meta", "include_config",
	"cdc_operations", NULL
};

#define P(...) ((const char *const[]) {__VA_ARGS__, NULL})

/*
 * The catalogue of row-level kinds: name, number of columns it reads
 * (1: column; 2: column_A/column_B; -1: column_list), its parameters
 * (required ones first, nreq of them) and a one-line description.
 */
static const DqKindDef DqKinds[] = {
	{"expect_column_values_to_not_be_null", DQ_K_NOT_NULL, 1, 0, P("mostly"),
	"the column has no NULLs"},
	{"expect_column_values_to_be_null", DQ_K_NULL, 1, 0, P("mostly"),
	"the column is NULL everywhere"},
	{"expect_column_values_to_be_between", DQ_K_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max", "mostly"),
	"values lie between min_value and max_value (either may be absent)"},
	{"expect_column_values_to_be_in_set", DQ_K_IN_SET, 1, 1, P("value_set", "mostly"),
	"values belong to value_set"},
	{"expect_column_values_to_not_be_in_set", DQ_K_NOT_IN_SET, 1, 1, P("value_set", "mostly"),
	"values do not belong to value_set"},
	{"expect_column_values_to_match_regex", DQ_K_REGEX, 1, 1, P("regex", "mostly"),
	"values (as text) match the regular expression"},
	{"expect_column_values_to_not_match_regex", DQ_K_NOT_REGEX, 1, 1, P("regex", "mostly"),
	"values (as text) do not match the regular expression"},
	{"expect_column_values_to_match_regex_list", DQ_K_REGEX_LIST, 1, 1,
		P("regex_list", "match_on", "mostly"),
	"values match any (match_on = any, the default) or all of the regular expressions"},
	{"expect_column_values_to_not_match_regex_list", DQ_K_NOT_REGEX_LIST, 1, 1,
		P("regex_list", "mostly"),
	"values match none of the regular expressions"},
	{"expect_column_values_to_match_like_pattern", DQ_K_LIKE, 1, 1, P("like_pattern", "mostly"),
	"values (as text) match the LIKE pattern"},
	{"expect_column_values_to_not_match_like_pattern", DQ_K_NOT_LIKE, 1, 1, P("like_pattern", "mostly"),
	"values (as text) do not match the LIKE pattern"},
	{"expect_column_value_lengths_to_be_between", DQ_K_LEN_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max", "mostly"),
	"value lengths in characters lie between min_value and max_value"},
	{"expect_column_value_lengths_to_equal", DQ_K_LEN_EQUAL, 1, 1, P("value", "mostly"),
	"value lengths in characters equal value"},
	{"expect_column_values_to_be_parseable_as", DQ_K_PARSEABLE, 1, 1, P("type", "mostly"),
	"values (as text) parse as the named PostgreSQL type (GE's dateutil_parseable, renamed)"},
	{"expect_column_pair_values_to_be_equal", DQ_K_PAIR_EQUAL, 2, 2,
		P("column_A", "column_B", "ignore_row_if", "mostly"),
	"column_A equals column_B in every row"},
	{"expect_column_pair_values_a_to_be_greater_than_b", DQ_K_PAIR_GT, 2, 2,
		P("column_A", "column_B", "or_equal", "ignore_row_if", "mostly"),
	"column_A is greater than (or_equal: at least) column_B in every row"},
	{"expect_multicolumn_sum_to_equal", DQ_K_MULTI_SUM, -1, 2,
		P("column_list", "sum_total", "ignore_row_if", "mostly"),
	"the columns of column_list add up to sum_total in every row"},
	{"expect_select_column_values_to_be_unique_within_record", DQ_K_UNIQUE_WITHIN, -1, 1,
		P("column_list", "ignore_row_if", "mostly"),
	"the columns of column_list hold different values in every row"},

	{"expect_column_min_to_be_between", DQ_K_MIN_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the column's smallest value lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_max_to_be_between", DQ_K_MAX_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the column's largest value lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_mean_to_be_between", DQ_K_MEAN_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the mean of the numeric column lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_median_to_be_between", DQ_K_MEDIAN_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the median (percentile_cont(0.5)) of the numeric column lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_sum_to_be_between", DQ_K_SUM_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the sum of the numeric column lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_stdev_to_be_between", DQ_K_STDEV_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the sample standard deviation of the numeric column lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_unique_value_count_to_be_between", DQ_K_UNIQUE_COUNT_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the number of distinct non-NULL values lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_proportion_of_unique_values_to_be_between", DQ_K_UNIQUE_PROPORTION_BETWEEN, 1, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"distinct non-NULL values / non-NULL values lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_column_max_to_be_recent", DQ_K_MAX_RECENT, 1, 1, P("max_age"),
	"the latest date or timestamp is within max_age (an interval) of now", DQ_SCOPE_AGGREGATE},
	{"expect_table_row_count_to_be_between", DQ_K_ROW_COUNT_BETWEEN, 0, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the number of rows lies between the bounds", DQ_SCOPE_AGGREGATE},
	{"expect_table_row_count_to_equal", DQ_K_ROW_COUNT_EQUAL, 0, 1, P("value"),
	"the table has exactly value rows", DQ_SCOPE_AGGREGATE},
	{"expect_table_column_count_to_equal", DQ_K_COLUMN_COUNT_EQUAL, 0, 1, P("value"),
	"the table has exactly value columns", DQ_SCOPE_METADATA},
	{"expect_column_to_exist", DQ_K_COLUMN_EXISTS, 0, 0, P("column_index"),
	"the column named by column_name exists (at column_index, 0-based, when given)", DQ_SCOPE_METADATA},
	{"expect_table_columns_to_match_ordered_list", DQ_K_COLUMNS_ORDERED, 0, 1, P("column_list"),
	"the table's columns are exactly column_list, in order", DQ_SCOPE_METADATA},
	{"expect_table_columns_to_match_set", DQ_K_COLUMNS_SET, 0, 1, P("column_set", "exact_match"),
	"the table's columns are column_set (exact_match, the default) or include it", DQ_SCOPE_METADATA},
	{"expect_column_distinct_values_to_be_in_set", DQ_K_DISTINCT_IN_SET, 1, 1, P("value_set"),
	"every distinct non-NULL value belongs to value_set", DQ_SCOPE_AGGREGATE},
	{"expect_column_distinct_values_to_contain_set", DQ_K_DISTINCT_CONTAIN_SET, 1, 1, P("value_set"),
	"the distinct non-NULL values include every value of value_set", DQ_SCOPE_AGGREGATE},
	{"expect_column_distinct_values_to_equal_set", DQ_K_DISTINCT_EQUAL_SET, 1, 1, P("value_set"),
	"the distinct non-NULL values are exactly value_set", DQ_SCOPE_AGGREGATE},
	{"expect_column_quantile_values_to_be_between", DQ_K_QUANTILES_BETWEEN, 1, 1, P("quantile_ranges"),
	"each quantile (percentile_disc) lies in its range: {\"quantiles\": [...], \"value_ranges\": [[min, max], ...]}",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_values_to_be_unique", DQ_K_UNIQUE, 1, 0, P("mostly"),
	"no non-NULL value occurs twice; every copy of a duplicated value is unexpected (GE's rule)",
	DQ_SCOPE_GROUPED},
	{"expect_compound_columns_to_be_unique", DQ_K_COMPOUND_UNIQUE, -1, 1,
		P("column_list", "ignore_row_if", "mostly"),
	"no combination of the columns occurs twice; rows whose columns are all NULL are missing (ignore_row_if)",
	DQ_SCOPE_GROUPED},
	{"expect_column_values_to_exist_in", DQ_K_EXIST_IN, 1, 2, P("to_table", "to_column", "mostly"),
	"every non-NULL value occurs in to_column of to_table (referential integrity, as dbt's relationships)",
	DQ_SCOPE_GROUPED},
	{"expect_column_values_to_be_increasing", DQ_K_INCREASING, 1, 1, P("order_by", "strictly", "mostly"),
	"each non-NULL value is at least (strictly: greater than) the previous one in order_by order",
	DQ_SCOPE_GROUPED},
	{"expect_column_values_to_be_decreasing", DQ_K_DECREASING, 1, 1, P("order_by", "strictly", "mostly"),
	"each non-NULL value is at most (strictly: less than) the previous one in order_by order",
	DQ_SCOPE_GROUPED},
	{"expect_column_most_common_value_to_be_in_set", DQ_K_MOST_COMMON_IN_SET, 1, 1,
		P("value_set", "ties_okay"),
	"the most common non-NULL value (all of them when tied) belongs to value_set; a tie fails unless ties_okay",
	DQ_SCOPE_QUERY},
	{"expect_table_row_count_to_equal_other_table", DQ_K_ROW_COUNT_OTHER, 0, 1, P("other_table_name"),
	"the table has as many rows as other_table_name", DQ_SCOPE_QUERY},
	{"expect_column_values_to_be_of_type", DQ_K_OF_TYPE, 1, 1, P("type_"),
	"the column's type is type_ (a PostgreSQL type name; domains match their base type too)",
	DQ_SCOPE_METADATA},
	{"expect_column_values_to_be_in_type_list", DQ_K_IN_TYPE_LIST, 1, 1, P("type_list"),
	"the column's type is one of type_list", DQ_SCOPE_METADATA},
	{"expect_row_condition", DQ_K_ROW_CONDITION, 0, 1, P("row_condition", "mostly"),
	"every row satisfies row_condition, one SQL boolean expression over the row's columns; rows where it is NULL are missing",
	DQ_SCOPE_GROUPED},
	{"expect_column_values_to_be_json_parseable", DQ_K_JSON_PARSEABLE, 1, 0, P("mostly"),
	"values of a string column parse as JSON (json and jsonb columns always do)"},
	{"expect_column_values_to_be_dateutil_parseable", DQ_K_DATEUTIL_PARSEABLE, 1, 0, P("mostly"),
	"values of a string column parse as a date and time (PostgreSQL's timestamp input, not dateutil's)"},
	{"expect_column_values_to_match_json_schema", DQ_K_JSON_SCHEMA, 1, 1, P("json_schema", "mostly"),
	"values are JSON documents valid under json_schema (a subset of JSON Schema: see docs/expectations.md)"},
	{"expect_column_values_to_match_like_pattern_list", DQ_K_LIKE_LIST, 1, 1,
		P("like_pattern_list", "match_on", "mostly"),
	"values (as text) match any (match_on = any, the default) or all of the LIKE patterns"},
	{"expect_column_values_to_not_match_like_pattern_list", DQ_K_NOT_LIKE_LIST, 1, 1,
		P("like_pattern_list", "mostly"),
	"values (as text) match none of the LIKE patterns"},
	{"expect_column_values_to_match_strftime_format", DQ_K_STRFTIME, 1, 1, P("strftime_format", "mostly"),
	"values of a string column match strftime_format by Python's strptime rules and give a real date"},
	{"expect_column_pair_values_to_be_in_set", DQ_K_PAIR_IN_SET, 2, 3,
		P("column_A", "column_B", "value_pairs_set", "ignore_row_if", "mostly"),
	"each (column_A, column_B) pair is one of value_pairs_set"},
	{"expect_multicolumn_values_to_be_unique", DQ_K_MULTI_UNIQUE, -1, 1,
		P("column_list", "ignore_row_if", "mostly"),
	"the columns of column_list hold different values in every row (GE's older name of ..._unique_within_record)"},
	{"expect_table_column_count_to_be_between", DQ_K_COLUMN_COUNT_BETWEEN, 0, 0,
		P("min_value", "max_value", "strict_min", "strict_max"),
	"the number of columns lies between the bounds", DQ_SCOPE_METADATA},
	{"expect_column_value_z_scores_to_be_less_than", DQ_K_ZSCORE, 1, 1,
		P("threshold", "double_sided", "mostly"),
	"each value's z-score (sample standard deviation) is below threshold, in absolute value when double_sided (the default)",
	DQ_SCOPE_GROUPED},
	{"unexpected_rows_expectation", DQ_K_UNEXPECTED_ROWS, 0, 1,
		P("unexpected_rows_query", "description"),
	"unexpected_rows_query ({batch} stands for the table) returns no row; it runs as the expectation's owner",
	DQ_SCOPE_QUERY},
	{"expect_column_kl_divergence_to_be_less_than", DQ_K_KL_DIVERGENCE, 1, 0,
		P("partition_object", "threshold", "tail_weight_holdout", "internal_weight_holdout", "bucketize_data"),
	"the Kullback-Leibler divergence of the column from partition_object (categorical or bins) is at most threshold",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_chisquare_test_p_value_to_be_greater_than", DQ_K_CHISQUARE, 1, 1,
		P("partition_object", "p", "tail_weight_holdout"),
	"the chi-square test of the column's values against the categorical partition_object gives a p-value above p",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_bootstrapped_ks_test_p_value_to_be_greater_than", DQ_K_BOOTSTRAPPED_KS, 1, 1,
		P("partition_object", "p", "bootstrap_samples", "bootstrap_sample_size"),
	"bootstrapped Kolmogorov-Smirnov tests of the column against the continuous partition_object pass more often than p",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than", DQ_K_PARAMETERIZED_KS, 1, 2,
		P("distribution", "params", "p_value"),
	"the Kolmogorov-Smirnov test of the column against distribution (norm, beta, gamma, uniform, chi2, expon) with params gives a p-value of at least p_value",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_pair_cramers_phi_value_to_be_less_than", DQ_K_CRAMERS_PHI, 2, 2,
		P("column_A", "column_B", "bins_A", "bins_B", "n_bins_A", "n_bins_B", "threshold"),
	"Cramer's phi of column_A and column_B (binned) is at most threshold (0.1 by default): the columns are independent",
	DQ_SCOPE_AGGREGATE},
	{"expect_column_to_be_readable_only_by", DQ_K_READABLE_ONLY_BY, 1, 1,
		P("allowed_roles", "include_superusers", "include_owner"),
	"no role outside allowed_roles (and their members; superusers and the table's owner unless include_superusers / include_owner) can SELECT the column (governance of sensitive columns)",
	DQ_SCOPE_METADATA},
	{NULL}
};

#undef P

static bool DqIsStringType(Oid typid);

/* ---------------------------------------------------------------------
 * Reading parameters out of jsonb
 * ---------------------------------------------------------------------
 */

static JsonbValue *
DqParam(Jsonb *params, const char *key)
{
	return DqJsonbGet(&params->root, key);
}

static bool
DqParamIsNull(JsonbValue *v)
{
	return v == NULL || v->type == jbvNull;
}

/* A scalar parameter as text (string, number or boolean). */
static char *
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

static bool
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
static int32
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

/* The elements of an array parameter (NULL elements as NULL pointers). */
static List *
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

/* ERROR on parameters the kind does not know. */
static void
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

/* ---------------------------------------------------------------------
 * The catalogue
 * ---------------------------------------------------------------------
 */

/*
 * Look a kind up by name; ERROR with the closest name when unknown.
 */
const DqKindDef *
DqLookupKind(const char *name)
{
	int			i;
	int			best = -1;
	int			bestdist = INT_MAX;

	for (i = 0; DqKinds[i].name != NULL; i++)
	{
		int			d;

		if (strcmp(DqKinds[i].name, name) == 0)
			return &DqKinds[i];
		d = varstr_levenshtein(name, strlen(name), DqKinds[i].name,
							   strlen(DqKinds[i].name), 1, 1, 1, true);
		if (d < bestdist)
		{
			bestdist = d;
			best = i;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized expectation kind \"%s\"", name),
			 best >= 0 ? errhint("Did you mean \"%s\"?  SELECT * FROM dq.expectation_kinds lists them all.",
								 DqKinds[best].name) : 0));
	return NULL;				/* keep compiler quiet */
}

/*
 * dq.expectation_kinds(): the catalogue as rows.
 */
Datum
dq_expectation_kinds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; DqKinds[i].name != NULL; i++)
	{
		const DqKindDef *def = &DqKinds[i];
		Datum		values[5];
		bool		nulls[5] = {0};
		Datum	   *req = palloc(sizeof(Datum) * Max(def->nreq, 1));
		int			nparams = 0;
		Datum	   *all;
		int			j;

		for (j = 0; def->params[j] != NULL; j++)
			nparams++;
		all = palloc(sizeof(Datum) * Max(nparams, 1));
		for (j = 0; j < nparams; j++)
		{
			all[j] = CStringGetTextDatum(def->params[j]);
			if (j < def->nreq)
				req[j] = all[j];
		}
		values[0] = CStringGetTextDatum(def->name);
		values[1] = CStringGetTextDatum(def->scope != DQ_SCOPE_MAP &&
										def->scope != DQ_SCOPE_GROUPED &&
										def->kind != DQ_K_OF_TYPE &&
										def->kind != DQ_K_IN_TYPE_LIST ?
										(def->ncols == 1 ? "column_aggregate" : "table") :
										def->ncols == 1 ? "column" :
										def->ncols == 2 ? "column_pair" : "multicolumn");
		values[2] = PointerGetDatum(construct_array(req, def->nreq, TEXTOID, -1, false, TYPALIGN_INT));
		values[3] = PointerGetDatum(construct_array(all, nparams, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = CStringGetTextDatum(def->description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * Compiling a rule
 * ---------------------------------------------------------------------
 */

/*
 * The live columns of a relation as a column source (index = position
 * among the live columns).
 */
void
DqColumnSourceFromRelation(Relation rel, DqColumnSource *src)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	src->ncols = 0;
	src->names = palloc(sizeof(char *) * Max(tupdesc->natts, 1));
	src->typids = palloc(sizeof(Oid) * Max(tupdesc->natts, 1));
	src->collations = palloc(sizeof(Oid) * Max(tupdesc->natts, 1));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped)
			continue;
		src->names[src->ncols] = pstrdup(NameStr(att->attname));
		src->typids[src->ncols] = att->atttypid;
		src->collations[src->ncols] = att->attcollation;
		src->ncols++;
	}
	src->relname = pstrdup(RelationGetRelationName(rel));
	src->relid = RelationGetRelid(rel);
	src->qualname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											   RelationGetRelationName(rel));
}

static void
DqResolveColumn(const DqColumnSource *src, const char *name, DqRuleColumn *col)
{
	int			i;
	Oid			outfunc;
	bool		isvarlena;

	for (i = 0; i < src->ncols; i++)
	{
		if (strcmp(src->names[i], name) == 0)
		{
			col->name = pstrdup(name);
			col->srcindex = i;
			col->typid = src->typids[i];
			col->collation = src->collations[i];
			getTypeOutputInfo(col->typid, &outfunc, &isvarlena);
			fmgr_info(outfunc, &col->out);
			/* decided once here: evaluation must not look up the catalogs */
			col->textual = DqIsStringType(col->typid) &&
				get_typlen(getBaseType(col->typid)) == -1;
			col->bpchar = (getBaseType(col->typid) == BPCHAROID);
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s\" does not exist",
					name, src->relname),
			 errhint("List the columns with \\d %s.", src->qualname)));
}

/*
 * Parse a parameter's text as a value of type typid (22P02 if not).  A
 * type whose input is not a known-safe built-in (a domain's CHECK, say)
 * marks the rule: it then runs without parallel workers.
 */
static Datum
DqParamToType(DqRule *r, const char *str, Oid typid)
{
	Oid			typinput;
	Oid			typioparam;

	if (!DqTypeInputIsKnownSafe(typid))
		r->untrusted_code = true;
	getTypeInputInfo(typid, &typinput, &typioparam);
	return OidInputFunctionCall(typinput, (char *) str, typioparam, -1);
}

/*
 * "OPERATOR(schema.name)" for operator opid: the SQL the extension writes
 * names every operator with its schema, so that no object on a search_path
 * can stand in for it.
 */
static char *
DqOperatorSql(Oid opid)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opid));
	Form_pg_operator op;
	char	   *sql;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opid);
	op = (Form_pg_operator) GETSTRUCT(tup);
	sql = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(op->oprnamespace)),
				   NameStr(op->oprname));
	ReleaseSysCache(tup);
	return sql;
}

/*
 * The operator of btree strategy "strategy" (BTLessStrategyNumber, ...) of
 * the default ordering of type typid, as SQL (see DqOperatorSql).
 */
static char *
DqCompareOperator(DqRule *r, Oid typid, int16 strategy)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(typid), TYPECACHE_BTREE_OPFAMILY);
	Oid			opid = InvalidOid;

	if (OidIsValid(tce->btree_opf))
		opid = get_opfamily_member(tce->btree_opf, tce->btree_opintype,
								   tce->btree_opintype, strategy);
	if (!OidIsValid(opid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify a comparison operator for type %s",
						format_type_be(typid)),
				 errdetail("%s compares values of type %s.", r->def->name,
						   format_type_be(typid)),
				 errhint("Use a kind that does not compare values, or cast the column in a view.")));
	return DqOperatorSql(opid);
}

static void
DqRequireCmp(DqRule *r)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(r->cols[0].typid),
											TYPECACHE_CMP_PROC_FINFO);

	if (!OidIsValid(tce->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify a comparison function for type %s",
						format_type_be(r->cols[0].typid)),
				 errdetail("%s compares values of column \"%s\".",
						   r->def->name, r->cols[0].name),
				 errhint("Use a kind that does not compare values, or cast the column in a view.")));
	r->cmp = &tce->cmp_proc_finfo;
	r->cmp_base = getBaseType(r->cols[0].typid);
	r->cmp_bytes = (r->cmp_base == TEXTOID || r->cmp_base == VARCHAROID) &&
		DqCollationIsBytewise(r->cols[0].collation);
}

static int
DqRuleCmp(DqRule *r, Datum a, Datum b)
{
	/* common by-value types inline; everything else by the btree function */
	switch (r->cmp_base)
	{
		case INT2OID:
			return (DatumGetInt16(a) > DatumGetInt16(b)) - (DatumGetInt16(a) < DatumGetInt16(b));
		case INT4OID:
		case DATEOID:
			return (DatumGetInt32(a) > DatumGetInt32(b)) - (DatumGetInt32(a) < DatumGetInt32(b));
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return (DatumGetInt64(a) > DatumGetInt64(b)) - (DatumGetInt64(a) < DatumGetInt64(b));
		case FLOAT8OID:
			return float8_cmp_internal(DatumGetFloat8(a), DatumGetFloat8(b));
		case FLOAT4OID:
			return float4_cmp_internal(DatumGetFloat4(a), DatumGetFloat4(b));
		case BOOLOID:
			return (int) DatumGetBool(a) - (int) DatumGetBool(b);
		default:
			if (r->cmp_bytes && DqVarlenaIsPlain(a) && DqVarlenaIsPlain(b))
				return DqTextCmpBytes(a, b);
			return DatumGetInt32(FunctionCall2Coll(r->cmp, r->cols[0].collation, a, b));
	}
}

static DqRule *DqSortRule;		/* comparator context for qsort */

static int
DqSetCmp(const void *a, const void *b)
{
	return DqRuleCmp(DqSortRule, *(const Datum *) a, *(const Datum *) b);
}

static bool
DqIsStringType(Oid typid)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(getBaseType(typid), &category, &preferred);
	return category == TYPCATEGORY_STRING;
}

static void
DqKindNotApplicable(DqRule *r, int colno, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s does not apply to column \"%s\" of type %s",
					r->def->name, r->cols[colno].name,
					format_type_be(r->cols[colno].typid)),
			 errhint("%s", why)));
}

/* min_value/max_value (typed, or lengths) with strictness; min <= max. */
static void
DqCompileBounds(DqRule *r, bool lengths)
{
	JsonbValue *lo = DqParam(r->params, "min_value");
	JsonbValue *hi = DqParam(r->params, "max_value");

	r->strict_lo = DqParamBool(r->def, r->params, "strict_min", false);
	r->strict_hi = DqParamBool(r->def, r->params, "strict_max", false);
	r->has_lo = !DqParamIsNull(lo);
	r->has_hi = !DqParamIsNull(hi);
	if (!r->has_lo && !r->has_hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs min_value, max_value or both", r->def->name),
				 errhint("Pass for example {\"min_value\": 0, \"max_value\": 100}.")));
	if (lengths)
	{
		/* min_value > max_value: every value is unexpected, as in GE */
		r->len_lo = DqParamLength(r->def, r->params, "min_value");
		r->len_hi = DqParamLength(r->def, r->params, "max_value");
		return;
	}
	DqRequireCmp(r);
	if (r->has_lo)
		r->lo = DqParamToType(r, DqParamText(r->def, "min_value", lo), r->cols[0].typid);
	if (r->has_hi)
		r->hi = DqParamToType(r, DqParamText(r->def, "max_value", hi), r->cols[0].typid);
	/* min_value > max_value: every value is unexpected, as in GE */

	/*
	 * numeric: a value whose correctly rounded double lies strictly between
	 * the bounds' doubles lies strictly between the bounds (the conversion
	 * is monotonic), which settles most values without numeric_cmp.
	 */
	if (r->cmp_base == NUMERICOID &&
		(!r->has_lo || !DqNumericIsNaN(DatumGetNumeric(r->lo))) &&
		(!r->has_hi || !DqNumericIsNaN(DatumGetNumeric(r->hi))))
	{
		r->num_fast = true;
		r->lo_d = r->has_lo ? DqNumericToDouble(DatumGetNumeric(r->lo)) : -INFINITY;
		r->hi_d = r->has_hi ? DqNumericToDouble(DatumGetNumeric(r->hi)) : INFINITY;
	}
}

/* what DqSetElemContext names */
typedef struct DqSetElem
{
	DqRule	   *r;
	int			index;
	const char *text;
} DqSetElem;

static void
DqSetElemContext(void *arg)
{
	DqSetElem  *e = arg;

	errcontext("value_set element %d (\"%s\") of %s on column \"%s\" of type %s",
			   e->index, e->text, e->r->def->name, e->r->cols[0].name,
			   format_type_be(e->r->cols[0].typid));
}

/*
 * A value_set element as a value of the column's type: one that cannot be
 * (a word in an integer column's set) raises the type's own error, with
 * the element named in the context, as PostgreSQL raises it for
 * "col IN (...)".
 */
static Datum
DqSetElemToType(DqRule *r, int index, const char *txt)
{
	DqSetElem	e = {r, index, txt};
	ErrorContextCallback cb;
	Datum		d;

	cb.callback = DqSetElemContext;
	cb.arg = &e;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	d = DqParamToType(r, txt, r->cols[0].typid);
	error_context_stack = cb.previous;
	return d;
}

/* A value_set element as a typed SQL literal, checked now. */
static char *
DqSetLiteral(DqRule *r, int index, const char *txt)
{
	(void) DqSetElemToType(r, index, txt);
	return psprintf("%s::%s", quote_literal_cstr(txt), format_type_be_qualified(r->cols[0].typid));
}

/*
 * value_set: typed, NULLs dropped, sorted for binary search.  A null
 * value_set is no constraint (GE): nothing is unexpected.
 */
static void
DqCompileSet(DqRule *r)
{
	List	   *items = DqParamArray(r->def, r->params, "value_set", false);
	ListCell   *lc;

	DqRequireCmp(r);
	r->no_constraint = DqParamIsNull(DqParam(r->params, "value_set"));
	r->set = palloc(sizeof(Datum) * Max(list_length(items), 1));
	r->nset = 0;
	foreach(lc, items)
	{
		if (lfirst(lc) == NULL)
			continue;			/* a NULL in the set matches nothing */
		r->set[r->nset++] = DqSetElemToType(r, foreach_current_index(lc), lfirst(lc));
	}
	DqSortRule = r;
	qsort(r->set, r->nset, sizeof(Datum), DqSetCmp);
}

/*
 * Regexes are compiled now, so an invalid one fails at definition.  Those
 * PostgreSQL accepts then get a byte automaton where regex_fast.c can
 * build one that gives the same answers.
 */
static void
DqCompileRegexes(DqRule *r, List *texts)
{
	Oid			coll = r->cols[0].collation ? r->cols[0].collation : DEFAULT_COLLATION_OID;
	MemoryContext old = MemoryContextSwitchTo(r->cxt);
	ListCell   *lc;
	int			i = 0;

	r->regex_fast = palloc0(sizeof(DqRegexFast *) * Max(list_length(texts), 1));
	r->regex_all_fast = true;
	foreach(lc, texts)
	{
		text	   *re;
		const char *reason;

		if (lfirst(lc) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("regular expressions of %s must not be NULL", r->def->name),
					 errhint("Remove the NULL from the list.")));
		re = cstring_to_text(lfirst(lc));
		(void) RE_compile_and_cache(re, REG_ADVANCED, coll);
		r->patterns = lappend(r->patterns, re);
		r->regex_fast[i] = DqRegexFastCompile(VARDATA_ANY(re), VARSIZE_ANY_EXHDR(re),
											  coll, &reason);
		if (r->regex_fast[i] != NULL)
			ereport(DEBUG1,
					(errmsg_internal("regular expression \"%s\" is matched by a byte automaton of %d states",
									 (char *) lfirst(lc), DqRegexFastNStates(r->regex_fast[i]))));
		else
		{
			r->regex_all_fast = false;
			ereport(DEBUG1,
					(errmsg_internal("regular expression \"%s\" is matched by PostgreSQL's engine: %s",
									 (char *) lfirst(lc), reason)));
		}
		i++;
	}
	MemoryContextSwitchTo(old);
}

static char *
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

/* A parameter as a typed SQL literal, checked by parsing it now. */
static char *
DqSqlLiteral(DqRule *r, const char *txt, Oid typid)
{
	(void) DqParamToType(r, txt, typid);
	return psprintf("%s::%s", quote_literal_cstr(txt), format_type_be_qualified(typid));
}

/*
 * The success test of a "between" statistic: bounds from min_value and
 * max_value parsed as boundtype, inclusive unless strict; a NULL statistic
 * (no values) fails; without either bound it succeeds (as in GE).
 */
static char *
DqBetweenSql(DqRule *r, const char *observed, Oid boundtype)
{
	JsonbValue *lo = DqParam(r->params, "min_value");
	JsonbValue *hi = DqParam(r->params, "max_value");
	bool		strict_lo = DqParamBool(r->def, r->params, "strict_min", false);
	bool		strict_hi = DqParamBool(r->def, r->params, "strict_max", false);
	StringInfoData buf;
	char	   *lotxt = NULL;
	char	   *hitxt = NULL;

	/* no bounds: no constraint, success (GE's vacuous truth) */
	if (DqParamIsNull(lo) && DqParamIsNull(hi))
		return "true";
	if (!DqParamIsNull(lo))
		lotxt = DqParamText(r->def, "min_value", lo);
	if (!DqParamIsNull(hi))
		hitxt = DqParamText(r->def, "max_value", hi);
	/* min_value > max_value is no error: nothing lies between (GE) */
	initStringInfo(&buf);
	appendStringInfo(&buf, "COALESCE((%s) IS NOT NULL", observed);
	if (lotxt)
		appendStringInfo(&buf, " AND (%s) %s %s", observed,
						 DqCompareOperator(r, boundtype, strict_lo ? BTGreaterStrategyNumber :
										   BTGreaterEqualStrategyNumber),
						 DqSqlLiteral(r, lotxt, boundtype));
	if (hitxt)
		appendStringInfo(&buf, " AND (%s) %s %s", observed,
						 DqCompareOperator(r, boundtype, strict_hi ? BTLessStrategyNumber :
										   BTLessEqualStrategyNumber),
						 DqSqlLiteral(r, hitxt, boundtype));
	appendStringInfoString(&buf, ", false)");
	return buf.data;
}

static void
DqRequireNumeric(DqRule *r)
{
	if (TypeCategory(getBaseType(r->cols[0].typid)) != TYPCATEGORY_NUMERIC)
		DqKindNotApplicable(r, 0, "This statistic applies to numeric columns.");
}

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

/*
 * Aggregate kinds get their SQL (observed value and success test as one
 * jsonb expression); metadata kinds are decided here from the columns.
 */
static void
DqCompileAggregate(const DqColumnSource *src, DqRule *r, const char *column)
{
	const char *col = r->ncols > 0 ? quote_identifier(r->cols[0].name) : NULL;
	char	   *obs = NULL;
	char	   *ok = NULL;
	char	   *details = NULL; /* a jsonb expression for result.details */
	bool		isfloat = r->ncols > 0 &&
		(getBaseType(r->cols[0].typid) == FLOAT8OID ||
		 getBaseType(r->cols[0].typid) == FLOAT4OID);
	int			i;

	switch (r->def->kind)
	{
		case DQ_K_MIN_BETWEEN:
		case DQ_K_MAX_BETWEEN:
			DqRequireCmp(r);
			obs = psprintf("pg_catalog.%s(%s)", r->def->kind == DQ_K_MIN_BETWEEN ? "min" : "max", col);
			ok = DqBetweenSql(r, obs, r->cols[0].typid);
			break;
		case DQ_K_MEAN_BETWEEN:
		case DQ_K_SUM_BETWEEN:
		case DQ_K_STDEV_BETWEEN:

			/*
			 * float columns in float8 (a mean of 0.1 and 0.2 is
			 * 0.15000000000000002, as in GE), other numbers exactly
			 */
			DqRequireNumeric(r);
			obs = psprintf("pg_catalog.%s(%s)::pg_catalog.%s",
						   r->def->kind == DQ_K_MEAN_BETWEEN ? "avg" :
						   r->def->kind == DQ_K_SUM_BETWEEN ? "sum" : "stddev_samp", col,
						   isfloat ? "float8" : "numeric");
			ok = DqBetweenSql(r, obs, isfloat ? FLOAT8OID : NUMERICOID);
			break;
		case DQ_K_MEDIAN_BETWEEN:
			DqRequireNumeric(r);
			obs = psprintf("pg_catalog.percentile_cont(0.5::pg_catalog.float8) WITHIN GROUP "
						   "(ORDER BY %s::pg_catalog.float8)", col);
			ok = DqBetweenSql(r, obs, FLOAT8OID);
			break;
		case DQ_K_UNIQUE_COUNT_BETWEEN:
			obs = psprintf("pg_catalog.count(DISTINCT %s)", col);
			ok = DqBetweenSql(r, obs, NUMERICOID);
			break;
		case DQ_K_UNIQUE_PROPORTION_BETWEEN:
			obs = psprintf("(pg_catalog.count(DISTINCT %s)::pg_catalog.float8 OPERATOR(pg_catalog./) "
						   "CASE WHEN pg_catalog.count(%s) OPERATOR(pg_catalog.>) 0 "
						   "THEN pg_catalog.count(%s)::pg_catalog.float8 END)", col, col, col);
			ok = DqBetweenSql(r, obs, FLOAT8OID);
			break;
		case DQ_K_MAX_RECENT:
			{
				Oid			base = getBaseType(r->cols[0].typid);

				if (base != DATEOID && base != TIMESTAMPOID && base != TIMESTAMPTZOID)
					DqKindNotApplicable(r, 0, "Freshness applies to date and timestamp columns.");
				obs = psprintf("pg_catalog.max(%s)", col);
				ok = psprintf("COALESCE(pg_catalog.max(%s)::pg_catalog.timestamptz OPERATOR(pg_catalog.>=) "
							  "(pg_catalog.now() OPERATOR(pg_catalog.-) %s), false)",
							  col, DqSqlLiteral(r, DqRequiredText(r, "max_age"), INTERVALOID));
				break;
			}
		case DQ_K_ROW_COUNT_BETWEEN:
			obs = "pg_catalog.count(*)";
			ok = DqBetweenSql(r, obs, NUMERICOID);
			break;
		case DQ_K_ROW_COUNT_EQUAL:
			{
				int32		v = DqParamLength(r->def, r->params, "value");

				if (v < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs parameter \"value\"", r->def->name),
							 errhint("Pass for example {\"value\": 1000}.")));
				obs = "pg_catalog.count(*)";
				ok = psprintf("pg_catalog.count(*) OPERATOR(pg_catalog.=) %d", v);
				break;
			}
		case DQ_K_COLUMN_COUNT_EQUAL:
			{
				int32		v = DqParamLength(r->def, r->params, "value");

				if (v < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs parameter \"value\"", r->def->name),
							 errhint("Pass for example {\"value\": 5}.")));
				r->meta_success = (src->ncols == v);
				r->meta_result = psprintf("\"observed_value\": %d", src->ncols);
				return;
			}
		case DQ_K_COLUMN_EXISTS:
			{
				int32		idx = DqParamLength(r->def, r->params, "column_index");

				r->meta_success = false;
				for (i = 0; i < src->ncols; i++)
					if (strcmp(src->names[i], column) == 0)
						r->meta_success = (idx < 0 || idx == i);
				r->meta_result = pstrdup("");
				return;
			}
		case DQ_K_COLUMNS_ORDERED:
			{
				List	   *want = DqParamArray(r->def, r->params, "column_list", false);
				StringInfoData mism;
				int			n = Max(list_length(want), src->ncols);

				/* a null column_list: no constraint (GE) */
				r->meta_success = true;
				initStringInfo(&mism);
				if (!DqParamIsNull(DqParam(r->params, "column_list")))
				{
					for (i = 0; i < n; i++)
					{
						const char *exp = i < list_length(want) ? list_nth(want, i) : NULL;
						const char *got = i < src->ncols ? src->names[i] : NULL;

						if (exp != NULL && got != NULL && strcmp(exp, got) == 0)
							continue;
						r->meta_success = false;
						appendStringInfo(&mism, "%s{\"Expected Column Position\": %d, \"Expected\": ",
										 mism.len ? ", " : "", i);
						if (exp)
							escape_json(&mism, exp);
						else
							appendStringInfoString(&mism, "null");
						appendStringInfoString(&mism, ", \"Found\": ");
						if (got)
							escape_json(&mism, got);
						else
							appendStringInfoString(&mism, "null");
						appendStringInfoChar(&mism, '}');
					}
				}
				r->meta_result = r->meta_success ?
					psprintf("\"observed_value\": %s", DqNamesJson(src->names, src->ncols)) :
					psprintf("\"observed_value\": %s, \"details\": {\"mismatched\": [%s]}",
							 DqNamesJson(src->names, src->ncols), mism.data);
				return;
			}
		case DQ_K_COLUMNS_SET:
			{
				/*
				 * GE's details: "mismatched" with the non-empty lists of
				 * "unexpected" and "missing" columns; a null column_set is no
				 * constraint without exact_match and matches no column with
				 * it.
				 */
				bool		null_set = DqParamIsNull(DqParam(r->params, "column_set"));
				List	   *want = DqParamArray(r->def, r->params, "column_set", false);
				bool		exact = DqParamBool(r->def, r->params, "exact_match", true);
				StringInfoData missing;
				StringInfoData unexpected;
				StringInfoData mism;
				ListCell   *lc;
				int			nmissing = 0;
				int			nunexpected = 0;

				initStringInfo(&missing);
				initStringInfo(&unexpected);
				foreach(lc, want)
				{
					bool		found = false;

					for (i = 0; i < src->ncols; i++)
						if (lfirst(lc) && strcmp(src->names[i], lfirst(lc)) == 0)
							found = true;
					if (!found)
					{
						appendStringInfoString(&missing, nmissing++ ? ", " : "");
						escape_json(&missing, lfirst(lc) ? (char *) lfirst(lc) : "");
					}
				}
				for (i = 0; i < src->ncols; i++)
				{
					bool		found = false;

					foreach(lc, want)
						if (lfirst(lc) && strcmp(src->names[i], lfirst(lc)) == 0)
							found = true;
					if (!found)
					{
						appendStringInfoString(&unexpected, nunexpected++ ? ", " : "");
						escape_json(&unexpected, src->names[i]);
					}
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
				return;
			}
		case DQ_K_DISTINCT_IN_SET:
		case DQ_K_DISTINCT_CONTAIN_SET:
		case DQ_K_DISTINCT_EQUAL_SET:
			{
				List	   *items = DqParamArray(r->def, r->params, "value_set", false);
				StringInfoData arr;
				ListCell   *lc;
				const char *typ = format_type_be_qualified(r->cols[0].typid);
				char	   *distinct;
				bool		first = true;

				DqRequireCmp(r);
				initStringInfo(&arr);
				appendStringInfoString(&arr, "ARRAY[");
				foreach(lc, items)
				{
					if (lfirst(lc) == NULL)
						continue;	/* a NULL in the set matches nothing */
					appendStringInfo(&arr, "%s%s", first ? "" : ", ",
									 DqSetLiteral(r, foreach_current_index(lc), lfirst(lc)));
					first = false;
				}
				appendStringInfo(&arr, "]::%s[]", typ);
				distinct = psprintf("COALESCE(pg_catalog.array_agg(DISTINCT %s) FILTER (WHERE %s IS NOT NULL), '{}'::%s[])",
									col, col, typ);
				obs = psprintf("pg_catalog.to_jsonb(%s)", distinct);
				details = psprintf("pg_catalog.jsonb_build_object('value_counts', dq.value_counts(%s))", col);
				if (DqParamIsNull(DqParam(r->params, "value_set")))
					ok = "true";	/* a null value_set: no constraint (GE) */
				else if (r->def->kind == DQ_K_DISTINCT_IN_SET)
					ok = psprintf("(%s OPERATOR(pg_catalog.<@) %s)", distinct, arr.data);
				else if (r->def->kind == DQ_K_DISTINCT_CONTAIN_SET)
					ok = psprintf("(%s OPERATOR(pg_catalog.@>) %s)", distinct, arr.data);
				else
					ok = psprintf("(%s OPERATOR(pg_catalog.<@) %s AND %s OPERATOR(pg_catalog.@>) %s)",
								  distinct, arr.data, distinct, arr.data);
				break;
			}
		case DQ_K_QUANTILES_BETWEEN:
			{
				JsonbValue *qr = DqParam(r->params, "quantile_ranges");
				Jsonb	   *qj;
				Jsonb	   *saved = r->params;
				List	   *qs;
				JsonbValue *vr;
				JsonbIterator *it;
				JsonbValue	v;
				JsonbIteratorToken tok;
				StringInfoData qarr;
				StringInfoData test;
				ListCell   *lc;
				int			n = 0;
				char	   *pq;

				if (DqParamIsNull(qr) || qr->type != jbvBinary || !JsonContainerIsObject(qr->val.binary.data))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s needs quantile_ranges as an object", r->def->name),
							 errhint("Pass {\"quantile_ranges\": {\"quantiles\": [0.5], \"value_ranges\": [[0, 10]]}}.")));
				DqRequireNumeric(r);
				qj = JsonbValueToJsonb(qr);
				r->params = qj;
				qs = DqParamArray(r->def, qj, "quantiles", true);
				vr = DqParam(qj, "value_ranges");
				r->params = saved;
				initStringInfo(&qarr);
				foreach(lc, qs)
				{
					double		q;

					if (lfirst(lc) == NULL ||
						!((q = DatumGetFloat8(DirectFunctionCall1(float8in, CStringGetDatum(lfirst(lc))))) >= 0.0 && q <= 1.0))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("quantiles must be numbers between 0 and 1"),
								 errhint("Pass for example [0.25, 0.5, 0.75].")));
					appendStringInfo(&qarr, "%s%s", n++ ? ", " : "", (char *) lfirst(lc));
				}
				if (DqParamIsNull(vr) || vr->type != jbvBinary || !JsonContainerIsArray(vr->val.binary.data) ||
					JsonContainerSize(vr->val.binary.data) != n || n == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("value_ranges must list one [min, max] pair per quantile"),
							 errhint("Pass for example {\"quantiles\": [0.5], \"value_ranges\": [[0, 10]]}.")));
				pq = psprintf("pg_catalog.percentile_disc(ARRAY[%s]::pg_catalog.float8[]) WITHIN GROUP (ORDER BY %s)",
							  qarr.data, col);
				initStringInfo(&test);
				appendStringInfo(&test, "COALESCE((%s) IS NOT NULL", pq);
				i = 0;
				it = JsonbIteratorInit(vr->val.binary.data);
				while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
				{
					JsonbValue *lo;
					JsonbValue *hi;

					if (tok != WJB_ELEM)
						continue;
					i++;
					if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
						JsonContainerSize(v.val.binary.data) != 2)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("each value range must be a [min, max] pair"),
								 errhint("Use null for an open bound, for example [null, 10].")));
					lo = getIthJsonbValueFromContainer(v.val.binary.data, 0);
					hi = getIthJsonbValueFromContainer(v.val.binary.data, 1);
					if (lo->type != jbvNull)
						appendStringInfo(&test, " AND (%s)[%d] %s %s", pq, i,
										 DqCompareOperator(r, r->cols[0].typid, BTGreaterEqualStrategyNumber),
										 DqSqlLiteral(r, DqParamText(r->def, "value_ranges", lo), r->cols[0].typid));
					if (hi->type != jbvNull)
						appendStringInfo(&test, " AND (%s)[%d] %s %s", pq, i,
										 DqCompareOperator(r, r->cols[0].typid, BTLessEqualStrategyNumber),
										 DqSqlLiteral(r, DqParamText(r->def, "value_ranges", hi), r->cols[0].typid));
				}
				appendStringInfoString(&test, ", false)");
				obs = psprintf("pg_catalog.jsonb_build_object('quantiles', pg_catalog.to_jsonb(ARRAY[%s]::pg_catalog.float8[]), 'values', pg_catalog.to_jsonb(%s))",
							   qarr.data, pq);
				ok = test.data;
				break;
			}
		case DQ_K_UNIQUE:
		case DQ_K_COMPOUND_UNIQUE:
			{
				StringInfoData keys;
				StringInfoData notnull;
				StringInfoData value;

				initStringInfo(&keys);
				initStringInfo(&notnull);
				initStringInfo(&value);
				/*
				 * The rows tested: GE's ignore_row_if, by default all but
				 * those whose key is NULL in every column (a single column:
				 * its NULLs).
				 */
				for (i = 0; i < r->ncols; i++)
				{
					const char *c = quote_identifier(r->cols[i].name);

					appendStringInfo(&keys, "%s%s", i ? ", " : "", c);
					appendStringInfo(&notnull, "%s%s IS NOT NULL",
									 i ? (r->ignore_row == DQ_IGNORE_ANY_MISSING ? " AND " : " OR ") : "",
									 c);
				}
				if (r->ignore_row == DQ_IGNORE_NEVER)
				{
					resetStringInfo(&notnull);
					appendStringInfoString(&notnull, "true");
				}
				if (r->def->kind == DQ_K_UNIQUE)
					appendStringInfo(&value, "pg_catalog.to_jsonb(%s)", quote_identifier(r->cols[0].name));
				else
				{
					appendStringInfoString(&value, "pg_catalog.jsonb_build_object(");
					for (i = 0; i < r->ncols; i++)
						appendStringInfo(&value, "%s%s, %s", i ? ", " : "",
										 quote_literal_cstr(r->cols[i].name),
										 quote_identifier(r->cols[i].name));
					appendStringInfoChar(&value, ')');
				}

				r->group_keys = keys.data;
				r->group_notnull = notnull.data;
				r->group_value = value.data;
				return;
			}
		case DQ_K_EXIST_IN:
			{
				char	   *tname = DqRequiredText(r, "to_table");
				char	   *cname = DqRequiredText(r, "to_column");
				Oid			other = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(tname)));
				AttrNumber	att = get_attnum(other, cname);
				Oid			otype;
				Oid			eqop;

				if (att <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("column \"%s\" of relation \"%s\" does not exist", cname, tname),
							 errhint("Name a column of to_table in to_column.")));
				otype = get_atttype(other, att);

				/*
				 * The equality operator as the parser would choose it among
				 * the built-in ones (search_path is pinned here), else the
				 * default equality of a common type; named with its schema.
				 */
				eqop = compatible_oper_opid(list_make1(makeString("=")),
											r->cols[0].typid, otype, true);
				if (!OidIsValid(eqop) && getBaseType(r->cols[0].typid) == getBaseType(otype))
					eqop = lookup_type_cache(getBaseType(otype), TYPECACHE_EQ_OPR)->eq_opr;
				if (!OidIsValid(eqop))
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_FUNCTION),
							 errmsg("operator does not exist: %s = %s",
									format_type_be(r->cols[0].typid), format_type_be(otype)),
							 errhint("Compare columns of compatible types.")));
				r->op_sql = DqOperatorSql(eqop);
				r->other_relid = other;
				r->other_attnum = att;
				r->other_rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(other)),
														  get_rel_name(other));
				r->other_col = pstrdup(quote_identifier(cname));
				return;
			}
		case DQ_K_INCREASING:
		case DQ_K_DECREASING:
			{
				char	   *ord = DqRequiredText(r, "order_by");

				for (i = 0; i < src->ncols; i++)
					if (strcmp(src->names[i], ord) == 0)
						break;
				if (i == src->ncols)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("column \"%s\" of relation \"%s\" does not exist", ord, src->relname),
							 errhint("order_by names the column that orders the rows.")));
				DqRequireCmp(r);
				r->order_by = pstrdup(quote_identifier(ord));
				r->strictly = DqParamBool(r->def, r->params, "strictly", false);
				r->op_sql = DqCompareOperator(r, r->cols[0].typid,
											  r->def->kind == DQ_K_INCREASING ?
											  (r->strictly ? BTGreaterStrategyNumber : BTGreaterEqualStrategyNumber) :
											  (r->strictly ? BTLessStrategyNumber : BTLessEqualStrategyNumber));
				return;
			}
		case DQ_K_MOST_COMMON_IN_SET:
			{
				List	   *items = DqParamArray(r->def, r->params, "value_set", true);
				StringInfoData arr;
				ListCell   *lc;
				bool		first = true;

				DqRequireCmp(r);
				initStringInfo(&arr);
				foreach(lc, items)
				{
					if (lfirst(lc) == NULL)
						continue;
					appendStringInfo(&arr, "%s%s", first ? "" : ", ",
									 DqSetLiteral(r, foreach_current_index(lc), lfirst(lc)));
					first = false;
				}
				r->set_sql = psprintf("ARRAY[%s]::%s[]", arr.data,
									  format_type_be_qualified(r->cols[0].typid));
				r->strictly = DqParamBool(r->def, r->params, "ties_okay", false);
				r->op_sql = DqCompareOperator(r, r->cols[0].typid, BTEqualStrategyNumber);
				return;
			}
		case DQ_K_ROW_COUNT_OTHER:
			{
				char	   *tname = DqRequiredText(r, "other_table_name");
				Oid			other = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(tname)));

				r->other_relid = other;

				r->other_rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(other)),
														  get_rel_name(other));
				return;
			}
		case DQ_K_ROW_CONDITION:
			{
				char	   *cond = DqRequiredText(r, "row_condition");
				List	   *parsed;
				SelectStmt *sel;

				/*
				 * Exactly one expression: parsed as PL/pgSQL parses an
				 * expression ("SELECT <expr>"), and refused if that gives
				 * anything else (a FROM clause, several targets, ...), so
				 * that the text cannot change the query it is placed in.
				 */
				parsed = raw_parser(cond, RAW_PARSE_PLPGSQL_EXPR);
				sel = (list_length(parsed) == 1) ?
					(SelectStmt *) ((RawStmt *) linitial(parsed))->stmt : NULL;
				if (sel == NULL || !IsA(sel, SelectStmt) ||
					list_length(sel->targetList) != 1 ||
					((ResTarget *) linitial(sel->targetList))->name != NULL ||
					sel->fromClause != NIL || sel->whereClause != NULL ||
					sel->groupClause != NIL || sel->havingClause != NULL ||
					sel->windowClause != NIL || sel->valuesLists != NIL ||
					sel->sortClause != NIL || sel->limitCount != NULL ||
					sel->limitOffset != NULL || sel->lockingClause != NIL ||
					sel->withClause != NULL || sel->op != SETOP_NONE ||
					sel->distinctClause != NIL || sel->intoClause != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("row_condition must be a single SQL expression"),
							 errdetail("The value given was \"%s\".", cond),
							 errhint("Write a boolean expression over the row's columns, for example \"shipped_at >= ordered_at\".")));
				r->condition = psprintf("(%s)", cond);
				/* its columns and type, checked against the relation now */
				if (SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect failed");
				if (SPI_execute(psprintf("SELECT 1 FROM %s WHERE %s LIMIT 0",
										 src->qualname, r->condition), true, 0) != SPI_OK_SELECT)
					elog(ERROR, "could not check row_condition");
				SPI_finish();
				return;
			}
		case DQ_K_OF_TYPE:
		case DQ_K_IN_TYPE_LIST:
			{
				List	   *names = (r->def->kind == DQ_K_OF_TYPE) ?
					list_make1(DqRequiredText(r, "type_")) :
					DqParamArray(r->def, r->params, "type_list", false);
				ListCell   *lc;
				Oid			have = r->cols[0].typid;

				/* a null type_list: no constraint (GE) */
				r->meta_success = (r->def->kind == DQ_K_IN_TYPE_LIST &&
								   DqParamIsNull(DqParam(r->params, "type_list")));
				foreach(lc, names)
				{
					Oid			typid;
					int32		typmod;
					char	   *name = pstrdup(lfirst(lc) ? (char *) lfirst(lc) : "");
					char	   *p;

					if (lfirst(lc) == NULL)
						continue;

					/*
					 * GE names PostgreSQL types by their SQLAlchemy class
					 * (DOUBLE_PRECISION): an underscore stands for a space
					 * when the name does not parse as it is.
					 */
					parseTypeString(name, &typid, &typmod, true);
					if (!OidIsValid(typid))
					{
						for (p = name; *p; p++)
							if (*p == '_')
								*p = ' ';
						parseTypeString(name, &typid, &typmod, true);
						if (!OidIsValid(typid))
							parseTypeString(lfirst(lc), &typid, &typmod, false);
					}
					if (typid == have || typid == getBaseType(have))
						r->meta_success = true;
				}
				r->meta_result = psprintf("\"observed_value\": \"%s\"", format_type_be(have));
				return;
			}
		default:
			elog(ERROR, "unexpected expectation kind %d", (int) r->def->kind);
	}
	/* single-column statistics: GE's element and missing counts too */
	r->agg_sql = psprintf("pg_catalog.jsonb_build_object('observed_value', %s, 'success', %s%s%s%s%s)",
						  obs, ok,
						  col ? psprintf(", 'element_count', pg_catalog.count(*), 'missing_count', "
										 "pg_catalog.count(*) - pg_catalog.count(%s)", col) : "",
						  details ? ", 'details', " : "", details ? details : "", "");
}

/*
 * GE's ignore_row_if of a pair (both_values_are_missing, the default,
 * either_value_is_missing, neither) or multicolumn kind
 * (all_values_are_missing, the default, any_value_is_missing, never).
 */
static DqIgnoreRow
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

/*
 * Compile an expectation on the columns of src into a rule, checking
 * everything that can be checked before reading a row.  Allocates in the
 * current context.
 */
DqRule *
DqCompileRule(const DqColumnSource *src, const char *kind, const char *column,
			  Jsonb *params, double mostly)
{
	const DqKindDef *def = DqLookupKind(kind);
	DqRule	   *r = palloc0(sizeof(DqRule));
	List	   *names = NIL;
	ListCell   *lc;
	int			i;

	DqCheckParamNames(def, params);
	r->def = def;
	r->params = params;
	r->mostly = mostly;
	r->cxt = CurrentMemoryContext;
	r->len_lo = r->len_hi = -1;

	if (def->ncols == 0)
	{
		if (def->kind == DQ_K_COLUMN_EXISTS && column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a column", def->name),
					 errhint("Pass column_name => 'the_column'.")));
		if (def->kind != DQ_K_COLUMN_EXISTS && column != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is about the whole table and takes no column_name", def->name),
					 errhint("%s takes: %s.", def->name, DqKindParamList(def))));
	}
	else if (def->ncols == 1)
	{
		if (column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a column", def->name),
					 errhint("Pass column_name => 'the_column'.")));
		names = list_make1((char *) column);
	}
	else
	{
		if (column != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s takes its columns from params, not from column_name", def->name),
					 errhint("%s takes: %s.", def->name, DqKindParamList(def))));
		if (def->ncols == 2)
			names = list_make2(DqRequiredText(r, "column_A"), DqRequiredText(r, "column_B"));
		else
		{
			names = DqParamArray(def, params, "column_list", true);
			if (list_length(names) < 2)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column_list of %s needs at least two columns", def->name),
						 errhint("Pass for example {\"column_list\": [\"a\", \"b\"]}.")));
		}
	}
	r->ncols = list_length(names);
	r->cols = palloc0(sizeof(DqRuleColumn) * r->ncols);
	i = 0;
	foreach(lc, names)
	{
		if (lfirst(lc) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column names of %s must not be NULL", def->name),
					 errhint("Name every column.")));
		DqResolveColumn(src, lfirst(lc), &r->cols[i++]);
	}
	if (def->ncols == 2 || def->ncols == -1)
		r->ignore_row = DqParseIgnoreRow(def, params);

	switch (def->kind)
	{
		case DQ_K_NOT_NULL:
		case DQ_K_NULL:
			break;
		case DQ_K_BETWEEN:
			DqCompileBounds(r, false);
			break;
		case DQ_K_IN_SET:
		case DQ_K_NOT_IN_SET:
			DqCompileSet(r);
			break;
		case DQ_K_REGEX:
		case DQ_K_NOT_REGEX:
			DqCompileRegexes(r, list_make1(DqRequiredText(r, "regex")));
			break;
		case DQ_K_REGEX_LIST:
		case DQ_K_NOT_REGEX_LIST:
			{
				JsonbValue *m = DqParam(params, "match_on");

				DqCompileRegexes(r, DqParamArray(def, params, "regex_list", true));
				if (r->patterns == NIL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("regex_list of %s must not be empty", def->name),
							 errhint("Pass at least one regular expression.")));
				if (!DqParamIsNull(m))
				{
					char	   *s = DqParamText(def, "match_on", m);

					if (strcmp(s, "all") == 0)
						r->match_all = true;
					else if (strcmp(s, "any") != 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("match_on must be \"any\" or \"all\""),
								 errdetail("The value given was \"%s\".", s),
								 errhint("Use \"any\" (the default) or \"all\".")));
				}
				break;
			}
		case DQ_K_LIKE:
		case DQ_K_NOT_LIKE:
			r->patterns = list_make1(cstring_to_text(DqRequiredText(r, "like_pattern")));
			break;
		case DQ_K_LEN_BETWEEN:
			if (!DqIsStringType(r->cols[0].typid))
				DqKindNotApplicable(r, 0, "Lengths apply to text, varchar and char columns.");
			DqCompileBounds(r, true);
			break;
		case DQ_K_LEN_EQUAL:
			if (!DqIsStringType(r->cols[0].typid))
				DqKindNotApplicable(r, 0, "Lengths apply to text, varchar and char columns.");
			r->len_lo = r->len_hi = DqParamLength(def, params, "value");
			if (r->len_lo < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s needs parameter \"value\"", def->name),
						 errhint("Pass for example {\"value\": 3}.")));
			r->has_lo = r->has_hi = true;
			break;
		case DQ_K_PARSEABLE:
			{
				Oid			typid;
				int32		typmod;

				parseTypeString(DqRequiredText(r, "type"), &typid, &typmod, false);
				r->parse_typid = typid;
				getTypeInputInfo(typid, &r->parse_typinput, &r->parse_typioparam);
				r->parse_safe = DqTypeInputIsKnownSafe(typid);
				if (!r->parse_safe)
					r->untrusted_code = true;
				break;
			}
		case DQ_K_PAIR_EQUAL:
		case DQ_K_PAIR_GT:
			if (getBaseType(r->cols[0].typid) != getBaseType(r->cols[1].typid) &&
				TypeCategory(getBaseType(r->cols[0].typid)) == TYPCATEGORY_NUMERIC &&
				TypeCategory(getBaseType(r->cols[1].typid)) == TYPCATEGORY_NUMERIC)
			{
				/*
				 * numbers of different types (an integer and a float
				 * column): compared as float8 when one is a float, else as
				 * numeric, as SQL compares them
				 */
				Oid			a = getBaseType(r->cols[0].typid);
				Oid			b = getBaseType(r->cols[1].typid);
				TypeCacheEntry *tce;

				r->pair_common = (a == FLOAT4OID || a == FLOAT8OID ||
								  b == FLOAT4OID || b == FLOAT8OID) ? FLOAT8OID : NUMERICOID;
				tce = lookup_type_cache(r->pair_common, TYPECACHE_CMP_PROC_FINFO);
				r->cmp = &tce->cmp_proc_finfo;
				r->cmp_base = r->pair_common;
				r->cmp_bytes = false;
				r->or_equal = DqParamBool(def, params, "or_equal", false);
				break;
			}
			if (getBaseType(r->cols[0].typid) != getBaseType(r->cols[1].typid))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("columns \"%s\" and \"%s\" of %s have different types",
								r->cols[0].name, r->cols[1].name, def->name),
						 errdetail("\"%s\" is %s and \"%s\" is %s.",
								   r->cols[0].name, format_type_be(r->cols[0].typid),
								   r->cols[1].name, format_type_be(r->cols[1].typid)),
						 errhint("Compare columns of the same type, or cast one in a view.")));
			DqRequireCmp(r);
			r->or_equal = DqParamBool(def, params, "or_equal", false);
			break;
		case DQ_K_MULTI_SUM:
			for (i = 0; i < r->ncols; i++)
			{
				TYPCATEGORY cat = TypeCategory(getBaseType(r->cols[i].typid));

				if (cat != TYPCATEGORY_NUMERIC)
					DqKindNotApplicable(r, i, "Sums apply to numeric columns.");
			}
			r->sum_total = DqParamToType(r, DqRequiredText(r, "sum_total"), NUMERICOID);
			break;
		case DQ_K_UNIQUE_WITHIN:
			break;
		default:
			if (!DqCompileGovernanceKind(src, r) && !DqCompileGeKind(src, r) &&
				!DqCompileGeDistribution(src, r))
				DqCompileAggregate(src, r, column);
			break;
	}
	return r;
}

/*
 * A value as JSON: numbers and booleans natively, dates and timestamps in
 * ISO form (as to_jsonb and GE's observed values write them), anything
 * else as its text.
 */
void
DqAppendDatumJson(StringInfo buf, Oid typid, FmgrInfo *out, Datum value)
{
	char	   *txt;
	Oid			base = getBaseType(typid);

	switch (base)
	{
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMETZOID:
			{
				char		dt[MAXDATELEN + 1];

				escape_json(buf, JsonEncodeDateTime(dt, value, base, NULL));
				return;
			}
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			return;
		default:
			break;
	}
	txt = OutputFunctionCall(out, value);
	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			appendStringInfoString(buf, txt);
			return;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			if (strcmp(txt, "NaN") != 0 && strcmp(txt, "Infinity") != 0 &&
				strcmp(txt, "-Infinity") != 0)
			{
				appendStringInfoString(buf, txt);
				return;
			}
			break;
		default:
			break;
	}
	escape_json(buf, txt);
}

static void
DqAppendJsonValue(StringInfo buf, DqRuleColumn *col, Datum value, bool isnull)
{
	if (isnull)
		appendStringInfoString(buf, "null");
	else
		DqAppendDatumJson(buf, col->typid, &col->out, value);
}

/* The unexpected "value" of a row, shaped as GE shapes it. */
char *
DqUnexpectedJson(DqRule *r, Datum *values, bool *isnull)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (r->def->ncols == 1)
		DqAppendJsonValue(&buf, &r->cols[0], values[0], isnull[0]);
	else if (r->def->ncols == 2)
	{
		appendStringInfoChar(&buf, '[');
		DqAppendJsonValue(&buf, &r->cols[0], values[0], isnull[0]);
		appendStringInfoString(&buf, ", ");
		DqAppendJsonValue(&buf, &r->cols[1], values[1], isnull[1]);
		appendStringInfoChar(&buf, ']');
	}
	else
	{
		appendStringInfoChar(&buf, '{');
		for (i = 0; i < r->ncols; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			escape_json(&buf, r->cols[i].name);
			appendStringInfoString(&buf, ": ");
			DqAppendJsonValue(&buf, &r->cols[i], values[i], isnull[i]);
		}
		appendStringInfoChar(&buf, '}');
	}
	return buf.data;
}

/* ---------------------------------------------------------------------
 * Evaluating a rule on one row
 * ---------------------------------------------------------------------
 */

/* A value as text: strings directly, other types by their output function. */
static text *
DqValueText(DqRuleColumn *col, Datum value)
{
	if (col->textual)
		return DatumGetTextPP(value);
	return cstring_to_text(OutputFunctionCall(&col->out, value));
}

static bool
DqInSet(DqRule *r, Datum value)
{
	int			lo = 0;
	int			hi = r->nset - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = DqRuleCmp(r, value, r->set[mid]);

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
 * Outcomes of short values already seen, for the regular-expression kinds:
 * PostgreSQL 15's regex engine costs a few hundred nanoseconds per call
 * (it converts the string to wide characters and allocates its automaton
 * state with malloc), and many columns repeat their values (codes,
 * statuses, countries).  A direct-mapped table of the last outcome per
 * hash slot; after DQ_OC_PROBE lookups with fewer than half of them hits
 * (mostly distinct values, say UUIDs) the cache switches itself off and
 * costs nothing more than one branch.
 */
#define DQ_OC_SLOTS 1024
#define DQ_OC_MAXLEN 40
#define DQ_OC_PROBE 4096

typedef struct DqOutcomeSlot
{
	uint32		hash;
	int16		len;			/* -1: empty */
	bool		outcome;
	char		bytes[DQ_OC_MAXLEN];
} DqOutcomeSlot;

typedef struct DqOutcomeCache
{
	bool		off;
	uint32		lookups;
	uint32		hits;
	DqOutcomeSlot slots[DQ_OC_SLOTS];
} DqOutcomeCache;

/* The slot for val, or NULL when the cache is off or val is too long. */
static DqOutcomeSlot *
DqOutcomeSlotFor(DqRule *r, const char *val, int len, bool *hit)
{
	DqOutcomeCache *c = r->outcome_cache;
	uint32		h;
	DqOutcomeSlot *slot;

	*hit = false;
	if (len > DQ_OC_MAXLEN)
		return NULL;
	if (c == NULL)
	{
		c = MemoryContextAlloc(r->cxt, sizeof(DqOutcomeCache));
		c->off = false;
		c->lookups = c->hits = 0;
		for (int i = 0; i < DQ_OC_SLOTS; i++)
			c->slots[i].len = -1;
		r->outcome_cache = c;
	}
	if (c->off)
		return NULL;
	h = hash_bytes((const unsigned char *) val, len);
	slot = &c->slots[h % DQ_OC_SLOTS];
	*hit = slot->len == len && slot->hash == h && memcmp(slot->bytes, val, len) == 0;
	if (c->lookups < DQ_OC_PROBE)
	{
		c->lookups++;
		c->hits += *hit;
		if (c->lookups == DQ_OC_PROBE && c->hits < DQ_OC_PROBE / 2)
			c->off = true;
	}
	if (!*hit)
	{
		slot->hash = h;
		slot->len = (int16) len;
		memcpy(slot->bytes, val, len);
	}
	return slot;
}

static bool
DqRegexMatch(DqRule *r, text *re, text *val)
{
	Oid			coll = r->cols[0].collation ? r->cols[0].collation : DEFAULT_COLLATION_OID;

	return RE_compile_and_execute(re, VARDATA_ANY(val), VARSIZE_ANY_EXHDR(val),
								  REG_ADVANCED, coll, 0, NULL);
}

/* Does a value that matched nmatch of the rule's patterns satisfy it? */
static bool
DqRegexVerdict(DqRule *r, int nmatch)
{
	switch (r->def->kind)
	{
		case DQ_K_REGEX:
			return nmatch > 0;
		case DQ_K_NOT_REGEX:
		case DQ_K_NOT_REGEX_LIST:
			return nmatch == 0;
		default:
			return r->match_all ? nmatch == list_length(r->patterns) : nmatch > 0;
	}
}

typedef struct DqParseStep
{
	DqRule	   *r;
	char	   *str;
} DqParseStep;

static void
DqParseStepFn(void *arg)
{
	DqParseStep *step = arg;

	(void) OidInputFunctionCall(step->r->parse_typinput, step->str,
								step->r->parse_typioparam, -1);
}

/*
 * Does str parse as the rule's type?  Data errors (class 22) mean no, and
 * for a type whose input is not a known-safe built-in (a domain, another
 * role's type) so do constraint violations; those are caught in a
 * subtransaction, since the failing code may have been half-way through
 * an SPI query (a domain CHECK in PL/pgSQL).
 */
static bool
DqParses(DqRule *r, char *str)
{
	DqParseStep step = {r, str};

	if (r->parse_safe)
		return DqCatchDataError(DqParseStepFn, &step) == NULL;
	return DqCatchDataErrorInSubxact(DqParseStepFn, &step) == NULL;
}

/* Is a row of a multicolumn kind missing, by its ignore_row_if? */
static bool
DqMultiMissing(DqRule *r, bool *isnull)
{
	int			nnull = 0;
	int			i;

	for (i = 0; i < r->ncols; i++)
		nnull += isnull[i];
	if (r->ignore_row == DQ_IGNORE_ALL_MISSING)
		return nnull == r->ncols;
	if (r->ignore_row == DQ_IGNORE_ANY_MISSING)
		return nnull > 0;
	return false;
}

/*
 * Outcome of one row; values/isnull hold the rule's columns in order.
 * Allocates in the current (per-row) context.
 */
DqOutcome
DqEvalRule(DqRule *r, Datum *values, bool *isnull)
{
	int			i;
	int			j;

	switch (r->def->kind)
	{
		case DQ_K_NOT_NULL:
			return isnull[0] ? DQ_UNEXPECTED : DQ_EXPECTED;
		case DQ_K_NULL:
			return isnull[0] ? DQ_EXPECTED : DQ_UNEXPECTED;
		case DQ_K_PAIR_EQUAL:
		case DQ_K_PAIR_GT:
			/* GE's ignore_row_if: both (default) or either NULL is missing */
			if (isnull[0] && isnull[1] && r->ignore_row != DQ_IGNORE_NEVER)
				return DQ_MISSING;
			if ((isnull[0] || isnull[1]) && r->ignore_row == DQ_IGNORE_ANY_MISSING)
				return DQ_MISSING;
			if (isnull[0] || isnull[1])
				return DQ_UNEXPECTED;
			{
				Datum		a = values[0];
				Datum		b = values[1];
				int			c;

				if (OidIsValid(r->pair_common))
				{
					a = DqParamToType(r, OutputFunctionCall(&r->cols[0].out, a), r->pair_common);
					b = DqParamToType(r, OutputFunctionCall(&r->cols[1].out, b), r->pair_common);
				}
				c = DqRuleCmp(r, a, b);
				if (r->def->kind == DQ_K_PAIR_EQUAL)
					return c == 0 ? DQ_EXPECTED : DQ_UNEXPECTED;
				return (c > 0 || (r->or_equal && c == 0)) ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_MULTI_SUM:
			{
				/* NULLs count as 0; missing rows by ignore_row_if */
				Datum		sum = NumericGetDatum(int64_to_numeric(0));

				if (DqMultiMissing(r, isnull))
					return DQ_MISSING;
				for (i = 0; i < r->ncols; i++)
				{
					if (isnull[i])
						continue;
					sum = DirectFunctionCall2(numeric_add, sum,
											  DqParamToType(r, OutputFunctionCall(&r->cols[i].out, values[i]),
															NUMERICOID));
				}
				return DatumGetBool(DirectFunctionCall2(numeric_eq, sum, r->sum_total)) ?
					DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_PAIR_IN_SET:
		case DQ_K_MULTI_UNIQUE:
			return DqEvalGeKind(r, values, isnull);
		case DQ_K_UNIQUE_WITHIN:
			{
				/* NULLs are ignored; missing rows by ignore_row_if */
				char	  **txt = palloc(sizeof(char *) * r->ncols);

				if (DqMultiMissing(r, isnull))
					return DQ_MISSING;
				for (i = 0; i < r->ncols; i++)
					txt[i] = isnull[i] ? NULL : OutputFunctionCall(&r->cols[i].out, values[i]);
				for (i = 0; i < r->ncols; i++)
					for (j = i + 1; j < r->ncols; j++)
						if (txt[i] && txt[j] && strcmp(txt[i], txt[j]) == 0)
							return DQ_UNEXPECTED;
				return DQ_EXPECTED;
			}
		default:
			break;
	}

	/* single-column kinds: NULLs are missing */
	if (isnull[0])
		return DQ_MISSING;

	switch (r->def->kind)
	{
		case DQ_K_BETWEEN:
			if (r->num_fast && DqVarlenaIsPlain(values[0]))
			{
				Numeric		num = (Numeric) DatumGetPointer(values[0]);

				if (!DqNumericIsNaN(num))
				{
					double		x = DqNumericToDouble(num);

					if (x > r->lo_d && x < r->hi_d)
						return DQ_EXPECTED;
				}
			}
			if (r->has_lo)
			{
				int			c = DqRuleCmp(r, values[0], r->lo);

				if (c < 0 || (c == 0 && r->strict_lo))
					return DQ_UNEXPECTED;
			}
			if (r->has_hi)
			{
				int			c = DqRuleCmp(r, values[0], r->hi);

				if (c > 0 || (c == 0 && r->strict_hi))
					return DQ_UNEXPECTED;
			}
			return DQ_EXPECTED;
		case DQ_K_IN_SET:
			if (r->no_constraint)
				return DQ_EXPECTED;
			return DqInSet(r, values[0]) ? DQ_EXPECTED : DQ_UNEXPECTED;
		case DQ_K_NOT_IN_SET:
			return DqInSet(r, values[0]) ? DQ_UNEXPECTED : DQ_EXPECTED;
		case DQ_K_REGEX:
		case DQ_K_NOT_REGEX:
		case DQ_K_REGEX_LIST:
		case DQ_K_NOT_REGEX_LIST:
			{
				text	   *val = DqValueText(&r->cols[0], values[0]);
				int			nmatch = 0;
				ListCell   *lc;
				bool		hit;
				bool		ok;
				DqOutcomeSlot *slot;

				/*
				 * The automata answer for ASCII values faster than the
				 * outcome cache could look them up; the cache serves the
				 * values they leave to PostgreSQL's engine.
				 */
				if (r->regex_all_fast)
				{
					int			n = list_length(r->patterns);

					for (i = 0; i < n; i++)
					{
						int			m = DqRegexFastMatch(r->regex_fast[i], VARDATA_ANY(val),
														 VARSIZE_ANY_EXHDR(val));

						if (m == DQ_RX_UNKNOWN)
							break;
						nmatch += m;
					}
					if (i == n)
						return DqRegexVerdict(r, nmatch) ? DQ_EXPECTED : DQ_UNEXPECTED;
					nmatch = 0;
				}
				slot = DqOutcomeSlotFor(r, VARDATA_ANY(val), VARSIZE_ANY_EXHDR(val), &hit);
				if (hit)
					return slot->outcome ? DQ_EXPECTED : DQ_UNEXPECTED;
				foreach(lc, r->patterns)
				{
					DqRegexFast *fa = r->regex_fast[foreach_current_index(lc)];
					int			m = DQ_RX_UNKNOWN;

					if (fa != NULL)
						m = DqRegexFastMatch(fa, VARDATA_ANY(val), VARSIZE_ANY_EXHDR(val));
					if (m == DQ_RX_UNKNOWN)
						m = DqRegexMatch(r, lfirst(lc), val) ? DQ_RX_MATCH : DQ_RX_NO_MATCH;
					nmatch += m;
				}
				ok = DqRegexVerdict(r, nmatch);
				if (slot != NULL)
					slot->outcome = ok;
				return ok ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_LIKE:
		case DQ_K_NOT_LIKE:
			{
				text	   *val = DqValueText(&r->cols[0], values[0]);
				bool		m = DatumGetBool(DirectFunctionCall2Coll(textlike,
																	 r->cols[0].collation ? r->cols[0].collation : DEFAULT_COLLATION_OID,
																	 PointerGetDatum(val),
																	 PointerGetDatum(linitial(r->patterns))));

				return (m == (r->def->kind == DQ_K_LIKE)) ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
		case DQ_K_LEN_BETWEEN:
		case DQ_K_LEN_EQUAL:
			{
				text	   *val = DqValueText(&r->cols[0], values[0]);
				int			len;

				if (r->cols[0].bpchar)
					len = DatumGetInt32(DirectFunctionCall1(bpcharlen, PointerGetDatum(val)));
				else
					len = DqCharLength(VARDATA_ANY(val), VARSIZE_ANY_EXHDR(val));
				if (r->len_lo >= 0 && (len < r->len_lo || (len == r->len_lo && r->strict_lo)))
					return DQ_UNEXPECTED;
				if (r->len_hi >= 0 && (len > r->len_hi || (len == r->len_hi && r->strict_hi)))
					return DQ_UNEXPECTED;
				return DQ_EXPECTED;
			}
		case DQ_K_PARSEABLE:
			return DqParses(r, OutputFunctionCall(&r->cols[0].out, values[0])) ?
				DQ_EXPECTED : DQ_UNEXPECTED;
		default:
			return DqEvalGeKind(r, values, isnull);
	}
	elog(ERROR, "unexpected expectation kind %d", (int) r->def->kind);
	return DQ_MISSING;			/* keep compiler quiet */
}

/*
 * The query of a grouped kind (uniqueness) on relation qualname: GE's
 * counts as jsonb {element_count, missing_count, unexpected_count,
 * partial}.  Every copy of a duplicated key is unexpected; rows with a NULL
 * in the key are missing; the partial list repeats each duplicated key
 * once per copy, in key order, up to partial_max entries.
 */
char *
DqGroupedSql(DqRule *r, const char *qualname, int partial_max)
{
	const char *col = r->ncols > 0 ? quote_identifier(r->cols[0].name) : NULL;

	if (r->def->kind == DQ_K_ZSCORE)
		return DqZScoreSql(r, qualname, partial_max);
	if (r->def->kind == DQ_K_ROW_CONDITION)
		return psprintf("WITH t AS (SELECT pg_catalog.count(*) AS n, "
						"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m, "
						"                  pg_catalog.count(*) FILTER (WHERE NOT %s) AS u FROM %s) "
						"SELECT pg_catalog.jsonb_build_object("
						"'element_count', t.n, 'missing_count', t.m, 'unexpected_count', t.u, "
						"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(x.j) FROM "
						"   (SELECT pg_catalog.to_jsonb(r) AS j FROM %s r WHERE NOT %s LIMIT %d) x), "
						"   '[]'::pg_catalog.jsonb)) FROM t",
						r->condition, r->condition, qualname, qualname, r->condition, partial_max);
	if (r->def->kind == DQ_K_EXIST_IN)
		return psprintf("WITH t AS (SELECT pg_catalog.count(*) AS n, "
						"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m FROM %s), "
						"     bad AS (SELECT s.%s AS v FROM %s s WHERE s.%s IS NOT NULL AND NOT EXISTS "
						"              (SELECT 1 FROM %s o WHERE s.%s %s o.%s)) "
						"SELECT pg_catalog.jsonb_build_object("
						"'element_count', t.n, 'missing_count', t.m, "
						"'unexpected_count', (SELECT pg_catalog.count(*) FROM bad), "
						"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x.v)) FROM "
						"   (SELECT v FROM bad LIMIT %d) x), '[]'::pg_catalog.jsonb)) FROM t",
						col, qualname, col, qualname, col, r->other_rel, col, r->op_sql, r->other_col,
						partial_max);
	if (r->def->kind == DQ_K_INCREASING || r->def->kind == DQ_K_DECREASING)
	{
		/* each non-NULL value against the previous non-NULL value */
		const char *op = r->op_sql;

		return psprintf("WITH w AS (SELECT %s AS v, pg_catalog.lag(%s) OVER (ORDER BY %s) AS p, "
						"                  pg_catalog.row_number() OVER (ORDER BY %s) AS k "
						"             FROM %s WHERE %s IS NOT NULL), "
						"     t AS (SELECT pg_catalog.count(*) AS n, "
						"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m FROM %s), "
						"     bad AS (SELECT v, k FROM w WHERE p IS NOT NULL AND NOT (v %s p)) "
						"SELECT pg_catalog.jsonb_build_object("
						"'element_count', t.n, 'missing_count', t.m, "
						"'unexpected_count', (SELECT pg_catalog.count(*) FROM bad), "
						"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x.v) ORDER BY x.k) FROM "
						"   (SELECT v, k FROM bad ORDER BY k LIMIT %d) x), '[]'::pg_catalog.jsonb)) FROM t",
						col, col, r->order_by, r->order_by, qualname, col, col, qualname, op, partial_max);
	}
	return psprintf("WITH dups AS (SELECT %s AS v, pg_catalog.count(*) AS c FROM %s "
					"              WHERE %s GROUP BY %s HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1), "
					"     t AS (SELECT pg_catalog.count(*) AS n, "
					"                  pg_catalog.count(*) FILTER (WHERE NOT (%s)) AS m FROM %s) "
					"SELECT pg_catalog.jsonb_build_object("
					"'element_count', t.n, 'missing_count', t.m, "
					"'unexpected_count', (SELECT COALESCE(pg_catalog.sum(d.c), 0) FROM dups d), "
					"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(x.v) FROM "
					"   (SELECT d.v FROM dups d, pg_catalog.generate_series(1, d.c) g "
					"     ORDER BY d.v LIMIT %d) x), '[]'::pg_catalog.jsonb)) FROM t",
					r->group_value, qualname, r->group_notnull, r->group_keys,
					r->group_notnull, qualname, partial_max);
}

/*
 * Fill a check state from counts as jsonb: element_count, missing_count,
 * unexpected_count, "partial" (the first unexpected values) and, with
 * COMPLETE, "complete" (or, without it, every value of "partial").  Both
 * dq.expect_rows and the own queries of grouped kinds return this shape.
 */
void
DqCountsFromJsonb(JsonbContainer *obj, DqCheckState *cs)
{
	List	   *partial = DqJsonbArrayTexts(DqJsonbGet(obj, "partial"));

	cs->element_count = DqJsonbGetInt64(obj, "element_count");
	cs->missing_count = DqJsonbGetInt64(obj, "missing_count");
	cs->unexpected_count = DqJsonbGetInt64(obj, "unexpected_count");
	cs->partial = list_truncate(list_copy(partial), cs->partial_max);
	if (cs->format == DQ_RF_COMPLETE)
	{
		JsonbValue *complete = DqJsonbGet(obj, "complete");

		cs->complete = complete ? DqJsonbArrayTexts(complete) : partial;
	}
}

/*
 * The query of a kind that computes its observed value on its own
 * (most common value, row count of another table), as jsonb
 * {"observed_value", "success"}.
 */
char *
DqQuerySql(DqRule *r, const char *qualname)
{
	if (r->def->kind == DQ_K_UNEXPECTED_ROWS)
		return DqUnexpectedRowsSql(r);
	if (r->def->kind == DQ_K_MOST_COMMON_IN_SET)
	{
		const char *col = quote_identifier(r->cols[0].name);

		/*
		 * GE: with ties_okay, success when any of the (tied) most common
		 * values is in the set; without, when there is one and it is
		 */
		return psprintf("WITH c AS (SELECT %s AS v, pg_catalog.count(*) AS n FROM %s "
						"            GROUP BY %s), "
						"     top AS (SELECT v FROM c WHERE v IS NOT NULL AND n OPERATOR(pg_catalog.=) "
						"              (SELECT pg_catalog.max(n) FROM c WHERE v IS NOT NULL)) "
						"SELECT pg_catalog.jsonb_build_object("
						"'observed_value', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v) ORDER BY v) FROM top), "
						"'element_count', (SELECT COALESCE(pg_catalog.sum(n), 0) FROM c), "
						"'missing_count', (SELECT COALESCE(pg_catalog.sum(n), 0) FROM c WHERE v IS NULL), "
						"'success', COALESCE((SELECT %s FROM top), false))",
						col, qualname, col,
						r->strictly ?
						psprintf("pg_catalog.bool_or(v %s ANY (%s))", r->op_sql, r->set_sql) :
						psprintf("pg_catalog.count(*) OPERATOR(pg_catalog.=) 1 AND "
								 "pg_catalog.bool_and(v %s ANY (%s))", r->op_sql, r->set_sql));
	}
	/* DQ_K_ROW_COUNT_OTHER */
	return psprintf("SELECT pg_catalog.jsonb_build_object("
					"'observed_value', pg_catalog.jsonb_build_object('self', a.n, 'other', b.n), "
					"'success', a.n OPERATOR(pg_catalog.=) b.n) "
					"FROM (SELECT pg_catalog.count(*) AS n FROM %s) a, "
					"     (SELECT pg_catalog.count(*) AS n FROM %s) b",
					qualname, r->other_rel);
}

/* ---------------------------------------------------------------------
 * Whose rights an expectation runs with
 * ---------------------------------------------------------------------
 */

/*
 * Kinds whose SQL the expectation's owner chose beyond the relation
 * itself -- a row condition, a second relation to read -- run as that
 * owner, who must be able to read what they read; every other kind runs as
 * the relation's owner (see DqCompileRuleFor and docs/security.md).
 */
bool
DqKindRunsAsExpectationOwner(const DqKindDef *def)
{
	return def->kind == DQ_K_ROW_CONDITION || def->kind == DQ_K_EXIST_IN ||
		def->kind == DQ_K_ROW_COUNT_OTHER || def->kind == DQ_K_UNEXPECTED_ROWS;
}

/*
 * The columns of the relation whose values a rule reads and its result may
 * show, as a list of attribute numbers; *whole_row when it reads every
 * column (a row condition).  An empty list for table-level kinds.
 */
List *
DqRuleAttnums(DqRule *r, bool *whole_row)
{
	List	   *attnums = NIL;
	int			i;

	*whole_row = (r->def->kind == DQ_K_ROW_CONDITION);
	if (*whole_row || r->def->scope == DQ_SCOPE_METADATA)
		return NIL;
	for (i = 0; i < r->ncols; i++)
	{
		AttrNumber	att = get_attnum(r->runas_relid, r->cols[i].name);

		if (att > 0 && !list_member_int(attnums, att))
			attnums = lappend_int(attnums, att);
	}
	if (r->order_by != NULL)
	{
		char	   *ord = DqParamText(r->def, "order_by", DqParam(r->params, "order_by"));
		AttrNumber	att = get_attnum(r->runas_relid, ord);

		if (att > 0 && !list_member_int(attnums, att))
			attnums = lappend_int(attnums, att);
	}
	return attnums;
}

/* what DqDryParseFn parses */
typedef struct DqDryParseArgs
{
	const char *sql;
} DqDryParseArgs;

static void
DqDryParseFn(void *arg)
{
	DqDryParseArgs *dp = arg;
	SPIPlanPtr	plan;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(dp->sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", dp->sql,
			 SPI_result_code_string(SPI_result));
	SPI_freeplan(plan);
	SPI_finish();
}

/*
 * Parse (without running) the SQL of an aggregate, grouped or query kind,
 * so that a kind that cannot work on the column's type -- min and max of
 * bytea, uniqueness of json -- is refused when it is defined rather than
 * failing every later validation.  Parsing resolves the functions and
 * operators and finds the sort and equality operators GROUP BY, DISTINCT
 * and ORDER BY need.
 */
static void
DqDryParse(DqRule *r, const char *qualname)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	DqDryParseArgs dp;

	if (r->def->scope == DQ_SCOPE_AGGREGATE)
		dp.sql = psprintf("SELECT %s FROM %s", r->agg_sql, qualname);
	else if (r->def->scope == DQ_SCOPE_GROUPED)
		dp.sql = DqGroupedSql(r, qualname, 1);
	else if (r->def->scope == DQ_SCOPE_QUERY)
		dp.sql = DqQuerySql(r, qualname);
	else
		return;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		DqDryParseFn(&dp);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (r->ncols > 0 &&
			(edata->sqlerrcode == ERRCODE_UNDEFINED_FUNCTION ||
			 edata->sqlerrcode == ERRCODE_AMBIGUOUS_FUNCTION ||
			 edata->sqlerrcode == ERRCODE_DATATYPE_MISMATCH))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s does not apply to column \"%s\" of type %s",
							r->def->name, r->cols[0].name,
							format_type_be(r->cols[0].typid)),
					 errdetail("%s", edata->message),
					 errhint("Use a kind that applies to this type, or cast the column in a view.")));
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * Compile an expectation of relation src->relid, defined by role expowner
 * (InvalidOid when that role is gone), the way dq.validate and dq.check run
 * it (docs/security.md, "Expectations, profiles and stored values"):
 *
 * - as the relation's owner, restricted, with search_path pinned: the
 *   relation's code (functions in a view, row-level security policies,
 *   the input functions and CHECK constraints of its column types, which
 *   parse bounds and value sets) never runs as whoever validates;
 * - except the kinds whose SQL the expectation's owner chose (a row
 *   condition, a second relation to read), which run as that owner, who
 *   must be able to read every relation they read -- checked here, at
 *   definition and at every run;
 * - the type named by parseable_as may run as the relation's owner only if
 *   DqCheckTypeMayRunAs allows it.
 *
 * The SQL of aggregate, grouped and query kinds is parsed now (DqDryParse).
 * r->runas tells the role the rule's queries must run as.
 */
DqRule *
DqCompileRuleFor(const DqColumnSource *src, Oid expowner, const char *kind,
				 const char *column, Jsonb *params, double mostly)
{
	const DqKindDef *def = DqLookupKind(kind);
	Oid			relowner = DqRelationOwner(src->relid);
	Oid			runas = relowner;
	DqOwnerContext ctx;
	DqRule	   *r;

	if (DqKindRunsAsExpectationOwner(def))
	{
		if (!OidIsValid(expowner))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("the role that defined this expectation does not exist any more"),
					 errdetail("%s runs as the role that defined it.", def->name),
					 errhint("Drop the expectation and define it again.")));
		runas = expowner;
		DqCheckRoleCanSelect(expowner, src->relid, NIL,
							 def->kind == DQ_K_ROW_CONDITION,
							 psprintf("%s reads the relation with the rights of the role that defined it.",
									  def->name));
	}
	DqBecomeOwner(runas, &ctx);
	r = DqCompileRule(src, kind, column, params, mostly);
	r->runas = runas;
	r->runas_relid = src->relid;
	if (def->kind == DQ_K_PARSEABLE)
		DqCheckTypeMayRunAs(r->parse_typid, expowner, relowner,
							"parameter \"type\" of expect_column_values_to_be_parseable_as");
	if (def->kind == DQ_K_EXIST_IN || def->kind == DQ_K_ROW_COUNT_OTHER)
	{
		List	   *cols = NIL;
		bool		dummy;

		/* the confused deputy: read nothing for a role it may not read */
		if (def->kind == DQ_K_EXIST_IN)
		{
			DqCheckRoleCanSelect(expowner, src->relid, DqRuleAttnums(r, &dummy), false,
								 psprintf("%s reads the relation with the rights of the role that defined it.",
										  def->name));
			cols = list_make1_int(r->other_attnum);
		}
		DqCheckRoleCanSelect(expowner, r->other_relid, cols, false,
							 psprintf("%s reads relation %s with the rights of the role that defined it.",
									  def->name, r->other_rel));
	}
	DqDryParse(r, src->qualname);
	DqRestoreUser(&ctx);
	return r;
}

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

/*
 * The parameters of an expectation with the relation and type names they
 * hold in a form that means the same under the pinned search_path (see
 * DqCanonicalRelation); call with the definer's search_path in effect.
 */
Jsonb *
DqCanonicalParams(const char *kind, Jsonb *params)
{
	const DqKindDef *def = DqLookupKind(kind);
	const char *key = NULL;
	bool		relation = false;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(params))
		return params;
	switch (def->kind)
	{
		case DQ_K_EXIST_IN:
			key = "to_table";
			relation = true;
			break;
		case DQ_K_ROW_COUNT_OTHER:
			key = "other_table_name";
			relation = true;
			break;
		case DQ_K_PARSEABLE:
			key = "type";
			break;
		case DQ_K_OF_TYPE:
			key = "type_";
			break;
		case DQ_K_IN_TYPE_LIST:
			{
				List	   *names;
				ListCell   *lc;
				StringInfoData buf;
				bool		changed = false;

				v = DqParam(params, "type_list");
				if (DqParamIsNull(v) || v->type != jbvBinary ||
					!JsonContainerIsArray(v->val.binary.data))
					return params;
				names = DqParamArray(def, params, "type_list", false);
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
					changed |= (canon != NULL);
				}
				appendStringInfoChar(&buf, ']');
				return changed ? DqParamsWith(params, "type_list", buf.data) : params;
			}
		default:
			return params;
	}
	v = DqParam(params, key);
	if (v == NULL || v->type != jbvString)
		return params;
	{
		char	   *name = pnstrdup(v->val.string.val, v->val.string.len);
		char	   *canon = relation ? DqCanonicalRelation(name) : DqCanonicalType(name);
		StringInfoData buf;

		if (canon == NULL)
			return params;
		initStringInfo(&buf);
		escape_json(&buf, canon);
		return DqParamsWith(params, key, buf.data);
	}
}
