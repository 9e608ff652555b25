/*-------------------------------------------------------------------------
 *
 * lineage_walk.c
 *	  Column-level lineage from an analysed query tree.
 *
 * The walker resolves every output column of a query to the columns of the
 * persistent relations the statement names (tables, views, materialized
 * views, partitioned parents, foreign tables), through subqueries, CTEs,
 * VALUES lists, function results, join alias variables and every branch of
 * a set operation.  Each source is classified with the subtypes of the
 * OpenLineage column-lineage facet:
 *
 *	- DIRECT IDENTITY: a column copied as is (a binary-compatible
 *	  RelabelType keeps it identical; any other cast is a TRANSFORMATION);
 *	- DIRECT TRANSFORMATION: any other expression over the column;
 *	- DIRECT AGGREGATION: an aggregate or window aggregate over it; count()
 *	  and hash functions mask their input;
 *	- INDIRECT per output column: CONDITIONAL (CASE conditions, COALESCE
 *	  arguments tested for NULL), WINDOW (partition and order keys),
 *	  FILTER (aggregate FILTER clauses);
 *	- INDIRECT for the whole output (dataset level): JOIN (join conditions,
 *	  WHERE conjuncts that compare two relations), FILTER (WHERE, HAVING,
 *	  MERGE and ON CONFLICT conditions), GROUP_BY (GROUP BY, DISTINCT),
 *	  SORT (ORDER BY).
 *
 * Everything here works on the tree as parse analysis leaves it: views are
 * not expanded, so a view is a node of its own and gets edges to its
 * immediate upstream relations only.  Nothing is written here and nothing
 * is looked up in the catalogs except relkinds and function names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_index.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "lineage/lineage.h"

/* A source reached from an expression, before it meets its target. */
typedef struct LinSource
{
	Oid			relid;
	AttrNumber	attnum;
	uint8		subtype;
	bool		masking;
} LinSource;

/* Sources of every output column of a query, plus its dataset-level ones. */
typedef struct LinCols
{
	int			ncols;
	List	  **cols;			/* per output column: List of LinSource * */
	List	   *dataset;		/* INDIRECT sources affecting every row */
	bool		in_progress;	/* a recursive CTE being resolved */
} LinCols;

/* One query level being walked; parent is the enclosing query. */
typedef struct LinFrame
{
	Query	   *query;
	struct LinFrame *parent;
	LinCols   **rte_cols;		/* per range table index (1-based), cached */
	LinCols   **cte_cols;		/* per entry of query->cteList, cached */
} LinFrame;

/* How the expression being walked uses what it reaches. */
typedef struct LinMode
{
	uint8		subtype;
	bool		masking;
} LinMode;

typedef struct LinWalkCtx
{
	LinFrame   *frame;
	LinMode		mode;
	List	  **out;
} LinWalkCtx;

static LinCols *LinResolveQuery(Query *query, LinFrame *parent);
static bool LinWalkExpr(Node *node, LinWalkCtx *ctx);
static void LinQueryDataset(LinFrame *frame, List **out);

/* The trigger whose function runs the statement being walked, or NULL. */
static const DqLinTrigger *lin_trigger = NULL;

/* The last relation LinIsPersistent looked up, during one walk. */
static Oid	lin_last_relid = InvalidOid;
static bool lin_last_persistent = false;

static const char *const subtype_names[] = {
	"IDENTITY", "TRANSFORMATION", "AGGREGATION", "JOIN", "FILTER",
	"GROUP_BY", "SORT", "WINDOW", "CONDITIONAL"
};

static const char *const origin_names[] = {
	"view", "matview", "ctas", "insert", "update", "merge", "manual"
};

const char *
DqLinSubtypeName(DqLinSubtype subtype)
{
	return subtype_names[subtype];
}

const char *
DqLinOriginName(DqLinOrigin origin)
{
	return origin_names[origin];
}

/* Whether an expression reads a column of range table entry varno. */
static bool
LinReadsVarno(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		return var->varlevelsup == 0 && var->varno == *(int *) context;
	}
	return expression_tree_walker(node, LinReadsVarno, context);
}

/* Whether a target list assigns a value computed from a column of varno. */
static bool
LinTargetListReads(List *tlist, int varno)
{
	ListCell   *lc;

	foreach(lc, tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (!tle->resjunk && LinReadsVarno((Node *) tle->expr, &varno))
			return true;
	}
	return false;
}

/*
 * Decide in a few instructions whether a statement can move data between
 * columns.  Plain SELECT, utility statements, DELETE, INSERT ... VALUES
 * and UPDATE or ON CONFLICT DO UPDATE assigning only constants and
 * parameters are not walked.  In a trigger's function (in_trigger), a
 * parameter may stand for NEW.col or OLD.col: every INSERT, UPDATE and
 * MERGE is walked there.
 */
bool
DqLineageWorthWalking(Query *query, bool in_trigger)
{
	ListCell   *lc;
	int			rtindex = 0;
	int			excl;

	switch (query->commandType)
	{
		case CMD_SELECT:
			return query->hasModifyingCTE;
		case CMD_INSERT:
		case CMD_UPDATE:
		case CMD_MERGE:
			break;
		case CMD_DELETE:
			return query->hasModifyingCTE;
		default:
			return false;
	}
	if (query->cteList != NIL || query->hasSubLinks || in_trigger)
		return true;
	excl = query->onConflict ? query->onConflict->exclRelIndex : 0;
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		rtindex++;
		if (rtindex == query->resultRelation || rtindex == excl)
			continue;
		/* a VALUES list of constants moves no column */
		if (rte->rtekind == RTE_VALUES || rte->rtekind == RTE_RESULT)
			continue;
		return true;
	}
	/* UPDATE t SET a = b + 1: a column of the row derived from another */
	if (query->commandType == CMD_UPDATE)
		return LinTargetListReads(query->targetList, query->resultRelation);
	if (query->onConflict && query->onConflict->action == ONCONFLICT_UPDATE)
		return LinTargetListReads(query->onConflict->onConflictSet,
								  query->resultRelation);
	return false;
}

/* Add a source to a list unless it is already there. */
static void
LinAddSource(List **list, Oid relid, AttrNumber attnum, uint8 subtype,
			 bool masking)
{
	ListCell   *lc;
	LinSource  *s;

	foreach(lc, *list)
	{
		s = (LinSource *) lfirst(lc);
		if (s->relid == relid && s->attnum == attnum &&
			s->subtype == subtype && s->masking == masking)
			return;
	}
	s = palloc(sizeof(LinSource));
	s->relid = relid;
	s->attnum = attnum;
	s->subtype = subtype;
	s->masking = masking;
	*list = lappend(*list, s);
}

/*
 * Add the sources of an inner query's column as seen through the current
 * mode: DIRECT sources take the stronger of the two DIRECT subtypes, or the
 * mode's INDIRECT subtype; INDIRECT sources keep theirs.
 */
static void
LinApply(List **out, List *sources, LinMode mode)
{
	ListCell   *lc;

	foreach(lc, sources)
	{
		LinSource  *s = (LinSource *) lfirst(lc);
		uint8		subtype = s->subtype;

		if (DqLinIsDirect(subtype))
		{
			if (!DqLinIsDirect(mode.subtype))
				subtype = mode.subtype;
			else if (mode.subtype > subtype)
				subtype = mode.subtype;
		}
		LinAddSource(out, s->relid, s->attnum, subtype,
					 s->masking || mode.masking);
	}
}

/* A DIRECT mode becomes at least TRANSFORMATION. */
static LinMode
LinTransformed(LinMode mode)
{
	if (mode.subtype == DQ_LIN_IDENTITY)
		mode.subtype = DQ_LIN_TRANSFORMATION;
	return mode;
}

static LinMode
LinIndirect(LinMode mode, DqLinSubtype subtype)
{
	mode.subtype = subtype;
	mode.masking = false;
	return mode;
}

/* Walk an expression with another mode. */
static void
LinWalkWith(Node *node, const LinWalkCtx *ctx, LinMode mode)
{
	LinWalkCtx	sub = *ctx;

	sub.mode = mode;
	(void) LinWalkExpr(node, &sub);
}

static LinFrame *
LinNewFrame(Query *query, LinFrame *parent)
{
	int			nrte = list_length(query->rtable) + 1;
	int			ncte = list_length(query->cteList) + 1;
	LinFrame   *frame;

	/* one allocation: a frame per query level of every statement walked */
	frame = palloc0(MAXALIGN(sizeof(LinFrame)) +
					sizeof(LinCols *) * (nrte + ncte));
	frame->query = query;
	frame->parent = parent;
	frame->rte_cols = (LinCols **) ((char *) frame + MAXALIGN(sizeof(LinFrame)));
	frame->cte_cols = frame->rte_cols + nrte;
	return frame;
}

/*
 * Relations that are nodes of the lineage graph.  Temporary relations are
 * not: they vanish with their session, without a sql_drop event.
 */
static bool
LinIsPersistent(RangeTblEntry *rte)
{
	switch (rte->relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_VIEW:
		case RELKIND_MATVIEW:
		case RELKIND_FOREIGN_TABLE:
			/* one relation is usually asked for again and again */
			if (rte->relid != lin_last_relid)
			{
				lin_last_relid = rte->relid;
				lin_last_persistent =
					get_rel_persistence(rte->relid) != RELPERSISTENCE_TEMP;
			}
			return lin_last_persistent;
		default:
			return false;
	}
}

/* Number of sources of a resolved query, to tell when it grows. */
static int
LinCountSources(LinCols *cols)
{
	int			n = list_length(cols->dataset);
	int			i;

	for (i = 0; i < cols->ncols; i++)
		n += list_length(cols->cols[i]);
	return n;
}

/*
 * A recursive CTE: its recursive branch reads the CTE itself.  Resolve it
 * again, the self-reference seeing the columns of the previous round, until
 * nothing is added, so that the recursive branch's join columns (JOIN h ON
 * e.mgr = h.id) and derived columns (n + 1) reach the relations behind the
 * CTE.  Sources only accumulate, and there are finitely many: it ends; a
 * bound keeps pathological queries cheap.
 */
static void
LinResolveRecursive(CommonTableExpr *cte, LinFrame *frame, int i)
{
	int			round;
	int			n = LinCountSources(frame->cte_cols[i]);

	for (round = 0; round < 8; round++)
	{
		LinCols    *next = LinResolveQuery((Query *) cte->ctequery, frame);
		int			m = LinCountSources(next);

		frame->cte_cols[i] = next;
		if (m == n)
			break;
		n = m;
	}
}

/* Output columns of a CTE, resolved once per frame. */
static LinCols *
LinCteCols(RangeTblEntry *rte, LinFrame *frame)
{
	Index		up = rte->ctelevelsup;
	ListCell   *lc;
	int			i = 0;

	while (up-- > 0 && frame)
		frame = frame->parent;
	if (frame == NULL)
		return NULL;
	foreach(lc, frame->query->cteList)
	{
		CommonTableExpr *cte = (CommonTableExpr *) lfirst(lc);

		if (strcmp(cte->ctename, rte->ctename) == 0)
		{
			if (frame->cte_cols[i] == NULL)
			{
				/* a recursive reference sees the columns resolved so far */
				LinCols    *pending = palloc0(sizeof(LinCols));

				pending->in_progress = true;
				frame->cte_cols[i] = pending;
				frame->cte_cols[i] = LinResolveQuery((Query *) cte->ctequery,
													 frame);
				if (cte->cterecursive)
					LinResolveRecursive(cte, frame, i);
			}
			return frame->cte_cols[i];
		}
		i++;
	}
	return NULL;
}

/* Output columns of a subquery or CTE range table entry. */
static LinCols *
LinRteCols(RangeTblEntry *rte, Index rtindex, LinFrame *frame)
{
	if (rte->rtekind == RTE_CTE)
		return LinCteCols(rte, frame);
	if (rte->rtekind != RTE_SUBQUERY)
		return NULL;
	if (frame->rte_cols[rtindex] == NULL)
		frame->rte_cols[rtindex] = LinResolveQuery(rte->subquery, frame);
	return frame->rte_cols[rtindex];
}

/* Sources of column attno (0: every column) of a resolved query. */
static void
LinApplyColumn(LinCols *cols, AttrNumber attno, LinWalkCtx *ctx)
{
	int			i;

	if (cols == NULL || cols->in_progress)
		return;
	for (i = 0; i < cols->ncols; i++)
		if (attno == 0 || attno == i + 1)
			LinApply(ctx->out, cols->cols[i], ctx->mode);
}

/* The target list entry of an INSERT for a target column (EXCLUDED.col). */
static Node *
LinInsertValue(Query *query, AttrNumber attno)
{
	ListCell   *lc;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (!tle->resjunk && tle->resno == attno)
			return (Node *) tle->expr;
	}
	return NULL;
}

/*
 * Every column of a relation, for a whole-row reference: the row depends on
 * each of them, so dropping or changing any column shows its impact.
 */
static void
LinWholeRow(Oid relid, LinWalkCtx *ctx)
{
	HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	AttrNumber	natts;
	AttrNumber	attnum;
	LinMode		mode = LinTransformed(ctx->mode);

	if (!HeapTupleIsValid(reltup))
		return;
	natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
	ReleaseSysCache(reltup);

	for (attnum = 1; attnum <= natts; attnum++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
										  Int16GetDatum(attnum));
		bool		dropped;

		if (!HeapTupleIsValid(tup))
			continue;
		dropped = ((Form_pg_attribute) GETSTRUCT(tup))->attisdropped;
		ReleaseSysCache(tup);
		if (!dropped)
		{
			LinSource	s = {relid, attnum, DQ_LIN_IDENTITY, false};

			LinApply(ctx->out, list_make1(&s), mode);
		}
	}
}

/* A column (attnum 0: the whole row) of a persistent relation. */
static void
LinRelationColumn(Oid relid, AttrNumber attnum, LinWalkCtx *ctx)
{
	if (attnum == 0)
		LinWholeRow(relid, ctx);
	else if (attnum > 0)
	{
		/* an IDENTITY source seen through the mode: the mode's subtype */
		LinAddSource(ctx->out, relid, attnum, ctx->mode.subtype,
					 ctx->mode.masking);
	}
}

/* Resolve a column reference to the sources behind it. */
static void
LinResolveVar(Var *var, LinWalkCtx *ctx)
{
	LinFrame   *frame = ctx->frame;
	Index		up = var->varlevelsup;
	RangeTblEntry *rte;
	LinWalkCtx	sub;
	ListCell   *lc;

	while (up-- > 0 && frame)
		frame = frame->parent;
	if (frame == NULL || var->varno < 1 ||
		var->varno > list_length(frame->query->rtable))
		return;
	sub = *ctx;
	sub.frame = frame;
	/* a whole-row reference is a value built from every column */
	if (var->varattno == 0)
		sub.mode = LinTransformed(ctx->mode);
	rte = rt_fetch(var->varno, frame->query->rtable);
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			if (frame->query->onConflict &&
				var->varno == frame->query->onConflict->exclRelIndex)
			{
				/* EXCLUDED.col is the value the INSERT proposed */
				(void) LinWalkExpr(LinInsertValue(frame->query, var->varattno),
								   &sub);
			}
			else if (LinIsPersistent(rte))
				LinRelationColumn(rte->relid, var->varattno, ctx);
			break;
		case RTE_NAMEDTUPLESTORE:
			/* a trigger's transition table holds the triggering rows */
			if (lin_trigger && rte->enrname &&
				((lin_trigger->new_table &&
				  strcmp(rte->enrname, lin_trigger->new_table) == 0) ||
				 (lin_trigger->old_table &&
				  strcmp(rte->enrname, lin_trigger->old_table) == 0)))
				LinRelationColumn(lin_trigger->relid, var->varattno, ctx);
			break;
		case RTE_SUBQUERY:
		case RTE_CTE:
			LinApplyColumn(LinRteCols(rte, var->varno, frame), var->varattno,
						   &sub);
			break;
		case RTE_JOIN:
			if (var->varattno > 0 &&
				var->varattno <= list_length(rte->joinaliasvars))
				(void) LinWalkExpr(list_nth(rte->joinaliasvars,
											var->varattno - 1), &sub);
			else if (var->varattno == 0)
				foreach(lc, rte->joinaliasvars)
				{
					(void) LinWalkExpr(lfirst(lc), &sub);
				}
			break;
		case RTE_FUNCTION:
			sub.mode = LinTransformed(ctx->mode);
			foreach(lc, rte->functions)
			{
				(void) LinWalkExpr(((RangeTblFunction *) lfirst(lc))->funcexpr,
								   &sub);
			}
			break;
		case RTE_TABLEFUNC:
			sub.mode = LinTransformed(ctx->mode);
			(void) LinWalkExpr((Node *) rte->tablefunc, &sub);
			break;
		case RTE_VALUES:
			foreach(lc, rte->values_lists)
			{
				List	   *row = (List *) lfirst(lc);

				if (var->varattno > 0 && var->varattno <= list_length(row))
					(void) LinWalkExpr(list_nth(row, var->varattno - 1), &sub);
				else if (var->varattno == 0)
					(void) LinWalkExpr((Node *) row, &sub);
			}
			break;
		default:
			break;
	}
}

/*
 * A parameter: in a trigger's function, NEW.col or OLD.col (or the whole
 * NEW/OLD row); the column of a multiple-column assignment's subquery,
 * UPDATE t SET (a, b) = (SELECT x, y ...).
 */
static void
LinResolveParam(Param *param, LinWalkCtx *ctx)
{
	if (param->paramkind == PARAM_EXTERN && lin_trigger)
	{
		AttrNumber	attnum;

		if (lin_trigger->param_column(lin_trigger->arg, param->paramid,
									  &attnum))
		{
			LinWalkCtx	sub = *ctx;

			if (attnum == 0)
				sub.mode = LinTransformed(ctx->mode);
			LinRelationColumn(lin_trigger->relid, attnum, &sub);
		}
	}
	else if (param->paramkind == PARAM_MULTIEXPR)
	{
		int			sublinkid = param->paramid >> 16;
		int			colno = param->paramid & 0xFFFF;
		ListCell   *lc;

		foreach(lc, ctx->frame->query->targetList)
		{
			TargetEntry *tle = (TargetEntry *) lfirst(lc);
			SubLink    *sl = (SubLink *) tle->expr;
			LinCols    *cols;

			if (!tle->resjunk || !IsA(sl, SubLink) ||
				sl->subLinkType != MULTIEXPR_SUBLINK ||
				sl->subLinkId != sublinkid)
				continue;
			cols = LinResolveQuery((Query *) sl->subselect, ctx->frame);
			LinApplyColumn(cols, colno, ctx);
			/* what the subquery's WHERE decides, for this column */
			LinApply(ctx->out, cols->dataset, ctx->mode);
		}
	}
}

/* Relations whose rows an aggregate such as count(*) counts. */
static void
LinRowSources(Node *jtnode, LinFrame *frame, List **out)
{
	ListCell   *lc;

	if (jtnode == NULL)
		return;
	if (IsA(jtnode, RangeTblRef))
	{
		int			rtindex = ((RangeTblRef *) jtnode)->rtindex;
		RangeTblEntry *rte = rt_fetch(rtindex, frame->query->rtable);

		if (rte->rtekind == RTE_RELATION && LinIsPersistent(rte))
			LinAddSource(out, rte->relid, 0, DQ_LIN_IDENTITY, false);
		else if (rte->rtekind == RTE_SUBQUERY || rte->rtekind == RTE_CTE)
		{
			LinCols    *cols = LinRteCols(rte, rtindex, frame);
			Query	   *sub = rte->rtekind == RTE_SUBQUERY ? rte->subquery : NULL;
			LinFrame   *subframe;

			if (cols == NULL || cols->in_progress)
				return;
			if (sub == NULL)
			{
				/* the CTE's own query; its frame matters only for outer refs */
				LinFrame   *owner = frame;
				Index		up = rte->ctelevelsup;

				while (up-- > 0 && owner)
					owner = owner->parent;
				foreach(lc, owner ? owner->query->cteList : NIL)
				{
					CommonTableExpr *cte = (CommonTableExpr *) lfirst(lc);

					if (strcmp(cte->ctename, rte->ctename) == 0)
						sub = (Query *) cte->ctequery;
				}
				if (sub == NULL)
					return;
				frame = owner;
			}
			subframe = LinNewFrame(sub, frame);
			if (sub->setOperations == NULL)
				LinRowSources((Node *) sub->jointree, subframe, out);
			else
			{
				foreach(lc, sub->rtable)
				{
					RangeTblEntry *leaf = (RangeTblEntry *) lfirst(lc);

					if (leaf->rtekind == RTE_SUBQUERY)
					{
						LinFrame   *leafframe = LinNewFrame(leaf->subquery,
															subframe);

						LinRowSources((Node *) leaf->subquery->jointree,
									  leafframe, out);
					}
				}
			}
		}
	}
	else if (IsA(jtnode, FromExpr))
	{
		foreach(lc, ((FromExpr *) jtnode)->fromlist)
		{
			LinRowSources(lfirst(lc), frame, out);
		}
	}
	else if (IsA(jtnode, JoinExpr))
	{
		LinRowSources(((JoinExpr *) jtnode)->larg, frame, out);
		LinRowSources(((JoinExpr *) jtnode)->rarg, frame, out);
	}
}

/* Functions that hide their input: hashes and digests. */
static bool
LinIsMaskingFunction(Oid funcid)
{
	static const char *const masking[] = {
		"md5", "sha224", "sha256", "sha384", "sha512", "digest", "hmac",
		"crypt", "hashtext", "hashtextextended", "hashint4", "hashint8",
		"count", NULL
	};
	char	   *name = get_func_name(funcid);
	int			i;

	if (name == NULL)
		return false;
	for (i = 0; masking[i]; i++)
		if (strcmp(name, masking[i]) == 0)
			return true;
	return false;
}

/*
 * Casts that keep every value: the result equals the input for every
 * input, only its type is wider.  Widening numeric casts (int2 -> int4 ->
 * int8 -> numeric, int2/int4 -> float8, int2 -> float4, float4 -> float8),
 * name -> text/varchar, date -> timestamp, and length coercions that do not
 * shorten (varchar(10) -> varchar(20), numeric(10,2) -> numeric(12,2),
 * timestamp(0) -> timestamp(3)), or that only check (an assignment to
 * varchar(n) or char(n) raises an error rather than cut).  Every other
 * cast (narrowing, rounding, to or from text, time-zone dependent) is a
 * TRANSFORMATION.  A binary-compatible cast (RelabelType) and a domain
 * check keep the value too; they are handled by the walker.
 */
static bool
LinCastKeepsValue(Node *node)
{
	static const Oid widening[][2] = {
		{INT2OID, INT4OID}, {INT2OID, INT8OID}, {INT4OID, INT8OID},
		{INT2OID, NUMERICOID}, {INT4OID, NUMERICOID}, {INT8OID, NUMERICOID},
		{INT2OID, FLOAT4OID}, {INT2OID, FLOAT8OID}, {INT4OID, FLOAT8OID},
		{FLOAT4OID, FLOAT8OID}, {NAMEOID, TEXTOID}, {NAMEOID, VARCHAROID},
		{DATEOID, TIMESTAMPOID}
	};
	FuncExpr   *fe;
	Node	   *arg;
	Oid			from;
	Oid			to;
	int32		from_mod;
	int32		to_mod;
	int			i;

	if (node == NULL)
		return false;
	if (IsA(node, CaseTestExpr))
		return true;			/* an array coercion's element as it is */
	if (IsA(node, RelabelType))
		return IsA(((RelabelType *) node)->arg, CaseTestExpr) ||
			LinCastKeepsValue((Node *) ((RelabelType *) node)->arg);
	if (!IsA(node, FuncExpr))
		return false;
	fe = (FuncExpr *) node;
	if ((fe->funcformat != COERCE_IMPLICIT_CAST &&
		 fe->funcformat != COERCE_EXPLICIT_CAST) || fe->args == NIL)
		return false;
	arg = linitial(fe->args);
	from = exprType(arg);
	to = fe->funcresulttype;
	if (from != to)
	{
		if (list_length(fe->args) != 1)
			return false;
		for (i = 0; i < lengthof(widening); i++)
			if (widening[i][0] == from && widening[i][1] == to)
				return true;
		return false;
	}

	/* a length coercion: the same type, another type modifier */
	if (list_length(fe->args) < 2 || !IsA(lsecond(fe->args), Const) ||
		((Const *) lsecond(fe->args))->constisnull)
		return false;
	to_mod = DatumGetInt32(((Const *) lsecond(fe->args))->constvalue);
	from_mod = exprTypmod(arg);
	if (to_mod < 0 || to_mod == from_mod)
		return true;
	switch (to)
	{
		case VARCHAROID:
		case BPCHAROID:
			/* widening, or an assignment: too long a value is an error */
			if (from_mod >= 0 && to_mod >= from_mod)
				return true;
			return fe->funcformat == COERCE_IMPLICIT_CAST &&
				list_length(fe->args) == 3 &&
				IsA(lthird(fe->args), Const) &&
				!DatumGetBool(((Const *) lthird(fe->args))->constvalue);
		case NUMERICOID:
			{
				int			fp,
							fs,
							tp,
							ts;

				if (from_mod < (int32) VARHDRSZ)
					return false;
				fp = ((from_mod - VARHDRSZ) >> 16) & 0xFFFF;
				fs = (from_mod - VARHDRSZ) & 0xFFFF;
				tp = ((to_mod - VARHDRSZ) >> 16) & 0xFFFF;
				ts = (to_mod - VARHDRSZ) & 0xFFFF;
				return ts >= fs && tp - ts >= fp - fs;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMEOID:
		case TIMETZOID:
			return from_mod >= 0 && to_mod >= from_mod;
		default:
			return false;
	}
}

/* Partition and order keys of a window, as per-column WINDOW sources. */
static void
LinWindowKeys(Index winref, LinWalkCtx *ctx)
{
	Query	   *query = ctx->frame->query;
	ListCell   *lc;
	ListCell   *lc2;

	foreach(lc, query->windowClause)
	{
		WindowClause *wc = (WindowClause *) lfirst(lc);

		if (wc->winref != winref)
			continue;
		foreach(lc2, list_concat_copy(wc->partitionClause, wc->orderClause))
		{
			SortGroupClause *sgc = (SortGroupClause *) lfirst(lc2);

			LinWalkWith(get_sortgroupclause_expr(sgc, query->targetList), ctx,
						LinIndirect(ctx->mode, DQ_LIN_WINDOW));
		}
	}
}

/* The arguments of an aggregate or window function, as AGGREGATION. */
static void
LinWalkAggregate(List *args, Expr *filter, bool star, bool masking,
				 LinWalkCtx *ctx)
{
	LinMode		mode = ctx->mode;
	ListCell   *lc;

	if (DqLinIsDirect(mode.subtype))
		mode.subtype = DQ_LIN_AGGREGATION;
	mode.masking = mode.masking || masking;
	foreach(lc, args)
	{
		Node	   *arg = (Node *) lfirst(lc);

		if (IsA(arg, TargetEntry))
			arg = (Node *) ((TargetEntry *) arg)->expr;
		LinWalkWith(arg, ctx, mode);
	}
	if (star)
	{
		List	   *rows = NIL;

		LinRowSources((Node *) ctx->frame->query->jointree, ctx->frame, &rows);
		LinApply(ctx->out, rows, mode);
	}
	LinWalkWith((Node *) filter, ctx,
				LinIndirect(ctx->mode, DQ_LIN_FILTER));
}

/*
 * Expression walker: collects the sources an expression reads, classified
 * by how the expression uses them.
 */
static bool
LinWalkExpr(Node *node, LinWalkCtx *ctx)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	check_stack_depth();
	switch (nodeTag(node))
	{
		case T_Var:
			LinResolveVar((Var *) node, ctx);
			return false;
		case T_RelabelType:
			/* binary-compatible cast: the value is unchanged */
			return LinWalkExpr((Node *) ((RelabelType *) node)->arg, ctx);
		case T_CollateExpr:
			return LinWalkExpr((Node *) ((CollateExpr *) node)->arg, ctx);
		case T_Aggref:
			{
				Aggref	   *agg = (Aggref *) node;

				LinWalkAggregate(agg->args, agg->aggfilter, agg->aggstar,
								 LinIsMaskingFunction(agg->aggfnoid), ctx);
				return false;
			}
		case T_WindowFunc:
			{
				WindowFunc *wf = (WindowFunc *) node;

				if (wf->winagg)
					LinWalkAggregate(wf->args, wf->aggfilter, wf->winstar,
									 LinIsMaskingFunction(wf->winfnoid), ctx);
				else
				{
					LinWalkWith((Node *) wf->args, ctx,
								LinTransformed(ctx->mode));
					LinWalkWith((Node *) wf->aggfilter, ctx,
								LinIndirect(ctx->mode, DQ_LIN_FILTER));
				}
				LinWindowKeys(wf->winref, ctx);
				return false;
			}
		case T_CaseExpr:
			{
				CaseExpr   *ce = (CaseExpr *) node;
				LinMode		cond = LinIndirect(ctx->mode, DQ_LIN_CONDITIONAL);

				LinWalkWith((Node *) ce->arg, ctx, cond);
				foreach(lc, ce->args)
				{
					CaseWhen   *cw = (CaseWhen *) lfirst(lc);

					LinWalkWith((Node *) cw->expr, ctx, cond);
					LinWalkWith((Node *) cw->result, ctx,
								LinTransformed(ctx->mode));
				}
				LinWalkWith((Node *) ce->defresult, ctx,
							LinTransformed(ctx->mode));
				return false;
			}
		case T_CaseTestExpr:
			return false;
		case T_CoalesceExpr:
			{
				CoalesceExpr *ce = (CoalesceExpr *) node;

				foreach(lc, ce->args)
				{
					LinWalkWith(lfirst(lc), ctx, LinTransformed(ctx->mode));
					/* every argument but the last is tested for NULL */
					if (lnext(ce->args, lc) != NULL)
						LinWalkWith(lfirst(lc), ctx,
									LinIndirect(ctx->mode,
												DQ_LIN_CONDITIONAL));
				}
				return false;
			}
		case T_FuncExpr:
			{
				FuncExpr   *fe = (FuncExpr *) node;
				LinMode		mode = LinTransformed(ctx->mode);

				/* a widening cast keeps every value: still IDENTITY */
				if (LinCastKeepsValue(node))
					return LinWalkExpr(linitial(fe->args), ctx);
				if (DqLinIsDirect(mode.subtype) &&
					LinIsMaskingFunction(fe->funcid))
					mode.masking = true;
				LinWalkWith((Node *) fe->args, ctx, mode);
				return false;
			}
		case T_SubLink:
			{
				SubLink    *sl = (SubLink *) node;
				LinWalkCtx	sub = *ctx;
				LinCols    *cols;
				LinMode		mode = ctx->mode;

				/* EXISTS, IN, ANY, ALL: a test, not a value */
				if (sl->subLinkType != EXPR_SUBLINK &&
					sl->subLinkType != ARRAY_SUBLINK &&
					sl->subLinkType != MULTIEXPR_SUBLINK &&
					DqLinIsDirect(mode.subtype))
					mode = LinIndirect(mode, DQ_LIN_CONDITIONAL);
				LinWalkWith(sl->testexpr, ctx, mode);
				cols = LinResolveQuery((Query *) sl->subselect, ctx->frame);
				sub.mode = sl->subLinkType == ARRAY_SUBLINK ?
					LinTransformed(mode) : mode;
				LinApplyColumn(cols, sl->subLinkType == EXISTS_SUBLINK ? 0 : 1,
							   &sub);
				if (sl->subLinkType == EXISTS_SUBLINK &&
					DqLinIsDirect(mode.subtype))
					return false;
				LinApply(ctx->out, cols->dataset, mode);
				return false;
			}
		case T_Param:
			LinResolveParam((Param *) node, ctx);
			return false;
		case T_FieldSelect:
			{
				FieldSelect *fs = (FieldSelect *) node;

				/* (row).col of a whole row read as it is: that column */
				if (IsA(fs->arg, Var) && ((Var *) fs->arg)->varattno == 0)
				{
					Var			col = *(Var *) fs->arg;

					col.varattno = fs->fieldnum;
					LinResolveVar(&col, ctx);
					return false;
				}
				if (IsA(fs->arg, Param) && lin_trigger &&
					((Param *) fs->arg)->paramkind == PARAM_EXTERN)
				{
					AttrNumber	attnum;

					if (lin_trigger->param_column(lin_trigger->arg,
												  ((Param *) fs->arg)->paramid,
												  &attnum) && attnum == 0)
						LinRelationColumn(lin_trigger->relid, fs->fieldnum,
										  ctx);
					return false;
				}
				LinWalkWith((Node *) fs->arg, ctx, LinTransformed(ctx->mode));
				return false;
			}
		case T_NullIfExpr:
			{
				/* CASE WHEN a = b THEN NULL ELSE a END */
				NullIfExpr *ni = (NullIfExpr *) node;
				LinMode		cond = LinIndirect(ctx->mode, DQ_LIN_CONDITIONAL);

				LinWalkWith(linitial(ni->args), ctx, LinTransformed(ctx->mode));
				LinWalkWith((Node *) ni->args, ctx, cond);
				return false;
			}
		case T_MinMaxExpr:
			{
				/* GREATEST, LEAST: every argument may be the value, and
				 * every argument decides which one is */
				MinMaxExpr *mm = (MinMaxExpr *) node;

				LinWalkWith((Node *) mm->args, ctx, LinTransformed(ctx->mode));
				LinWalkWith((Node *) mm->args, ctx,
							LinIndirect(ctx->mode, DQ_LIN_CONDITIONAL));
				return false;
			}
		case T_SubscriptingRef:
			{
				/* arr[i]: the value is part of arr; i chooses which */
				SubscriptingRef *sr = (SubscriptingRef *) node;
				LinMode		cond = LinIndirect(ctx->mode, DQ_LIN_CONDITIONAL);

				LinWalkWith((Node *) sr->refexpr, ctx, LinTransformed(ctx->mode));
				LinWalkWith((Node *) sr->refassgnexpr, ctx,
							LinTransformed(ctx->mode));
				LinWalkWith((Node *) sr->refupperindexpr, ctx, cond);
				LinWalkWith((Node *) sr->reflowerindexpr, ctx, cond);
				return false;
			}
		case T_GroupingFunc:
			{
				/* GROUPING(a) tells how the row was grouped, not a value of a */
				LinMode		mode = ctx->mode;

				if (DqLinIsDirect(mode.subtype))
					mode = LinIndirect(mode, DQ_LIN_GROUP_BY);
				LinWalkWith((Node *) ((GroupingFunc *) node)->args, ctx, mode);
				return false;
			}
		case T_CoerceToDomain:
			/* a domain checks the value, it does not change it */
			return LinWalkExpr((Node *) ((CoerceToDomain *) node)->arg, ctx);
		case T_ArrayCoerceExpr:
			{
				ArrayCoerceExpr *ac = (ArrayCoerceExpr *) node;

				if (LinCastKeepsValue((Node *) ac->elemexpr))
					return LinWalkExpr((Node *) ac->arg, ctx);
				LinWalkWith((Node *) ac->arg, ctx, LinTransformed(ctx->mode));
				return false;
			}
		case T_Const:
			return false;
		default:
			{
				/* operators and every other expression transform */
				LinWalkCtx	sub = *ctx;

				sub.mode = LinTransformed(ctx->mode);
				return expression_tree_walker(node, LinWalkExpr, &sub);
			}
	}
}

/* Walk one expression into a list of sources. */
static List *
LinSourcesOf(Node *expr, LinFrame *frame, LinMode mode)
{
	List	   *out = NIL;
	LinWalkCtx	ctx;

	ctx.frame = frame;
	ctx.mode = mode;
	ctx.out = &out;
	(void) LinWalkExpr(expr, &ctx);
	return out;
}

/*
 * Relations a condition compares (for JOIN vs FILTER): range table entries
 * of this level, each outer query level it refers to (a correlated or
 * LATERAL subquery's predicate), and the subquery of IN / ANY / ALL.
 */
static bool
LinCountVarnos(Node *node, Bitmapset **varnos)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		/* this level's entries by number, an outer level as a whole */
		if (var->varlevelsup == 0)
			*varnos = bms_add_member(*varnos, var->varno + 1);
		else
			*varnos = bms_add_member(*varnos, 0);
		return false;
	}
	if (IsA(node, SubLink))
	{
		SubLink    *sl = (SubLink *) node;

		if (sl->testexpr != NULL &&
			(sl->subLinkType == ANY_SUBLINK || sl->subLinkType == ALL_SUBLINK ||
			 sl->subLinkType == ROWCOMPARE_SUBLINK))
		{
			/* x IN (SELECT y ...) compares x with the subquery's y */
			*varnos = bms_add_member(*varnos, 1);
			return LinCountVarnos(sl->testexpr, varnos);
		}
		return false;
	}
	if (IsA(node, Query))
		return false;
	return expression_tree_walker(node, LinCountVarnos, varnos);
}

/*
 * A qualification.  In a WHERE clause (find_joins), conjuncts that compare
 * two relations are join conditions, the others filters.
 */
static void
LinQuals(Node *quals, LinFrame *frame, DqLinSubtype subtype, bool find_joins,
		 List **out)
{
	List	   *conjuncts;
	ListCell   *lc;
	LinMode		mode = {subtype, false};

	if (quals == NULL)
		return;
	if (IsA(quals, BoolExpr) && ((BoolExpr *) quals)->boolop == AND_EXPR)
		conjuncts = ((BoolExpr *) quals)->args;
	else if (IsA(quals, List))
		conjuncts = (List *) quals;
	else
		conjuncts = list_make1(quals);
	foreach(lc, conjuncts)
	{
		Bitmapset  *varnos = NULL;
		LinWalkCtx	ctx;

		mode.subtype = subtype;
		if (find_joins)
		{
			(void) LinCountVarnos(lfirst(lc), &varnos);
			if (bms_num_members(varnos) > 1)
				mode.subtype = DQ_LIN_JOIN;
		}
		/* an INDIRECT mode leaves nothing DIRECT: walk straight into out */
		ctx.frame = frame;
		ctx.mode = mode;
		ctx.out = out;
		(void) LinWalkExpr(lfirst(lc), &ctx);
	}
}

/* Dataset-level sources of the FROM clause. */
static void
LinJoinTree(Node *jtnode, LinFrame *frame, List **out)
{
	ListCell   *lc;

	if (jtnode == NULL)
		return;
	if (IsA(jtnode, RangeTblRef))
	{
		int			rtindex = ((RangeTblRef *) jtnode)->rtindex;
		RangeTblEntry *rte = rt_fetch(rtindex, frame->query->rtable);
		LinCols    *cols = LinRteCols(rte, rtindex, frame);

		if (cols && !cols->in_progress)
			LinApply(out, cols->dataset, (LinMode)
					 {
						 DQ_LIN_IDENTITY, false
					 });
	}
	else if (IsA(jtnode, FromExpr))
	{
		FromExpr   *fe = (FromExpr *) jtnode;

		foreach(lc, fe->fromlist)
		{
			LinJoinTree(lfirst(lc), frame, out);
		}
		LinQuals(fe->quals, frame, DQ_LIN_FILTER, true, out);
	}
	else if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *je = (JoinExpr *) jtnode;

		LinJoinTree(je->larg, frame, out);
		LinJoinTree(je->rarg, frame, out);
		LinQuals(je->quals, frame, DQ_LIN_JOIN, false, out);
	}
}

/* Sources of the expressions of a list of sort/group clauses. */
static void
LinClauses(List *clauses, LinFrame *frame, DqLinSubtype subtype, List **out)
{
	ListCell   *lc;
	LinMode		mode = {subtype, false};

	foreach(lc, clauses)
	{
		SortGroupClause *sgc = (SortGroupClause *) lfirst(lc);
		Node	   *expr = get_sortgroupclause_expr(sgc, frame->query->targetList);

		LinApply(out, LinSourcesOf(expr, frame, mode), mode);
	}
}

/* Every INDIRECT source that affects the whole output of a query. */
static void
LinQueryDataset(LinFrame *frame, List **out)
{
	Query	   *query = frame->query;

	LinJoinTree((Node *) query->jointree, frame, out);
	LinQuals(query->havingQual, frame, DQ_LIN_FILTER, false, out);
	LinClauses(query->groupClause, frame, DQ_LIN_GROUP_BY, out);
	LinClauses(query->distinctClause, frame, DQ_LIN_GROUP_BY, out);
	LinClauses(query->sortClause, frame, DQ_LIN_SORT, out);
}

/* Leaves of a set operation tree, in order. */
static void
LinSetOpLeaves(Node *node, List **leaves)
{
	if (IsA(node, RangeTblRef))
		*leaves = lappend_int(*leaves, ((RangeTblRef *) node)->rtindex);
	else if (IsA(node, SetOperationStmt))
	{
		LinSetOpLeaves(((SetOperationStmt *) node)->larg, leaves);
		LinSetOpLeaves(((SetOperationStmt *) node)->rarg, leaves);
	}
}

/*
 * Sources of every output column of a query (its target list, or for a
 * modifying CTE its RETURNING list) and its dataset-level sources.  Every
 * branch of a set operation contributes.
 */
static LinCols *
LinResolveQuery(Query *query, LinFrame *parent)
{
	LinFrame   *frame = LinNewFrame(query, parent);
	LinCols    *cols = palloc0(sizeof(LinCols));
	List	   *tlist;
	ListCell   *lc;
	int			i;

	check_stack_depth();
	tlist = query->commandType == CMD_SELECT ? query->targetList :
		query->returningList;
	foreach(lc, tlist)
	{
		if (!((TargetEntry *) lfirst(lc))->resjunk)
			cols->ncols++;
	}
	cols->cols = palloc0(sizeof(List *) * (cols->ncols + 1));

	if (query->setOperations)
	{
		List	   *leaves = NIL;

		LinSetOpLeaves(query->setOperations, &leaves);
		foreach(lc, leaves)
		{
			Index		rtindex = lfirst_int(lc);
			LinCols    *leaf = LinRteCols(rt_fetch(rtindex, query->rtable),
										  rtindex, frame);
			LinMode		same = {DQ_LIN_IDENTITY, false};

			if (leaf == NULL || leaf->in_progress)
				continue;
			for (i = 0; i < cols->ncols && i < leaf->ncols; i++)
				LinApply(&cols->cols[i], leaf->cols[i], same);
			LinApply(&cols->dataset, leaf->dataset, same);
		}
		LinClauses(query->sortClause, frame, DQ_LIN_SORT, &cols->dataset);
		return cols;
	}

	i = 0;
	foreach(lc, tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (tle->resjunk)
			continue;
		cols->cols[i++] = LinSourcesOf((Node *) tle->expr, frame,
									   (LinMode)
									   {
										   DQ_LIN_IDENTITY, false
									   });
	}
	LinQueryDataset(frame, &cols->dataset);
	return cols;
}

/* Add an edge unless the set has it. */
void
DqLinEdgeSetAdd(DqLinEdgeSet *set, const DqLinEdge *edge)
{
	int			i;

	for (i = 0; i < set->n; i++)
	{
		DqLinEdge  *e = &set->items[i];

		if (e->target_relid == edge->target_relid &&
			e->target_attnum == edge->target_attnum &&
			e->source_relid == edge->source_relid &&
			e->source_attnum == edge->source_attnum &&
			e->subtype == edge->subtype && e->masking == edge->masking &&
			e->origin == edge->origin)
			return;
	}
	if (set->n == set->cap)
	{
		set->cap = set->cap ? set->cap * 2 : 16;
		set->items = set->items ?
			repalloc(set->items, sizeof(DqLinEdge) * set->cap) :
			palloc(sizeof(DqLinEdge) * set->cap);
	}
	set->items[set->n++] = *edge;
}

/* Turn sources into edges to one target column (0: dataset level). */
static void
LinEmit(DqLinEdgeSet *out, List *sources, Oid target, AttrNumber attnum,
		DqLinOrigin origin)
{
	ListCell   *lc;

	foreach(lc, sources)
	{
		LinSource  *s = (LinSource *) lfirst(lc);
		DqLinEdge	e;

		/* per-column INDIRECT sources of a dataset edge stay dataset level */
		e.target_relid = target;
		e.target_attnum = attnum;
		e.source_relid = s->relid;
		e.source_attnum = s->attnum;
		e.subtype = s->subtype;
		e.origin = origin;
		e.masking = DqLinIsDirect(s->subtype) ? s->masking : false;
		DqLinEdgeSetAdd(out, &e);
	}
}

/* Edges of a target list whose resno are the target's column numbers. */
static void
LinEmitTargetList(DqLinEdgeSet *out, List *tlist, LinFrame *frame, Oid target,
				  DqLinOrigin origin)
{
	ListCell   *lc;

	foreach(lc, tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (tle->resjunk)
			continue;
		LinEmit(out, LinSourcesOf((Node *) tle->expr, frame,
								  (LinMode)
								  {
									  DQ_LIN_IDENTITY, false
								  }),
				target, tle->resno, origin);
	}
}

/*
 * Edges of a view's, materialized view's or CREATE TABLE AS query: output
 * column i feeds column i of the new relation.
 */
void
DqLineageFromSelect(Query *query, Oid target_relid, DqLinOrigin origin,
					DqLinEdgeSet *out)
{
	LinCols    *cols;
	int			i;

	lin_last_relid = InvalidOid;
	cols = LinResolveQuery(query, NULL);
	for (i = 0; i < cols->ncols; i++)
		LinEmit(out, cols->cols[i], target_relid, i + 1, origin);
	LinEmit(out, cols->dataset, target_relid, 0, origin);
}

/*
 * ON CONFLICT: the arbiter columns decide, row by row, whether the row is
 * inserted or the existing one updated (or left alone): they join the
 * proposed rows with the target's, as MERGE's ON condition does.  Both
 * sides are dataset-level JOIN sources: the target's column and what the
 * INSERT proposed for it.  The arbiter is the conflict target's columns, or
 * the named constraint's, or (no conflict target) every unique index's.
 */
static void
LinArbiter(Query *query, LinFrame *frame, Oid target, List **dataset)
{
	OnConflictExpr *oc = query->onConflict;
	Bitmapset  *cols = NULL;
	LinMode		join = {DQ_LIN_JOIN, false};
	ListCell   *lc;
	int			attnum;

	foreach(lc, oc->arbiterElems)
	{
		InferenceElem *ie = (InferenceElem *) lfirst(lc);

		if (IsA(ie->expr, Var))
			cols = bms_add_member(cols, ((Var *) ie->expr)->varattno);
		else
			LinApply(dataset, LinSourcesOf(ie->expr, frame, join), join);
	}
	if (oc->arbiterElems == NIL)
	{
		Relation	rel = relation_open(target, NoLock);
		List	   *indexes = RelationGetIndexList(rel);

		relation_close(rel, NoLock);
		foreach(lc, indexes)
		{
			Oid			indexoid = lfirst_oid(lc);
			HeapTuple	tup;
			Form_pg_index index;
			int			k;

			if (OidIsValid(oc->constraint) &&
				get_index_constraint(indexoid) != oc->constraint)
				continue;
			tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
			if (!HeapTupleIsValid(tup))
				continue;
			index = (Form_pg_index) GETSTRUCT(tup);
			if (index->indisunique && index->indimmediate)
				for (k = 0; k < index->indnkeyatts; k++)
					if (index->indkey.values[k] > 0)
						cols = bms_add_member(cols, index->indkey.values[k]);
			ReleaseSysCache(tup);
		}
	}
	attnum = -1;
	while ((attnum = bms_next_member(cols, attnum)) >= 0)
	{
		LinAddSource(dataset, target, attnum, DQ_LIN_JOIN, false);
		LinApply(dataset, LinSourcesOf(LinInsertValue(query, attnum), frame,
									   join), join);
	}
}

/*
 * The UPDATE of OLTP workloads (pgbench's, an ORM's): one table, no FROM,
 * no subquery, no CTE, assignments and a WHERE made of columns of the
 * table, constants, parameters, operators and casts.  Its edges follow from
 * its columns alone, so they are collected here without the general walk's
 * frames and source lists: the same edges, in a third of the instructions.
 * Any other node makes it return false and the general walk run.
 */
typedef struct LinSimpleCtx
{
	DqLinEdgeSet *out;
	Oid			target;
	AttrNumber	target_attnum;
	uint8		subtype;
} LinSimpleCtx;

static bool
LinSimpleWalk(Node *node, LinSimpleCtx *ctx)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;
				DqLinEdge	e;

				if (var->varlevelsup != 0 || var->varno != 1 ||
					var->varattno <= 0)
					return true;	/* a whole row, a system column */
				e.target_relid = ctx->target;
				e.target_attnum = ctx->target_attnum;
				e.source_relid = ctx->target;
				e.source_attnum = var->varattno;
				e.subtype = ctx->subtype;
				e.origin = DQ_LIN_ORIGIN_UPDATE;
				e.masking = false;
				DqLinEdgeSetAdd(ctx->out, &e);
				return false;
			}
		case T_Const:
		case T_Param:
			return false;
		case T_FuncExpr:
			/* casts only: other functions may mask (the general walk) */
			if (((FuncExpr *) node)->funcformat != COERCE_IMPLICIT_CAST &&
				((FuncExpr *) node)->funcformat != COERCE_EXPLICIT_CAST)
				return true;
			break;
		case T_OpExpr:
		case T_RelabelType:
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_ScalarArrayOpExpr:
		case T_List:
			break;
		default:
			return true;
	}
	return expression_tree_walker(node, LinSimpleWalk, ctx);
}

/* A value-keeping cast, or a binary-compatible one, around a column. */
static Node *
LinStripKeepingCasts(Node *node)
{
	for (;;)
	{
		if (IsA(node, RelabelType))
			node = (Node *) ((RelabelType *) node)->arg;
		else if (IsA(node, FuncExpr) && LinCastKeepsValue(node))
			node = linitial(((FuncExpr *) node)->args);
		else
			return node;
	}
}

static bool
LinSimpleUpdate(Query *query, DqLinEdgeSet *out)
{
	RangeTblEntry *rte;
	LinSimpleCtx ctx;
	ListCell   *lc;
	int			start = out->n;

	if (query->commandType != CMD_UPDATE || query->resultRelation != 1 ||
		list_length(query->rtable) != 1 || query->hasSubLinks ||
		query->cteList != NIL || lin_trigger != NULL)
		return false;
	rte = rt_fetch(1, query->rtable);
	if (rte->rtekind != RTE_RELATION)
		return false;
	if (!LinIsPersistent(rte))
		return true;			/* no edges, as in the general walk */
	ctx.out = out;
	ctx.target = rte->relid;
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);
		Node	   *expr = (Node *) tle->expr;

		if (tle->resjunk)
			continue;
		ctx.target_attnum = tle->resno;
		ctx.subtype = IsA(LinStripKeepingCasts(expr), Var) ?
			DQ_LIN_IDENTITY : DQ_LIN_TRANSFORMATION;
		if (LinSimpleWalk(expr, &ctx))
		{
			out->n = start;
			return false;
		}
	}
	ctx.target_attnum = 0;
	ctx.subtype = DQ_LIN_FILTER;
	if (LinSimpleWalk(query->jointree->quals, &ctx))
	{
		out->n = start;
		return false;
	}
	return true;
}

/* Edges of a data-modifying statement, and of its modifying CTEs. */
static void
LinStatement(Query *query, LinFrame *parent, DqLinEdgeSet *out)
{
	LinFrame   *frame = LinNewFrame(query, parent);
	List	   *dataset = NIL;
	ListCell   *lc;
	Oid			target = InvalidOid;
	DqLinOrigin origin;

	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = (CommonTableExpr *) lfirst(lc);

		if (IsA(cte->ctequery, Query) &&
			((Query *) cte->ctequery)->commandType != CMD_SELECT)
			LinStatement((Query *) cte->ctequery, frame, out);
	}
	if (query->resultRelation > 0)
	{
		RangeTblEntry *rte = rt_fetch(query->resultRelation, query->rtable);

		if (rte->rtekind == RTE_RELATION && LinIsPersistent(rte))
			target = rte->relid;
	}
	if (!OidIsValid(target))
		return;

	switch (query->commandType)
	{
		case CMD_INSERT:
			origin = DQ_LIN_ORIGIN_INSERT;
			LinEmitTargetList(out, query->targetList, frame, target, origin);
			if (query->onConflict)
			{
				LinArbiter(query, frame, target, &dataset);
				if (query->onConflict->action == ONCONFLICT_UPDATE)
				{
					LinEmitTargetList(out, query->onConflict->onConflictSet,
									  frame, target, origin);
					LinQuals(query->onConflict->onConflictWhere, frame,
							 DQ_LIN_FILTER, false, &dataset);
				}
			}
			break;
		case CMD_UPDATE:
			origin = DQ_LIN_ORIGIN_UPDATE;
			LinEmitTargetList(out, query->targetList, frame, target, origin);
			break;
		case CMD_MERGE:
			origin = DQ_LIN_ORIGIN_MERGE;
			foreach(lc, query->mergeActionList)
			{
				MergeAction *action = (MergeAction *) lfirst(lc);

				LinEmitTargetList(out, action->targetList, frame, target,
								  origin);
				LinQuals(action->qual, frame, DQ_LIN_FILTER, false, &dataset);
			}
			break;
		default:
			/* DELETE moves no column into its target */
			return;
	}
	LinQueryDataset(frame, &dataset);
	LinEmit(out, dataset, target, 0, origin);
}

/*
 * Edges of a data-modifying statement (INSERT, UPDATE, MERGE, or any
 * statement with data-modifying CTEs); trigger, when the statement runs in
 * a trigger's function, says what its NEW and OLD parameters stand for.
 */
void
DqLineageFromStatement(Query *query, const DqLinTrigger *trigger,
					   DqLinEdgeSet *out)
{
	lin_trigger = trigger;
	lin_last_relid = InvalidOid;
	PG_TRY();
	{
		if (!LinSimpleUpdate(query, out))
			LinStatement(query, NULL, out);
	}
	PG_FINALLY();
	{
		lin_trigger = NULL;
	}
	PG_END_TRY();
}

/*
 * Sources of every output column of a query (COPY (query) TO): a list of
 * DqLinField, field 0 for the dataset-level ones.
 */
List *
DqLineageQueryFields(Query *query)
{
	LinCols    *cols;
	List	   *fields = NIL;
	int			i;

	lin_last_relid = InvalidOid;
	cols = LinResolveQuery(query, NULL);
	for (i = 0; i <= cols->ncols; i++)
	{
		List	   *sources = i < cols->ncols ? cols->cols[i] : cols->dataset;
		ListCell   *lc;

		foreach(lc, sources)
		{
			LinSource  *s = (LinSource *) lfirst(lc);
			DqLinField *f = palloc(sizeof(DqLinField));

			f->field = i < cols->ncols ? i + 1 : 0;
			f->source_relid = s->relid;
			f->source_attnum = s->attnum;
			f->subtype = s->subtype;
			f->masking = DqLinIsDirect(s->subtype) ? s->masking : false;
			fields = lappend(fields, f);
		}
	}
	return fields;
}
