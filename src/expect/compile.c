/*-------------------------------------------------------------------------
 *
 * compile.c
 *	  Compiling an expectation into a rule, checking everything that can be
 *	  checked before a row is read; whose rights the rule runs with; the
 *	  typed values, operators and comparisons the kinds compile their
 *	  parameters into; and the JSON form of the values a rule reads.
 *
 * Compiling goes in phases: the kind is looked up in the registry and its
 * parameter names checked; the columns it reads are resolved; the kind's
 * compile callback checks its parameters (a bound that does not parse
 * raises the type's own 22P02, an invalid regular expression 2201B) and
 * keeps what evaluation needs; aggregate and metadata kinds then get
 * their SQL or their outcome.  Evaluation is plain C on Datums (the
 * kind's eval callback), the same whether rows come from dq.check's scan,
 * dq.validate's aggregate or logical decoding.
 *
 * Counting follows GE: NULL rows are "missing", never tested and never
 * unexpected, except for the kinds that count NULLs themselves
 * (not_be_null, be_null), over every row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "base/typeinfo.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* ---------------------------------------------------------------------
 * Columns
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

/* Position of column name in src, -1 when it has none. */
int
DqFindColumn(const DqColumnSource *src, const char *name)
{
	for (int i = 0; i < src->ncols; i++)
		if (strcmp(src->names[i], name) == 0)
			return i;
	return -1;
}

/* Resolve a column the rule reads; ERROR when src has none of that name. */
static void
DqResolveColumn(const DqColumnSource *src, const char *name, DqRuleColumn *col)
{
	int			i = DqFindColumn(src, name);
	Oid			outfunc;
	bool		isvarlena;

	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, src->relname),
				 errhint("List the columns with \\d %s.", src->qualname)));
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
}

/* ---------------------------------------------------------------------
 * Typed values, operators and comparisons
 * ---------------------------------------------------------------------
 */

/*
 * Parse a parameter's text as a value of type typid (22P02 if not).  A
 * type whose input is not a known-safe built-in (a domain's CHECK, say)
 * marks the rule: it then runs without parallel workers.
 */
Datum
DqParamToType(DqRule *r, const char *str, Oid typid)
{
	Oid			typinput;
	Oid			typioparam;

	if (!DqTypeInputIsKnownSafe(typid))
		r->untrusted_code = true;
	getTypeInputInfo(typid, &typinput, &typioparam);
	return OidInputFunctionCall(typinput, (char *) str, typioparam, -1);
}

/* A parameter as a typed SQL literal, checked by parsing it now. */
char *
DqSqlLiteral(DqRule *r, const char *txt, Oid typid)
{
	(void) DqParamToType(r, txt, typid);
	return psprintf("%s::%s", quote_literal_cstr(txt), format_type_be_qualified(typid));
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
Datum
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
char *
DqSetLiteral(DqRule *r, int index, const char *txt)
{
	(void) DqSetElemToType(r, index, txt);
	return psprintf("%s::%s", quote_literal_cstr(txt), format_type_be_qualified(r->cols[0].typid));
}

/*
 * A value_set (text elements, NULL ones left out: they match nothing) as
 * an SQL array of the column's type, each element checked now.
 */
char *
DqSetArraySql(DqRule *r, List *items)
{
	StringInfoData arr;
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&arr);
	appendStringInfoString(&arr, "ARRAY[");
	foreach(lc, items)
	{
		if (lfirst(lc) == NULL)
			continue;
		appendStringInfo(&arr, "%s%s", first ? "" : ", ",
						 DqSetLiteral(r, foreach_current_index(lc), lfirst(lc)));
		first = false;
	}
	appendStringInfo(&arr, "]::%s[]", format_type_be_qualified(r->cols[0].typid));
	return arr.data;
}

/*
 * "OPERATOR(schema.name)" for operator opid: the SQL the extension writes
 * names every operator with its schema, so that no object on a search_path
 * can stand in for it.
 */
char *
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
char *
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

/*
 * The rule compares values of its first column: find the type's btree
 * comparison (ERROR when it has none) and how DqRuleCmp may shortcut it.
 */
void
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

/* DqRuleCmp of the types it does not compare inline. */
int
DqRuleCmpSlow(DqRule *r, Datum a, Datum b)
{
	switch (r->cmp_base)
	{
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

static int
DqDatumCmp(const void *a, const void *b, void *arg)
{
	return DqRuleCmp((DqRule *) arg, *(const Datum *) a, *(const Datum *) b);
}

/* Sort values of the rule's first column by DqRuleCmp. */
void
DqSortDatums(DqRule *r, Datum *values, int n)
{
	qsort_arg(values, n, sizeof(Datum), DqDatumCmp, r);
}

/* Is typid (or its base type) of the string category? */
bool
DqIsStringType(Oid typid)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(getBaseType(typid), &category, &preferred);
	return category == TYPCATEGORY_STRING;
}

/* ERROR: the kind does not apply to column colno's type; why is the hint. */
void
DqKindNotApplicable(DqRule *r, int colno, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s does not apply to column \"%s\" of type %s",
					r->def->name, r->cols[colno].name,
					format_type_be(r->cols[colno].typid)),
			 errhint("%s", why)));
}

/* The first column must be of a string type. */
void
DqRequireString(DqRule *r, const char *why)
{
	if (!DqIsStringType(r->cols[0].typid))
		DqKindNotApplicable(r, 0, why);
}

/* The first column must be of a numeric type. */
void
DqRequireNumeric(DqRule *r, const char *why)
{
	if (TypeCategory(getBaseType(r->cols[0].typid)) != TYPCATEGORY_NUMERIC)
		DqKindNotApplicable(r, 0, why);
}

/* ---------------------------------------------------------------------
 * Compiling
 * ---------------------------------------------------------------------
 */

/*
 * The names of the columns the kind reads: column_name for a column kind,
 * column_A and column_B or column_list from params for the others, none
 * for table-level ones.
 */
static List *
DqRuleColumnNames(DqRule *r, const char *column)
{
	const DqKindDef *def = r->def;
	List	   *names;

	if (def->ncols == 0)
	{
		bool		wants_column = (def->flags & DQ_KIND_NAMES_COLUMN) != 0;

		if (wants_column && column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a column", def->name),
					 errhint("Pass column_name => 'the_column'.")));
		if (!wants_column && column != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is about the whole table and takes no column_name", def->name),
					 errhint("%s takes: %s.", def->name, DqKindParamList(def))));
		return NIL;
	}
	if (def->ncols == 1)
	{
		if (column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a column", def->name),
					 errhint("Pass column_name => 'the_column'.")));
		return list_make1((char *) column);
	}
	if (column != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes its columns from params, not from column_name", def->name),
				 errhint("%s takes: %s.", def->name, DqKindParamList(def))));
	if (def->ncols == 2)
		return list_make2(DqRequiredText(r, "column_A"), DqRequiredText(r, "column_B"));
	names = DqParamArray(def, r->params, "column_list", true);
	if (list_length(names) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column_list of %s needs at least two columns", def->name),
				 errhint("Pass for example {\"column_list\": [\"a\", \"b\"]}.")));
	return names;
}

/* Resolve the columns of the rule against src. */
static void
DqCompileColumns(DqRule *r, const DqColumnSource *src, const char *column)
{
	List	   *names = DqRuleColumnNames(r, column);
	ListCell   *lc;

	r->ncols = list_length(names);
	r->cols = palloc0(sizeof(DqRuleColumn) * Max(r->ncols, 1));
	foreach(lc, names)
	{
		if (lfirst(lc) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column names of %s must not be NULL", r->def->name),
					 errhint("Name every column.")));
		DqResolveColumn(src, lfirst(lc), &r->cols[foreach_current_index(lc)]);
	}
	if (r->def->ncols == 2 || r->def->ncols == -1)
		r->ignore_row = DqParseIgnoreRow(r->def, r->params);
	r->nulls_missing = r->def->ncols == 1 &&
		(r->def->flags & DQ_KIND_COUNTS_NULLS) == 0;
}

/*
 * An aggregate kind's SQL: its statistic and test as one jsonb expression
 * over the scanned rows, with GE's element and missing counts for a
 * column's statistic when its result reports them (COMPLETE): otherwise
 * the scan would count the column's values for nothing.
 */
static void
DqCompileAggregateSql(DqRule *r)
{
	DqAggregateSql sql = {0};
	DqCheckState cs = {0};
	const char *col = NULL;

	DqParseResultFormat(r->params, &cs);
	if (r->ncols > 0 && cs.format == DQ_RF_COMPLETE)
		col = quote_identifier(r->cols[0].name);
	r->def->aggregate(r, &sql);
	r->agg_sql = psprintf("pg_catalog.jsonb_build_object('observed_value', %s, 'success', %s%s%s%s)",
						  sql.observed, sql.success,
						  col ? psprintf(", 'element_count', pg_catalog.count(*), 'missing_count', "
										 "pg_catalog.count(*) - pg_catalog.count(%s)", col) : "",
						  sql.details ? ", 'details', " : "",
						  sql.details ? sql.details : "");
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

	DqCheckParamNames(def, params);
	r->def = def;
	r->eval = def->eval;
	r->params = params;
	r->mostly = mostly;
	r->cxt = CurrentMemoryContext;

	DqCompileColumns(r, src, column);
	if (def->compile != NULL)
		def->compile(r, src, column);
	if (def->aggregate != NULL)
		DqCompileAggregateSql(r);
	if (def->metadata != NULL)
		def->metadata(r, src, column);
	return r;
}

/* ---------------------------------------------------------------------
 * Whose rights an expectation runs with
 * ---------------------------------------------------------------------
 */

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

	*whole_row = (r->def->flags & DQ_KIND_READS_WHOLE_ROW) != 0;
	if (*whole_row || r->def->scope == DQ_SCOPE_METADATA)
		return NIL;
	for (i = 0; i <= r->ncols; i++)
	{
		const char *name = (i < r->ncols) ? r->cols[i].name : r->order_column;
		AttrNumber	att;

		if (name == NULL)
			continue;
		att = get_attnum(r->runas_relid, name);
		if (att > 0 && !list_member_int(attnums, att))
			attnums = lappend_int(attnums, att);
	}
	return attnums;
}

/* The query of a grouped kind: its counts as jsonb (see DqKindQueryFn). */
char *
DqGroupedSql(DqRule *r, const char *qualname, int partial_max)
{
	Assert(r->def->scope == DQ_SCOPE_GROUPED);
	return r->def->query(r, qualname, partial_max);
}

/* The query of a query kind: {observed_value, success} as jsonb. */
char *
DqQuerySql(DqRule *r, const char *qualname)
{
	Assert(r->def->scope == DQ_SCOPE_QUERY);
	return r->def->query(r, qualname, 0);
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

	DqSpiConnect();
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
	DqDryParseArgs dp;
	ErrorData  *edata;

	if (r->def->scope == DQ_SCOPE_AGGREGATE)
		dp.sql = psprintf("SELECT %s FROM %s", r->agg_sql, qualname);
	else if (r->def->scope == DQ_SCOPE_GROUPED)
		dp.sql = DqGroupedSql(r, qualname, 1);
	else if (r->def->scope == DQ_SCOPE_QUERY)
		dp.sql = DqQuerySql(r, qualname);
	else
		return;

	edata = DqRunInSubxact(DqDryParseFn, &dp);
	if (edata == NULL)
		return;
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

/*
 * The role a kind that runs as the expectation's owner must check, before
 * anything runs: that role may read the relation (every column for a
 * kind that reads whole rows).
 */
static Oid
DqDefinerMayRead(const DqKindDef *def, const DqColumnSource *src, Oid expowner)
{
	if (!OidIsValid(expowner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the role that defined this expectation does not exist any more"),
				 errdetail("%s runs as the role that defined it.", def->name),
				 errhint("Drop the expectation and define it again.")));
	DqCheckRoleCanSelect(expowner, src->relid, NIL,
						 (def->flags & DQ_KIND_READS_WHOLE_ROW) != 0,
						 psprintf("%s reads the relation with the rights of the role that defined it.",
								  def->name));
	return expowner;
}

/*
 * The confused deputy: a rule that runs as the expectation's owner reads
 * nothing that role may not read -- the columns it reads, a second
 * relation it names.
 */
static void
DqDefinerMayReadRule(DqRule *r, const DqColumnSource *src, Oid expowner)
{
	bool		whole_row;
	List	   *attnums = DqRuleAttnums(r, &whole_row);

	if ((r->def->flags & DQ_KIND_RUNS_AS_DEFINER) && attnums != NIL)
		DqCheckRoleCanSelect(expowner, src->relid, attnums, false,
							 psprintf("%s reads the relation with the rights of the role that defined it.",
									  r->def->name));
	if (OidIsValid(r->other_relid))
		DqCheckRoleCanSelect(expowner, r->other_relid,
							 r->other_attnum > 0 ? list_make1_int(r->other_attnum) : NIL,
							 false,
							 psprintf("%s reads relation %s with the rights of the role that defined it.",
									  r->def->name, r->other_rel));
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
 *   condition, a query, a second relation to read: DQ_KIND_RUNS_AS_DEFINER),
 *   which run as that owner, who must be able to read every relation they
 *   read -- checked here, at definition and at every run;
 * - a type named in the parameters whose input function runs (parseable_as)
 *   may run as the relation's owner only if DqCheckTypeMayRunAs allows it.
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

	if (def->flags & DQ_KIND_RUNS_AS_DEFINER)
		runas = DqDefinerMayRead(def, src, expowner);
	DqBecomeOwner(runas, &ctx);
	r = DqCompileRule(src, kind, column, params, mostly);
	r->runas = runas;
	r->runas_relid = src->relid;
	if (OidIsValid(r->named_type))
		DqCheckTypeMayRunAs(r->named_type, expowner, relowner,
							psprintf("parameter \"%s\" of %s", r->named_type_param,
									 def->name));
	if ((def->flags & DQ_KIND_RUNS_AS_DEFINER) || OidIsValid(r->other_relid))
		DqDefinerMayReadRule(r, src, expowner);
	DqDryParse(r, src->qualname);
	DqRestoreUser(&ctx);
	return r;
}

/* ---------------------------------------------------------------------
 * Values as JSON
 * ---------------------------------------------------------------------
 */

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
