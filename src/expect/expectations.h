/*-------------------------------------------------------------------------
 *
 * expectations.h
 *	  Expectations: the registry of kinds, compiled rules and their
 *	  evaluation on Datums, and Great Expectations' validation results.
 *
 * What a kind is -- its name, columns and parameters, the checks of its
 * parameters and how it is evaluated -- is said in one place: its row of
 * a DqKindDef table and the callbacks the row names, in the kinds_*.c file
 * of its way of evaluation (kinds.c lists the tables).  Everything else
 * (dq.check, dq.validate's one scan, the change validator's decoder) goes
 * through the functions below and never asks which kind it has.
 *
 * The change validator's decoder (cdc/decoder.c) compiles and evaluates
 * row rules through this header: DqLookupKind, DqCompileRule, DqEvalRule,
 * DqUnexpectedJson and DqCdcOperations.
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

/*
 * Identity of the kinds that code outside their own file names: the
 * decoder hands row conditions to its worker, which runs them as SQL.
 * Every other kind is DQ_K_OTHER; nothing dispatches on this.
 */
typedef enum DqKind
{
	DQ_K_OTHER = 0,
	DQ_K_ROW_CONDITION
} DqKind;

/* how a kind is evaluated: which callbacks of its row it has */
typedef enum DqScope
{
	DQ_SCOPE_MAP = 0,			/* on every row: eval */
	DQ_SCOPE_AGGREGATE,			/* a statistic of dq.validate's one scan:
								 * aggregate */
	DQ_SCOPE_METADATA,			/* the relation's shape, no scan: metadata */
	DQ_SCOPE_GROUPED,			/* counts like a row kind, from its own query:
								 * query */
	DQ_SCOPE_QUERY				/* observed_value and success from its own
								 * query: query (and run) */
} DqScope;

/* DqKindDef.flags */
#define DQ_KIND_COUNTS_NULLS	0x01	/* NULL rows are tested, not missing */
#define DQ_KIND_RUNS_AS_DEFINER	0x02	/* runs as the expectation's owner,
										 * who chose SQL or a relation
										 * beyond the checked one */
#define DQ_KIND_READS_WHOLE_ROW	0x04	/* reads every column of the row */
#define DQ_KIND_NAMES_COLUMN	0x08	/* table-level, yet takes column_name
										 * (which need not exist) */
#define DQ_KIND_LISTED_AS_COLUMN 0x10	/* GE's column map kind, listed with
										 * scope "column" though it reads
										 * only the column's type */
#define DQ_KIND_NEGATED			0x20	/* the "not" form of its compile
										 * function's test (not_in_set,
										 * not_match_regex, ...) */

/* a parameter that names a database object (DqCanonicalParams) */
typedef enum DqNamedObject
{
	DQ_NAMES_NOTHING = 0,
	DQ_NAMES_RELATION,
	DQ_NAMES_TYPE,
	DQ_NAMES_TYPE_LIST
} DqNamedObject;

typedef struct DqKindDef DqKindDef;
typedef struct DqRule DqRule;
typedef struct DqColumnSource DqColumnSource;

/* outcome of one row */
typedef enum DqOutcome
{
	DQ_MISSING,					/* not tested (NULL input) */
	DQ_EXPECTED,
	DQ_UNEXPECTED
} DqOutcome;

/* the SQL of an aggregate kind, one expression each */
typedef struct DqAggregateSql
{
	const char *observed;		/* the statistic */
	const char *success;		/* boolean test of it */
	const char *details;		/* jsonb for result.details, or NULL */
} DqAggregateSql;

/*
 * The callbacks of a kind.  compile checks the parameters (raising their
 * errors before any row is read) and keeps what evaluation needs in the
 * rule; the others are called by scope:
 *
 *	eval		MAP: the outcome of one row (values and isnull hold the rule's
 *				columns in order; a NULL in the column of a single-column
 *				kind is missing before eval is called, unless the kind
 *				counts NULLs).  Allocates in the current, per-row context.
 *	aggregate	AGGREGATE: the statistic and its test as SQL expressions over
 *				the scanned rows (called when the rule is compiled).
 *	metadata	METADATA: decide r->meta_success and r->meta_result from the
 *				columns (called when the rule is compiled).
 *	query		GROUPED: a query giving the counts as jsonb {element_count,
 *				missing_count, unexpected_count, partial}; QUERY: one giving
 *				{observed_value, success}.  partial_max bounds "partial".
 *	run			QUERY kinds that run their query themselves: the result.
 */
typedef void (*DqKindCompileFn) (DqRule *r, const DqColumnSource *src,
								 const char *column);
typedef DqOutcome (*DqKindEvalFn) (DqRule *r, const Datum *values,
								   const bool *isnull);
typedef void (*DqKindAggregateFn) (DqRule *r, DqAggregateSql *sql);
typedef void (*DqKindMetadataFn) (DqRule *r, const DqColumnSource *src,
								  const char *column);
typedef char *(*DqKindQueryFn) (DqRule *r, const char *qualname,
								int partial_max);
typedef Datum (*DqKindRunFn) (DqRule *r, const char *column, Jsonb *params,
							  bool has_mostly);

struct DqKindDef
{
	const char *name;			/* Great Expectations' name */
	int			ncols;			/* 0 (table), 1 (column), 2 (column_A,
								 * column_B) or -1 (column_list) */
	int			nreq;			/* the first nreq params are required */
	const char *const *params;	/* NULL-terminated */
	const char *description;
	DqScope		scope;
	int			flags;			/* DQ_KIND_* */
	DqKind		kind;
	const char *named_param;	/* a parameter naming an object, and what */
	DqNamedObject named;
	DqKindCompileFn compile;	/* may be NULL: nothing to check */
	DqKindEvalFn eval;
	DqKindAggregateFn aggregate;
	DqKindMetadataFn metadata;
	DqKindQueryFn query;
	DqKindRunFn run;
};

/* the columns rules may read: a relation's, or an aggregate's arguments */
struct DqColumnSource
{
	int			ncols;
	char	  **names;
	Oid		   *typids;
	Oid		   *collations;
	const char *relname;		/* for messages */
	const char *qualname;		/* for hints */
	Oid			relid;			/* the relation, when there is one */
};

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

/*
 * A compiled expectation.  The fields here are those every kind may use;
 * a kind keeps its own compiled parameters in *state, a struct of its
 * file.
 */
struct DqRule
{
	const DqKindDef *def;
	DqKindEvalFn eval;			/* MAP: def->eval, or the variant compile
								 * chose for the column's type */
	bool		nulls_missing;	/* a NULL in the only column is missing */
	int			ncols;
	DqRuleColumn *cols;
	double		mostly;
	Jsonb	   *params;
	MemoryContext cxt;			/* where the rule lives */
	DqIgnoreRow ignore_row;		/* pair and multicolumn kinds */

	/* comparing values of the first column (DqRequireCmp) */
	FmgrInfo   *cmp;
	Oid			cmp_base;		/* base type compared (inline fast paths) */
	bool		cmp_bytes;		/* text/varchar in a byte-order collation */

	/* whose code runs, and what else is read */
	bool		untrusted_code; /* parsing params or values runs code that
								 * is not a known-safe built-in (a domain's
								 * CHECK, another role's type): no parallel
								 * workers, subtransactions around it */
	Oid			named_type;		/* a type named in params whose input
								 * function evaluation calls */
	const char *named_type_param;	/* ... and that parameter's name */
	Oid			runas;			/* role whose rights it runs with
								 * (DqCompileRuleFor), else InvalidOid */
	Oid			runas_relid;	/* the relation DqCompileRuleFor compiled
								 * it for */
	Oid			other_relid;	/* a second relation read, or InvalidOid */
	AttrNumber	other_attnum;	/* ... its column read, or 0 */
	char	   *other_rel;		/* ... its name, qualified and quoted */
	char	   *order_column;	/* a column that orders the rows */

	/* known when compiled */
	char	   *agg_sql;		/* AGGREGATE: jsonb expression of the scan */
	bool		meta_success;	/* METADATA: the outcome */
	char	   *meta_result;	/* METADATA: JSON text of "result" members */

	void	   *state;			/* the kind's compiled parameters */
};

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

/* kinds.c: the registry */
extern const DqKindDef *DqLookupKind(const char *name);

/* params.c: parameters common to every kind */
extern char *DqKindParamList(const DqKindDef *def);
extern void DqParseResultFormat(Jsonb *params, DqCheckState *cs);
extern double DqResolveMostly(Jsonb *params, bool has_arg, double arg, bool *has_mostly);
extern Jsonb *DqCanonicalParams(const char *kind, Jsonb *params);

/* changes change validation checks an expectation on (DqCdcOperations) */
#define DQ_CDC_INSERT 1
#define DQ_CDC_UPDATE 2
#define DQ_CDC_DELETE 4
extern int	DqCdcOperations(Jsonb *params);

/* compile.c: compiling, evaluating and describing rules */
extern void DqColumnSourceFromRelation(Relation rel, DqColumnSource *src);
extern DqRule *DqCompileRule(const DqColumnSource *src, const char *kind,
							 const char *column, Jsonb *params, double mostly);
extern DqRule *DqCompileRuleFor(const DqColumnSource *src, Oid expowner,
								const char *kind, const char *column,
								Jsonb *params, double mostly);
extern List *DqRuleAttnums(DqRule *r, bool *whole_row);
extern char *DqGroupedSql(DqRule *r, const char *qualname, int partial_max);
extern char *DqQuerySql(DqRule *r, const char *qualname);
extern char *DqUnexpectedJson(DqRule *r, Datum *values, bool *isnull);
extern void DqAppendDatumJson(StringInfo buf, Oid typid, FmgrInfo *out, Datum value);

/*
 * Outcome of one row of a row (MAP) rule; values/isnull hold the rule's
 * columns in order.  Allocates in the current (per-row) context.
 */
static inline DqOutcome
DqEvalRule(DqRule *r, Datum *values, bool *isnull)
{
	if (r->nulls_missing && isnull[0])
		return DQ_MISSING;
	return r->eval(r, values, isnull);
}

/* define.c: stored expectations */
extern Relation DqOpenForExpectations(Oid relid);
extern void DqCheckExpectationAdmin(Oid relid);

/* run.c: the own queries of grouped and query kinds */
extern void DqRunGrouped(DqRule *r, const char *qualname, DqCheckState *cs);
extern Datum DqRunQueryKind(DqRule *r, const char *qualname, const char *column,
							Jsonb *params, bool has_mostly);

/* result.c: Great Expectations' validation results */
extern Datum DqCheckResult(DqRule *r, DqCheckState *cs, const char *column,
						   Jsonb *params, bool has_mostly);
extern void DqCountsFromJsonb(JsonbContainer *obj, DqCheckState *cs);
extern Datum DqAggregateFromJsonb(DqRule *r, const char *column, Jsonb *params,
								  bool has_mostly, Jsonb *agg);
extern Datum DqAggregateResult(DqRule *r, const char *column, Jsonb *params,
							   bool has_mostly, bool success, const char *result_members);
extern Datum DqExceptionResult(const char *kind, Jsonb *params, const char *error);
extern bool DqResultCountsAll(const DqRule *r);

#endif							/* DQ_EXPECTATIONS_H */
