/*-------------------------------------------------------------------------
 *
 * lineage_statement.c
 *	  Edges of a statement: INSERT, UPDATE, MERGE, ON CONFLICT, modifying
 *	  CTEs, the queries of views and CREATE TABLE AS, and the columns of a
 *	  COPY (query) TO; the early exit that decides in a few instructions
 *	  that a statement moves no column, and the direct path of the
 *	  one-table UPDATE.  The queries and expressions inside are resolved by
 *	  lineage_walk.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_index.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "lineage/lineage_walk.h"

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
		LinEmit(out, DqLinSourcesOf((Node *) tle->expr, frame,
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

	DqLinWalkBegin(NULL);
	cols = DqLinResolveQuery(query, NULL);
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
			DqLinApply(dataset, DqLinSourcesOf(ie->expr, frame, join), join);
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

			if (OidIsValid(oc->constraint) &&
				get_index_constraint(indexoid) != oc->constraint)
				continue;
			tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
			if (!HeapTupleIsValid(tup))
				continue;
			index = (Form_pg_index) GETSTRUCT(tup);
			if (index->indisunique && index->indimmediate)
				for (int k = 0; k < index->indnkeyatts; k++)
					if (index->indkey.values[k] > 0)
						cols = bms_add_member(cols, index->indkey.values[k]);
			ReleaseSysCache(tup);
		}
	}
	attnum = -1;
	while ((attnum = bms_next_member(cols, attnum)) >= 0)
	{
		DqLinAddSource(dataset, target, attnum, DQ_LIN_JOIN, false);
		DqLinApply(dataset, DqLinSourcesOf(DqLinInsertValue(query, attnum), frame,
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
		else if (IsA(node, FuncExpr) && DqLinCastKeepsValue(node))
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
		query->cteList != NIL)
		return false;
	rte = rt_fetch(1, query->rtable);
	if (rte->rtekind != RTE_RELATION)
		return false;
	if (!DqLinIsPersistent(rte))
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
	LinFrame   *frame = DqLinNewFrame(query, parent);
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

		if (rte->rtekind == RTE_RELATION && DqLinIsPersistent(rte))
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
					DqLinQuals(query->onConflict->onConflictWhere, frame,
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
				DqLinQuals(action->qual, frame, DQ_LIN_FILTER, false, &dataset);
			}
			break;
		default:
			/* DELETE moves no column into its target */
			return;
	}
	DqLinQueryDataset(frame, &dataset);
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
	DqLinWalkBegin(trigger);
	PG_TRY();
	{
		if (trigger != NULL || !LinSimpleUpdate(query, out))
			LinStatement(query, NULL, out);
	}
	PG_FINALLY();
	{
		DqLinWalkBegin(NULL);
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

	DqLinWalkBegin(NULL);
	cols = DqLinResolveQuery(query, NULL);
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
