/*-------------------------------------------------------------------------
 *
 * cdc_eval.c
 *	  The rows the change validation worker checks itself, as the owner of
 *	  each expectation: custom SQL conditions, and rules whose evaluation
 *	  needs code that is not built in.
 *
 * The plugin (decoder.c) evaluates built-in code only.  Two kinds of rows
 * leave it unchecked, with the row as text values:
 *
 *	 - "condition" lines, for expect_row_condition: the condition is an SQL
 *	   expression, evaluated on the row rebuilt with jsonb_populate_record;
 *	 - "deferred" lines, for a rule whose column or parsed type involves a
 *	   domain (its CHECK constraints are expressions of some role) or a
 *	   function that initdb did not create: the rule is compiled and
 *	   evaluated here, on the row's values read with their types' input
 *	   functions.
 *
 * Both run as the role that defined the expectation, never as the worker's
 * superuser, under SECURITY_RESTRICTED_OPERATION with search_path pinned
 * (DqBecomeOwner), in a subtransaction: first for all the rows of an
 * expectation at once, then, after an error, row by row.  An error on a
 * row is classified:
 *	 - a data error or a failed constraint (SQLSTATE classes 22 and 23: a
 *	   division by zero, a value its domain rejects) makes that row not
 *	   tested against the rule, with one WARNING per expectation and batch;
 *	 - an error that may pass (out of memory, a cancel, a lock timeout)
 *	   fails the worker's pass, which is retried;
 *	 - any other error (a function that raises, a missing privilege, a
 *	   role that was dropped) marks the rule broken: it is recorded in
 *	   dq.cdc_rule_errors and skipped from then on, and the other rules go
 *	   on.
 * The worker uses the expectation's and the table's current definitions,
 * not the definitions at the time of the change.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/resowner.h"

#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "cdc/cdc_internal.h"
#include "expect/expectations.h"

/*
 * Errors that may not happen again: retry rather than call a rule broken
 * (resources, operator intervention, system errors, serialization and
 * deadlocks, connection trouble, lock timeouts).
 */
bool
DqCdcErrorIsTransient(int sqlerrcode)
{
	int			category = ERRCODE_TO_CATEGORY(sqlerrcode);

	return category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_SYSTEM_ERROR ||
		category == ERRCODE_TRANSACTION_ROLLBACK ||
		category == ERRCODE_CONNECTION_EXCEPTION ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/* Errors about one row's values: that row is not tested. */
bool
DqCdcErrorIsData(int sqlerrcode)
{
	int			category = ERRCODE_TO_CATEGORY(sqlerrcode);

	return category == ERRCODE_DATA_EXCEPTION ||
		category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION;
}

/* The expectation a plugin line is about. */
int64
DqCdcLineExpectation(const char *line)
{
	const char *p = strstr(line, "\"expectation_id\": ");

	return p ? strtoi64(p + strlen("\"expectation_id\": "), NULL, 10) : 0;
}

/* The relation a plugin line is about. */
Oid
DqCdcLineRelid(const char *line)
{
	const char *p = strstr(line, "\"relid\": ");

	return p ? (Oid) strtoul(p + strlen("\"relid\": "), NULL, 10) : InvalidOid;
}

/* The commit LSN of the change of a plugin line. */
XLogRecPtr
DqCdcLineLsn(const char *line)
{
	const char *p = strstr(line, "\"lsn\": \"");
	bool		err = false;
	char		buf[64];
	size_t		n;

	if (p == NULL)
		return InvalidXLogRecPtr;
	p += strlen("\"lsn\": \"");
	n = strcspn(p, "\"");
	if (n >= sizeof(buf))
		return InvalidXLogRecPtr;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return pg_lsn_in_internal(buf, &err);
}

/* A broken rule from an error on a line. */
static DqCdcBroken *
DqCdcBrokenFromError(int64 id, const char *line, ErrorData *edata)
{
	DqCdcBroken *b = palloc0(sizeof(DqCdcBroken));

	b->id = id;
	b->relid = DqCdcLineRelid(line);
	b->lsn = DqCdcLineLsn(line);
	strlcpy(b->sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(b->sqlstate));
	b->message = pstrdup(edata->message);
	return b;
}

/* "broken" lines of the plugin: rules that did not compile. */
List *
DqCdcBrokenFromLines(List *lines)
{
	List	   *broken = NIL;
	ListCell   *lc;

	foreach(lc, lines)
	{
		char	   *line = lfirst(lc);
		Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(line)));
		JsonbValue *v;
		DqCdcBroken *b = palloc0(sizeof(DqCdcBroken));

		b->id = DqCdcLineExpectation(line);
		b->relid = DqCdcLineRelid(line);
		b->lsn = DqCdcLineLsn(line);
		v = getKeyJsonValueFromContainer(&j->root, "sqlstate", strlen("sqlstate"), NULL);
		if (v != NULL && v->type == jbvString)
			strlcpy(b->sqlstate, pnstrdup(v->val.string.val, v->val.string.len),
					sizeof(b->sqlstate));
		v = getKeyJsonValueFromContainer(&j->root, "error", strlen("error"), NULL);
		b->message = (v != NULL && v->type == jbvString) ?
			pnstrdup(v->val.string.val, v->val.string.len) : pstrdup("");
		broken = lappend(broken, b);
	}
	return broken;
}

/* The distinct expectations of lines, in order of first appearance. */
static int64 *
DqCdcLineIds(List *lines, int *nids)
{
	int64	   *ids = palloc(sizeof(int64) * Max(list_length(lines), 1));
	ListCell   *lc;
	int			k;

	*nids = 0;
	foreach(lc, lines)
	{
		int64		id = DqCdcLineExpectation(lfirst(lc));

		for (k = 0; k < *nids && ids[k] != id; k++)
			;
		if (k == *nids)
			ids[(*nids)++] = id;
	}
	return ids;
}

/* Is line about expectation id (and relation relid, when valid)? */
static bool
DqCdcLineIsOf(const char *line, int64 id, Oid relid)
{
	return DqCdcLineExpectation(line) == id &&
		(!OidIsValid(relid) || DqCdcLineRelid(line) == relid);
}

/* The lines of one expectation (and relation, when valid), as text[]. */
static Datum
DqCdcLinesArray(List *lines, int64 id, Oid relid, int *n)
{
	ArrayBuildState *astate = NULL;
	ListCell   *lc;

	*n = 0;
	foreach(lc, lines)
	{
		char	   *line = lfirst(lc);

		if (!DqCdcLineIsOf(line, id, relid))
			continue;
		astate = accumArrayResult(astate, CStringGetTextDatum(line), false,
								  TEXTOID, CurrentMemoryContext);
		(*n)++;
	}
	return astate ? makeArrayResult(astate, CurrentMemoryContext) : (Datum) 0;
}

/* What an expectation is, read from dq.expectations now. */
typedef struct DqCdcExpectation
{
	int64		id;
	char	   *kind;
	char	   *column;
	int16		attnum;			/* 0: by name */
	Jsonb	   *params;
	ArrayType  *param_attnums;	/* NULL if none */
	double		mostly;
	Oid			owner;
	Oid			relid;
} DqCdcExpectation;

/*
 * The enabled expectation id, with its owner; false when it is gone,
 * disabled, or its owner role was dropped.
 */
static bool
DqCdcReadExpectation(int64 id, DqCdcExpectation *e)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Datum		d;
	char	   *owner;

	if (DqSpiRunArgs("SELECT kind, column_name, attnum, params, param_attnums, "
					 "mostly, owner, relid FROM dq.expectations "
					 "WHERE expectation_id OPERATOR(pg_catalog.=) $1 AND enabled",
					 1, argtypes, values, NULL, true, SPI_OK_SELECT,
					 "read dq.expectations") == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	e->kind = SPI_getvalue(tup, td, 1);
	e->column = SPI_getvalue(tup, td, 2);
	d = SPI_getbinval(tup, td, 3, &isnull);
	e->attnum = isnull ? 0 : DatumGetInt16(d);
	d = SPI_getbinval(tup, td, 4, &isnull);
	e->params = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = SPI_getbinval(tup, td, 5, &isnull);
	e->param_attnums = isnull ? NULL : DatumGetArrayTypePCopy(d);
	d = SPI_getbinval(tup, td, 6, &isnull);
	e->mostly = isnull ? 1.0 : DatumGetFloat8(d);
	owner = SPI_getvalue(tup, td, 7);
	e->relid = DatumGetObjectId(SPI_getbinval(tup, td, 8, &isnull));
	e->owner = owner ? get_role_oid(owner, true) : InvalidOid;
	return OidIsValid(e->owner);
}

/*
 * The expectations lines are about, in order of first appearance, read
 * with DqCdcReadExpectation; those it finds gone are left out.
 */
static List *
DqCdcLineExpectations(List *lines)
{
	int			nids;
	int64	   *ids = DqCdcLineIds(lines, &nids);
	List	   *out = NIL;

	for (int k = 0; k < nids; k++)
	{
		DqCdcExpectation *e = palloc0(sizeof(DqCdcExpectation));

		if (!DqCdcReadExpectation(ids[k], e))
			continue;
		e->id = ids[k];
		out = lappend(out, e);
	}
	return out;
}

/*
 * One warning for the rows of expectation id that could not be checked
 * (first: the error of the first); condition: by its row_condition, else
 * by its rule.
 */
static void
DqCdcWarnSkipped(int64 id, bool condition, int nskipped, int nrows,
				 ErrorData *first)
{
	if (nskipped == 0)
		return;
	if (condition)
		ereport(WARNING,
				(errmsg("row_condition of expectation %lld could not be evaluated on %d of %d changed rows: %s",
						(long long) id, nskipped, nrows, first->message),
				 errhint("Fix the condition with dq.alter_expectation or dq.drop_expectation; those rows are not validated against it.")));
	else
		ereport(WARNING,
				(errmsg("expectation %lld could not be checked on %d of %d changed rows: %s",
						(long long) id, nskipped, nrows, first->message),
				 errdetail("Those rows are not validated against it.")));
}

/* ---------------------------------------------------------------------
 * Custom SQL conditions
 * ---------------------------------------------------------------------
 */

/* one row condition over some rows, as the expectation's owner */
typedef struct DqCdcConditionArgs
{
	const char *sql;
	Datum		rows;
	Oid			ownerid;
	List	   *found;			/* violation lines (text) */
} DqCdcConditionArgs;

static void
DqCdcConditionFn(void *arg)
{
	DqCdcConditionArgs *a = arg;
	Oid			argtypes[1] = {TEXTARRAYOID};
	DqOwnerContext owner;
	uint64		i;

	/* a failing subtransaction restores the user and settings itself */
	DqBecomeOwner(a->ownerid, &owner);
	DqSpiRunArgs(a->sql, 1, argtypes, &a->rows, NULL, false, SPI_OK_SELECT, "evaluate a row_condition");
	DqRestoreUser(&owner);
	for (i = 0; i < SPI_processed; i++)
		a->found = lappend(a->found, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
}

/*
 * A row whose check failed with edata: a transient error is raised again
 * (the batch is retried), an error about the data skips the row (the
 * first such error is kept in *first for the warning, *nskipped counts
 * them), any other error makes the rule broken (appended to *broken).
 * Returns false when the rule is broken and its other rows are not to be
 * checked.
 */
static bool
DqCdcRowFailed(ErrorData *edata, int64 id, const char *line, List **broken,
			   ErrorData **first, int *nskipped)
{
	if (DqCdcErrorIsTransient(edata->sqlerrcode))
		ReThrowError(edata);
	if (!DqCdcErrorIsData(edata->sqlerrcode))
	{
		*broken = lappend(*broken, DqCdcBrokenFromError(id, line, edata));
		return false;
	}
	if (*first == NULL)
		*first = edata;
	(*nskipped)++;
	return true;
}

/* One row of DqCdcCheckRows: the line in, the violation lines out. */
typedef struct DqCdcRowCheck
{
	const char *line;
	List	   *found;
	void	   *arg;			/* what the check of the row needs */
} DqCdcRowCheck;

/*
 * Check the lines of expectation id (of relation relid, when valid) one
 * by one, each with row_fn (given a DqCdcRowCheck) in a subtransaction;
 * the violation lines found are appended to *found, a row that fails is
 * handled by DqCdcRowFailed, and the rows skipped are reported once
 * (condition: they were checked by a row_condition).
 */
static void
DqCdcCheckRows(List *lines, int64 id, Oid relid, bool condition,
			   void (*row_fn) (void *), void *arg, List **found,
			   List **broken)
{
	DqCdcRowCheck rc = {NULL, NIL, arg};
	ErrorData  *edata;
	ErrorData  *first = NULL;
	int			nrows = 0;
	int			nskipped = 0;
	ListCell   *lc;

	foreach(lc, lines)
	{
		char	   *line = lfirst(lc);

		if (!DqCdcLineIsOf(line, id, relid))
			continue;
		nrows++;
		rc.line = line;
		rc.found = NIL;
		edata = DqRunInSubxact(row_fn, &rc);
		if (edata == NULL)
		{
			*found = list_concat(*found, rc.found);
			continue;
		}
		if (!DqCdcRowFailed(edata, id, line, broken, &first, &nskipped))
			return;
	}
	DqCdcWarnSkipped(id, condition, nskipped, nrows, first);
}

/* One row against a condition (DqCdcCheckRows; arg: DqCdcConditionArgs). */
static void
DqCdcConditionRowFn(void *arg)
{
	DqCdcRowCheck *rc = arg;
	DqCdcConditionArgs *ca = rc->arg;
	ArrayBuildState *astate;

	astate = accumArrayResult(NULL, CStringGetTextDatum(rc->line), false,
							  TEXTOID, CurrentMemoryContext);
	ca->rows = makeArrayResult(astate, CurrentMemoryContext);
	ca->found = NIL;
	DqCdcConditionFn(ca);
	rc->found = ca->found;
}

/*
 * The rows of one expectation against its condition, rebuilt as rows of
 * its relation relid (a partition's rows too); the violation lines found
 * are appended to *found.  An error is handled as the header says.
 */
static void
DqCdcCheckCondition(List *lines, int64 id, Oid relid, const char *cond,
					Oid ownerid, List **found, List **broken)
{
	StringInfoData q;
	DqCdcConditionArgs ca;
	ErrorData  *edata;
	int			nrows;

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT (u.x::pg_catalog.jsonb OPERATOR(pg_catalog.||) "
					 "pg_catalog.jsonb_build_object('type', 'violation', 'unexpected', "
					 "u.x::pg_catalog.jsonb OPERATOR(pg_catalog.->) 'row'))::pg_catalog.text "
					 "FROM pg_catalog.unnest($1) AS u(x), "
					 "LATERAL pg_catalog.jsonb_populate_record(NULL::%s, "
					 "u.x::pg_catalog.jsonb OPERATOR(pg_catalog.->) 'row') AS %s "
					 "WHERE NOT (u.x::pg_catalog.jsonb OPERATOR(pg_catalog.?) 'unchanged_toast') "
					 "AND NOT (%s)",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)),
					 quote_identifier(get_rel_name(relid)), cond);
	ca.sql = q.data;
	ca.rows = DqCdcLinesArray(lines, id, InvalidOid, &nrows);
	ca.ownerid = ownerid;
	ca.found = NIL;
	if (nrows == 0)
		return;
	edata = DqRunInSubxact(DqCdcConditionFn, &ca);
	if (edata == NULL)
	{
		*found = list_concat(*found, ca.found);
		return;
	}
	if (DqCdcErrorIsTransient(edata->sqlerrcode))
		ReThrowError(edata);

	/* row by row then */
	DqCdcCheckRows(lines, id, InvalidOid, true, DqCdcConditionRowFn, &ca,
				   found, broken);
}

/* What is checked of the lines of one expectation. */
typedef void (*DqCdcExpectationFn) (List *lines, DqCdcExpectation *e,
									List **found, List **broken);

/*
 * fn for each expectation the lines are about; returns the violation
 * lines found.
 */
static List *
DqCdcForEachExpectation(List *lines, DqCdcExpectationFn fn, List **broken)
{
	List	   *found = NIL;
	ListCell   *lc;

	foreach(lc, DqCdcLineExpectations(lines))
	{
		fn(lines, lfirst(lc), &found, broken);
	}
	return found;
}

/* The lines of expectation e against its row_condition, if it has one. */
static void
DqCdcConditionOf(List *lines, DqCdcExpectation *e, List **found,
				 List **broken)
{
	JsonbValue *v;

	if (e->params == NULL || get_rel_name(e->relid) == NULL)
		return;
	v = getKeyJsonValueFromContainer(&e->params->root, "row_condition",
									 strlen("row_condition"), NULL);
	if (v == NULL || v->type != jbvString)
		return;
	DqCdcCheckCondition(lines, e->id, e->relid,
						pnstrdup(v->val.string.val, v->val.string.len),
						e->owner, found, broken);
}

/*
 * Rows handed out for custom SQL conditions: evaluated here, as the role
 * that defined the expectation, on the row rebuilt with
 * jsonb_populate_record; the failing ones become violation lines.  Rows
 * with unchanged TOAST values are skipped (the value is not in the WAL).
 * Returns the violation lines (text); rules found broken are appended to
 * *broken.
 */
List *
DqCdcCheckConditions(List *lines, List **broken)
{
	return DqCdcForEachExpectation(lines, DqCdcConditionOf, broken);
}

/* ---------------------------------------------------------------------
 * Rules the plugin left to the worker
 * ---------------------------------------------------------------------
 */

/* compile one expectation for one changed relation, as its owner */
typedef struct DqCdcCompileArgs
{
	DqCdcExpectation *e;
	Oid			relid;			/* the changed relation */
	DqRule	   *rule;
} DqCdcCompileArgs;

static void
DqCdcCompileFn(void *arg)
{
	DqCdcCompileArgs *a = arg;
	DqCdcExpectation *e = a->e;
	const DqKindDef *def = DqLookupKind(e->kind);
	DqOwnerContext owner;
	Relation	rel;
	DqColumnSource src;
	char	   *column = e->column;
	Jsonb	   *params = e->params;

	DqBecomeOwner(e->owner, &owner);
	if (e->attnum != 0)
	{
		column = get_attname(e->relid, e->attnum, true);
		if (column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column %d of the expectation's relation was dropped", e->attnum)));
	}
	if (e->param_attnums != NULL)
	{
		params = DqCdcParamsWithNames(e->relid, params, e->param_attnums, def->ncols == 2);
		if (params == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("a column of the expectation was dropped")));
	}
	rel = relation_open(a->relid, AccessShareLock);
	DqColumnSourceFromRelation(rel, &src);
	a->rule = DqCompileRule(&src, e->kind, column, params, e->mostly);
	relation_close(rel, AccessShareLock);
	DqRestoreUser(&owner);
}

/* one deferred row: its values read, the rule evaluated, as the owner */
typedef struct DqCdcDeferredArgs
{
	DqRule	   *rule;
	Oid			owner;
	const char *line;
	char	   *unexpected;		/* JSON, when the row violates the rule */
} DqCdcDeferredArgs;

static void
DqCdcDeferredFn(void *arg)
{
	DqCdcDeferredArgs *a = arg;
	DqRule	   *r = a->rule;
	DqOwnerContext owner;
	Jsonb	   *j;
	JsonbValue *row;
	Datum	   *values = palloc(sizeof(Datum) * Max(r->ncols, 1));
	bool	   *isnull = palloc(sizeof(bool) * Max(r->ncols, 1));

	a->unexpected = NULL;
	DqBecomeOwner(a->owner, &owner);
	j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(a->line)));
	row = getKeyJsonValueFromContainer(&j->root, "row", strlen("row"), NULL);
	if (row == NULL || row->type != jbvBinary)
		elog(ERROR, "change validation line without a row");
	for (int i = 0; i < r->ncols; i++)
	{
		JsonbValue *v = getKeyJsonValueFromContainer(row->val.binary.data, r->cols[i].name,
													 strlen(r->cols[i].name), NULL);
		Oid			typinput;
		Oid			typioparam;

		isnull[i] = (v == NULL || v->type != jbvString);
		values[i] = (Datum) 0;
		if (isnull[i])
			continue;
		getTypeInputInfo(r->cols[i].typid, &typinput, &typioparam);
		values[i] = OidInputFunctionCall(typinput,
										 pnstrdup(v->val.string.val, v->val.string.len),
										 typioparam, -1);
	}
	if (DqEvalRule(r, values, isnull) == DQ_UNEXPECTED)
		a->unexpected = DqUnexpectedJson(r, values, isnull);
	DqRestoreUser(&owner);
}

/* A violation line from a deferred line and the offending values. */
static char *
DqCdcViolationLine(const char *line, const char *unexpected)
{
	return psprintf(DQ_CDC_LINE_VIOLATION "\"unexpected\": %s, %s",
					unexpected, line + strlen(DQ_CDC_LINE_DEFERRED));
}

/* One deferred row against its rule (DqCdcCheckRows; arg: DqCdcDeferredArgs). */
static void
DqCdcDeferredRowFn(void *arg)
{
	DqCdcRowCheck *rc = arg;
	DqCdcDeferredArgs *da = rc->arg;

	da->line = rc->line;
	DqCdcDeferredFn(da);
	if (da->unexpected != NULL)
		rc->found = list_make1(DqCdcViolationLine(rc->line, da->unexpected));
}

/*
 * The deferred rows of one expectation on one changed relation; the
 * violation lines found are appended to *found.
 */
static void
DqCdcCheckDeferredRel(List *lines, int64 id, Oid relid, DqCdcExpectation *e,
					  List **found, List **broken)
{
	DqCdcCompileArgs ca = {e, relid, NULL};
	DqCdcDeferredArgs da = {0};
	ErrorData  *edata;

	edata = DqRunInSubxact(DqCdcCompileFn, &ca);
	if (edata != NULL)
	{
		ListCell   *lc;

		if (DqCdcErrorIsTransient(edata->sqlerrcode))
			ReThrowError(edata);
		foreach(lc, lines)
			if (DqCdcLineIsOf(lfirst(lc), id, relid))
				break;
		*broken = lappend(*broken, DqCdcBrokenFromError(id, lfirst(lc), edata));
		return;
	}
	da.rule = ca.rule;
	da.owner = e->owner;
	DqCdcCheckRows(lines, id, relid, false, DqCdcDeferredRowFn, &da, found,
				   broken);
}

/* The deferred lines of expectation e, relation by relation. */
static void
DqCdcDeferredOf(List *lines, DqCdcExpectation *e, List **found, List **broken)
{
	List	   *relids = NIL;
	ListCell   *lc;

	if (e->params == NULL)
		e->params = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	foreach(lc, lines)
		if (DqCdcLineExpectation(lfirst(lc)) == e->id)
			relids = list_append_unique_oid(relids, DqCdcLineRelid(lfirst(lc)));
	foreach(lc, relids)
	{
		if (get_rel_name(lfirst_oid(lc)) == NULL)
			continue;			/* dropped since */
		DqCdcCheckDeferredRel(lines, e->id, lfirst_oid(lc), e, found, broken);
	}
}

/*
 * Rows the plugin handed out for rules that need code that is not built
 * in: each rule compiled and evaluated here, as the role that defined it.
 * Returns the violation lines (text); rules found broken are appended to
 * *broken.
 */
List *
DqCdcCheckDeferred(List *lines, List **broken)
{
	return DqCdcForEachExpectation(lines, DqCdcDeferredOf, broken);
}
