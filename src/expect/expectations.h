/*-------------------------------------------------------------------------
 *
 * expectations.h
 *	  Row-level expectations: the catalogue of kinds, compiled rules and
 *	  their evaluation on Datums.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_EXPECTATIONS_H
#define DQ_EXPECTATIONS_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

typedef enum DqKind
{
	DQ_K_NOT_NULL,
	DQ_K_NULL,
	DQ_K_BETWEEN,
	DQ_K_IN_SET,
	DQ_K_NOT_IN_SET,
	DQ_K_REGEX,
	DQ_K_NOT_REGEX,
	DQ_K_REGEX_LIST,
	DQ_K_NOT_REGEX_LIST,
	DQ_K_LIKE,
	DQ_K_NOT_LIKE,
	DQ_K_LEN_BETWEEN,
	DQ_K_LEN_EQUAL,
	DQ_K_PARSEABLE,
	DQ_K_PAIR_EQUAL,
	DQ_K_PAIR_GT,
	DQ_K_MULTI_SUM,
	DQ_K_UNIQUE_WITHIN,
	/* column aggregates: one statistic of the column */
	DQ_K_MIN_BETWEEN,
	DQ_K_MAX_BETWEEN,
	DQ_K_MEAN_BETWEEN,
	DQ_K_MEDIAN_BETWEEN,
	DQ_K_SUM_BETWEEN,
	DQ_K_STDEV_BETWEEN,
	DQ_K_UNIQUE_COUNT_BETWEEN,
	DQ_K_UNIQUE_PROPORTION_BETWEEN,
	DQ_K_MAX_RECENT,
	/* table-level */
	DQ_K_ROW_COUNT_BETWEEN,
	DQ_K_ROW_COUNT_EQUAL,
	DQ_K_COLUMN_COUNT_EQUAL,
	DQ_K_COLUMN_EXISTS,
	DQ_K_COLUMNS_ORDERED,
	DQ_K_COLUMNS_SET,
	DQ_K_DISTINCT_IN_SET,
	DQ_K_DISTINCT_CONTAIN_SET,
	DQ_K_DISTINCT_EQUAL_SET,
	DQ_K_QUANTILES_BETWEEN,
	/* grouped: their own GROUP BY query */
	DQ_K_UNIQUE,
	DQ_K_COMPOUND_UNIQUE,
	DQ_K_EXIST_IN,
	DQ_K_INCREASING,
	DQ_K_DECREASING,
	/* own query giving observed_value and success */
	DQ_K_MOST_COMMON_IN_SET,
	DQ_K_ROW_COUNT_OTHER,
	/* the column's type */
	DQ_K_OF_TYPE,
	DQ_K_IN_TYPE_LIST,
	/* a custom SQL condition, evaluated as the expectation's owner */
	DQ_K_ROW_CONDITION,
	/* GE's kinds of ge_kinds.c */
	DQ_K_JSON_PARSEABLE,
	DQ_K_DATEUTIL_PARSEABLE,
	DQ_K_JSON_SCHEMA,
	DQ_K_LIKE_LIST,
	DQ_K_NOT_LIKE_LIST,
	DQ_K_STRFTIME,
	DQ_K_PAIR_IN_SET,
	DQ_K_MULTI_UNIQUE,
	DQ_K_COLUMN_COUNT_BETWEEN,
	DQ_K_ZSCORE,
	DQ_K_UNEXPECTED_ROWS,
	DQ_K_READABLE_ONLY_BY,
	/* GE's distributional kinds of ge_distribution.c */
	DQ_K_KL_DIVERGENCE,
	DQ_K_CHISQUARE,
	DQ_K_BOOTSTRAPPED_KS,
	DQ_K_PARAMETERIZED_KS,
	DQ_K_CRAMERS_PHI
} DqKind;

typedef enum DqScope
{
	DQ_SCOPE_MAP = 0,			/* evaluated on every row */
	DQ_SCOPE_AGGREGATE,			/* a statistic computed by the scan */
	DQ_SCOPE_METADATA,			/* the relation's shape, no scan */
	DQ_SCOPE_GROUPED,			/* counts like a row-level kind, from its own query */
	DQ_SCOPE_QUERY				/* observed_value and success from its own query */
} DqScope;

typedef struct DqKindDef
{
	const char *name;			/* Great Expectations' name */
	DqKind		kind;
	int			ncols;			/* 1, 2 (column_A/B) or -1 (column_list) */
	int			nreq;			/* the first nreq params are required */
	const char *const *params;	/* NULL-terminated */
	const char *description;
	DqScope		scope;
} DqKindDef;

/* the columns rules may read: a relation's, or an aggregate's arguments */
typedef struct DqColumnSource
{
	int			ncols;
	char	  **names;
	Oid		   *typids;
	Oid		   *collations;
	const char *relname;		/* for messages */
	const char *qualname;		/* for hints */
	Oid			relid;			/* the relation, when there is one */
} DqColumnSource;

/* one input column of a rule */
typedef struct DqRuleColumn
{
	char	   *name;
	int			srcindex;		/* position in the DqColumnSource */
	Oid			typid;
	Oid			collation;
	bool		textual;		/* a string type stored as text: no conversion */
	bool		bpchar;			/* char(n): trailing blanks do not count */
	FmgrInfo	out;			/* output function (text form of values) */
} DqRuleColumn;

/* GE's ignore_row_if: which rows of a pair or multicolumn kind are missing */
typedef enum DqIgnoreRow
{
	DQ_IGNORE_ALL_MISSING,		/* both_values_are_missing, all_values_are_missing */
	DQ_IGNORE_ANY_MISSING,		/* either_value_is_missing, any_value_is_missing */
	DQ_IGNORE_NEVER				/* never, neither */
} DqIgnoreRow;

/* outcome of one row */
typedef enum DqOutcome
{
	DQ_MISSING,					/* not tested (NULL input) */
	DQ_EXPECTED,
	DQ_UNEXPECTED
} DqOutcome;

typedef struct DqRule
{
	const DqKindDef *def;
	int			ncols;
	DqRuleColumn *cols;
	double		mostly;
	Jsonb	   *params;

	/* comparisons (between, sets, pair): the first column's type */
	FmgrInfo   *cmp;
	Oid			cmp_base;		/* base type compared (inline fast paths) */
	bool		cmp_bytes;		/* text/varchar in a byte-order collation */
	bool		has_lo;
	bool		has_hi;
	bool		strict_lo;
	bool		strict_hi;
	Datum		lo;
	Datum		hi;
	bool		num_fast;		/* numeric between: lo_d, hi_d usable */
	double		lo_d;			/* bounds as doubles (-/+Infinity if absent) */
	double		hi_d;
	int32		len_lo;			/* lengths: -1 when absent */
	int32		len_hi;
	Datum	   *set;			/* sorted, NULLs removed */
	int			nset;
	List	   *patterns;		/* text * of regexes or LIKE patterns */
	struct DqOutcomeCache *outcome_cache;	/* regex kinds: see DqCachedOutcome */
	struct DqRegexFast **regex_fast;	/* regex kinds: per pattern, its
										 * automaton or NULL (regex_fast.c) */
	bool		regex_all_fast; /* every pattern has its automaton */
	bool		match_all;		/* regex_list: match_on = all */
	bool		or_equal;
	Oid			parse_typid;	/* parseable_as: the type named */
	Oid			parse_typinput;
	Oid			parse_typioparam;
	bool		parse_safe;		/* its input is a known-safe built-in */
	bool		untrusted_code; /* parsing params or values runs code that
								 * is not a known-safe built-in (a domain's
								 * CHECK, another role's type): no parallel
								 * workers, subtransactions around it */
	Oid			runas;			/* role whose rights it runs with
								 * (DqCompileRuleFor), else InvalidOid */
	Oid			runas_relid;	/* the relation DqCompileRuleFor compiled
								 * it for */
	Oid			other_relid;	/* exist_in, row count of another table */
	AttrNumber	other_attnum;	/* exist_in: to_column */
	Datum		sum_total;		/* numeric */
	MemoryContext cxt;			/* where the rule lives */

	/*
	 * Aggregate kinds: a jsonb expression over the scanned rows giving
	 * {"observed_value": ..., "success": ...}.  Metadata kinds: the outcome,
	 * known at compile time.
	 */
	char	   *agg_sql;
	char	   *group_keys;		/* grouped kinds: GROUP BY list */
	char	   *group_notnull;	/* the rows whose key has no NULL */
	char	   *group_value;	/* the key as jsonb, for the partial list */
	char	   *other_rel;		/* another relation (qualified, quoted) */
	char	   *other_col;		/* its column (quoted) */
	char	   *order_by;		/* ordering column for increasing/decreasing */
	char	   *op_sql;			/* the operator grouped/query SQL compares
								 * with, schema-qualified */
	char	   *set_sql;		/* most common value: the set as an SQL array */
	char	   *condition;		/* row condition: one checked SQL expression */
	bool		strictly;
	bool		meta_success;
	char	   *meta_result;	/* JSON text of "result" members */
	DqIgnoreRow ignore_row;		/* pair and multicolumn kinds */
	bool		no_constraint;	/* a null value_set, type_list, ...: GE's
								 * "no constraint" */
	Oid			pair_common;	/* pair of numeric columns of different types:
								 * the type both are compared as */
	struct DqKindExt *ext;		/* state of the kinds of ge_kinds.c */
} DqRule;

extern const DqKindDef *DqLookupKind(const char *name);
extern char *DqKindParamList(const DqKindDef *def);
/* COMPLETE lists at most this many unexpected values */
#define DQ_COMPLETE_MAX 10000

typedef enum DqResultFormat
{
	DQ_RF_BOOLEAN_ONLY,
	DQ_RF_BASIC,
	DQ_RF_SUMMARY,
	DQ_RF_COMPLETE
} DqResultFormat;

/* what a scan found for one expectation */
typedef struct DqCheckState
{
	int64		element_count;
	int64		missing_count;
	int64		unexpected_count;
	List	   *partial;		/* JSON texts of the first unexpected values */
	List	   *complete;		/* COMPLETE: up to DQ_COMPLETE_MAX of them */
	int			partial_max;
	DqResultFormat format;
} DqCheckState;

extern void DqParseResultFormat(Jsonb *params, DqCheckState *cs);
extern double DqResolveMostly(Jsonb *params, bool has_arg, double arg, bool *has_mostly);
extern Datum DqCheckResult(DqRule *r, DqCheckState *cs, const char *column,
						   Jsonb *params, bool has_mostly);
extern void DqCountsFromJsonb(JsonbContainer *obj, DqCheckState *cs);
extern char *DqGroupedSql(DqRule *r, const char *qualname, int partial_max);
extern char *DqQuerySql(DqRule *r, const char *qualname);
extern Datum DqRunQueryKind(DqRule *r, const char *qualname, const char *column,
							 Jsonb *params, bool has_mostly);
extern void DqRunGrouped(DqRule *r, const char *qualname, DqCheckState *cs);
extern Datum DqAggregateFromJsonb(DqRule *r, const char *column, Jsonb *params,
								  bool has_mostly, Jsonb *agg);
extern Datum DqAggregateResult(DqRule *r, const char *column, Jsonb *params,
							   bool has_mostly, bool success, const char *result_members);
extern void DqColumnSourceFromRelation(Relation rel, DqColumnSource *src);
extern DqRule *DqCompileRule(const DqColumnSource *src, const char *kind,
							 const char *column, Jsonb *params, double mostly);
extern bool DqKindRunsAsExpectationOwner(const DqKindDef *def);
extern DqRule *DqCompileRuleFor(const DqColumnSource *src, Oid expowner,
								const char *kind, const char *column,
								Jsonb *params, double mostly);
extern Jsonb *DqCanonicalParams(const char *kind, Jsonb *params);
extern List *DqRuleAttnums(DqRule *r, bool *whole_row);
extern char *DqUnexpectedJson(DqRule *r, Datum *values, bool *isnull);
extern void DqAppendDatumJson(StringInfo buf, Oid typid, FmgrInfo *out, Datum value);
extern DqOutcome DqEvalRule(DqRule *rule, Datum *values, bool *isnull);

/* changes change validation checks an expectation on (DqCdcOperations) */
#define DQ_CDC_INSERT 1
#define DQ_CDC_UPDATE 2
#define DQ_CDC_DELETE 4
extern int	DqCdcOperations(Jsonb *params);

#endif							/* DQ_EXPECTATIONS_H */
