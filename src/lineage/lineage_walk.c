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
 *	- DIRECT IDENTITY: a column copied as is, or through a cast that keeps
 *	  every value (lineage_cast.c);
 *	- DIRECT TRANSFORMATION: any other expression over the column, a whole
 *	  row built from every column;
 *	- DIRECT AGGREGATION: an aggregate or window aggregate over it; count()
 *	  and hash functions mask their input;
 *	- INDIRECT per output column: CONDITIONAL (what decides which value is
 *	  returned: CASE conditions, COALESCE, NULLIF, GREATEST, LEAST,
 *	  subscripts), WINDOW (partition and order keys), GROUP_BY (GROUPING()
 *	  arguments), FILTER and JOIN (aggregate FILTER clauses, conditions of
 *	  a scalar subquery);
 *	- INDIRECT for the whole output (dataset level): JOIN (conditions that
 *	  compare two relations, also in LATERAL and correlated subqueries, and
 *	  IN / ANY / ALL), FILTER (WHERE, HAVING, MERGE and ON CONFLICT
 *	  conditions), GROUP_BY (GROUP BY, DISTINCT), SORT (ORDER BY).
 *
 * A recursive CTE is resolved until its columns stop growing; a trigger
 * function's NEW/OLD parameters and transition tables resolve to the
 * triggering relation (DqLinWalkBegin).
 *
 * Everything here works on the tree as parse analysis leaves it: views are
 * not expanded, so a view is a node of its own and gets edges to its
 * immediate upstream relations only.  Nothing is written here; the
 * catalogs are read only for a relation's persistence and columns (a
 * whole-row reference) and a function's name (masking).  The conventions
 * for each construct are in docs/lineage.md; lineage_statement.c turns
 * what is resolved here into the edges of a statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "lineage/lineage.h"
#include "lineage/lineage_walk.h"

static bool LinWalkExpr(Node *node, LinWalkCtx *ctx);

/* The trigger whose function runs the statement being walked, or NULL. */
static const DqLinTrigger *lin_trigger = NULL;

/* The last relation DqLinIsPersistent looked up, during one walk. */
static Oid	lin_last_relid = InvalidOid;
static bool lin_last_persistent = false;

/*
 * Start walking one statement or query: what its trigger parameters stand
 * for (NULL outside a trigger function); nothing is kept from the last.
 */
void
DqLinWalkBegin(const DqLinTrigger *trigger)
{
	lin_trigger = trigger;
	lin_last_relid = InvalidOid;
}


/* Add a source to a list unless it is already there. */
void
DqLinAddSource(List **list, Oid relid, AttrNumber attnum, uint8 subtype,
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
void
DqLinApply(List **out, List *sources, LinMode mode)
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
		DqLinAddSource(out, s->relid, s->attnum, subtype,
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

LinFrame *
DqLinNewFrame(Query *query, LinFrame *parent)
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
bool
DqLinIsPersistent(RangeTblEntry *rte)
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
		LinCols    *next = DqLinResolveQuery((Query *) cte->ctequery, frame);
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
				frame->cte_cols[i] = DqLinResolveQuery((Query *) cte->ctequery,
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
		frame->rte_cols[rtindex] = DqLinResolveQuery(rte->subquery, frame);
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
			DqLinApply(ctx->out, cols->cols[i], ctx->mode);
}

/* The target list entry of an INSERT for a target column (EXCLUDED.col). */
Node *
DqLinInsertValue(Query *query, AttrNumber attno)
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
 * The numbers of the columns of relid that are not dropped (nor
 * generated, with skip_generated), in order; NIL when it is gone.
 */
List *
DqLinRelationAttnums(Oid relid, bool skip_generated)
{
	HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	AttrNumber	natts;
	List	   *attnums = NIL;

	if (!HeapTupleIsValid(reltup))
		return NIL;
	natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
	ReleaseSysCache(reltup);
	for (AttrNumber attnum = 1; attnum <= natts; attnum++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
										  Int16GetDatum(attnum));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tup))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (!att->attisdropped && !(skip_generated && att->attgenerated))
			attnums = lappend_int(attnums, attnum);
		ReleaseSysCache(tup);
	}
	return attnums;
}

/*
 * Every column of a relation, for a whole-row reference: the row depends on
 * each of them, so dropping or changing any column shows its impact.
 */
static void
LinWholeRow(Oid relid, LinWalkCtx *ctx)
{
	LinMode		mode = LinTransformed(ctx->mode);
	ListCell   *lc;

	foreach(lc, DqLinRelationAttnums(relid, false))
	{
		LinSource	s = {relid, lfirst_int(lc), DQ_LIN_IDENTITY, false};

		DqLinApply(ctx->out, list_make1(&s), mode);
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
		DqLinAddSource(ctx->out, relid, attnum, ctx->mode.subtype,
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
				(void) LinWalkExpr(DqLinInsertValue(frame->query, var->varattno),
								   &sub);
			}
			else if (DqLinIsPersistent(rte))
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
			cols = DqLinResolveQuery((Query *) sl->subselect, ctx->frame);
			LinApplyColumn(cols, colno, ctx);
			/* what the subquery's WHERE decides, for this column */
			DqLinApply(ctx->out, cols->dataset, ctx->mode);
		}
	}
}

/* What a walk of a join tree does at each relation it reaches. */
typedef void (*LinRteFn) (RangeTblEntry *rte, int rtindex, LinFrame *frame,
						  List **out);

/*
 * Walk a join tree: rte_fn at each relation; with_quals, the quals of each
 * FROM list (FILTER) and join (JOIN) as sources too.
 */
static void
LinWalkJoinTree(Node *jtnode, LinFrame *frame, List **out, LinRteFn rte_fn,
				bool with_quals)
{
	ListCell   *lc;

	if (jtnode == NULL)
		return;
	if (IsA(jtnode, RangeTblRef))
	{
		int			rtindex = ((RangeTblRef *) jtnode)->rtindex;

		rte_fn(rt_fetch(rtindex, frame->query->rtable), rtindex, frame, out);
	}
	else if (IsA(jtnode, FromExpr))
	{
		FromExpr   *fe = (FromExpr *) jtnode;

		foreach(lc, fe->fromlist)
		{
			LinWalkJoinTree(lfirst(lc), frame, out, rte_fn, with_quals);
		}
		if (with_quals)
			DqLinQuals(fe->quals, frame, DQ_LIN_FILTER, true, out);
	}
	else if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *je = (JoinExpr *) jtnode;

		LinWalkJoinTree(je->larg, frame, out, rte_fn, with_quals);
		LinWalkJoinTree(je->rarg, frame, out, rte_fn, with_quals);
		if (with_quals)
			DqLinQuals(je->quals, frame, DQ_LIN_JOIN, false, out);
	}
}

static void LinRowSources(Node *jtnode, LinFrame *frame, List **out);

/* A relation of LinRowSources: its rows, or those of its subquery or CTE. */
static void
LinRowSourcesRte(RangeTblEntry *rte, int rtindex, LinFrame *frame, List **out)
{
	ListCell   *lc;

	if (rte->rtekind == RTE_RELATION && DqLinIsPersistent(rte))
		DqLinAddSource(out, rte->relid, 0, DQ_LIN_IDENTITY, false);
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
		subframe = DqLinNewFrame(sub, frame);
		if (sub->setOperations == NULL)
			LinRowSources((Node *) sub->jointree, subframe, out);
		else
		{
			foreach(lc, sub->rtable)
			{
				RangeTblEntry *leaf = (RangeTblEntry *) lfirst(lc);

				if (leaf->rtekind == RTE_SUBQUERY)
				{
					LinFrame   *leafframe = DqLinNewFrame(leaf->subquery,
														subframe);

					LinRowSources((Node *) leaf->subquery->jointree,
								  leafframe, out);
				}
			}
		}
	}
}

/* Relations whose rows an aggregate such as count(*) counts. */
static void
LinRowSources(Node *jtnode, LinFrame *frame, List **out)
{
	LinWalkJoinTree(jtnode, frame, out, LinRowSourcesRte, false);
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
		DqLinApply(ctx->out, rows, mode);
	}
	LinWalkWith((Node *) filter, ctx,
				LinIndirect(ctx->mode, DQ_LIN_FILTER));
}

/*
 * Constructs that choose a value: a part that may be returned is a
 * TRANSFORMATION, a part that decides which value is returned CONDITIONAL
 * (CASE, COALESCE, NULLIF, GREATEST, LEAST, array subscripts).
 */
static void
LinWalkChoice(Node *node, LinWalkCtx *ctx)
{
	LinMode		value = LinTransformed(ctx->mode);
	LinMode		cond = LinIndirect(ctx->mode, DQ_LIN_CONDITIONAL);
	ListCell   *lc;

	switch (nodeTag(node))
	{
		case T_CaseExpr:
			{
				CaseExpr   *ce = (CaseExpr *) node;

				LinWalkWith((Node *) ce->arg, ctx, cond);
				foreach(lc, ce->args)
				{
					CaseWhen   *cw = (CaseWhen *) lfirst(lc);

					LinWalkWith((Node *) cw->expr, ctx, cond);
					LinWalkWith((Node *) cw->result, ctx, value);
				}
				LinWalkWith((Node *) ce->defresult, ctx, value);
				break;
			}
		case T_CoalesceExpr:
			{
				CoalesceExpr *ce = (CoalesceExpr *) node;

				foreach(lc, ce->args)
				{
					LinWalkWith(lfirst(lc), ctx, value);
					/* every argument but the last is tested for NULL */
					if (lnext(ce->args, lc) != NULL)
						LinWalkWith(lfirst(lc), ctx, cond);
				}
				break;
			}
		case T_NullIfExpr:
			/* CASE WHEN a = b THEN NULL ELSE a END */
			LinWalkWith(linitial(((NullIfExpr *) node)->args), ctx, value);
			LinWalkWith((Node *) ((NullIfExpr *) node)->args, ctx, cond);
			break;
		case T_MinMaxExpr:
			/* GREATEST, LEAST: any argument may be it, all decide which */
			LinWalkWith((Node *) ((MinMaxExpr *) node)->args, ctx, value);
			LinWalkWith((Node *) ((MinMaxExpr *) node)->args, ctx, cond);
			break;
		case T_SubscriptingRef:
			{
				/* arr[i]: the value is part of arr; i chooses which */
				SubscriptingRef *sr = (SubscriptingRef *) node;

				LinWalkWith((Node *) sr->refexpr, ctx, value);
				LinWalkWith((Node *) sr->refassgnexpr, ctx, value);
				LinWalkWith((Node *) sr->refupperindexpr, ctx, cond);
				LinWalkWith((Node *) sr->reflowerindexpr, ctx, cond);
				break;
			}
		default:
			elog(ERROR, "unexpected node type %d", (int) nodeTag(node));
	}
}

/* A subquery used as a value (scalar, ARRAY) or as a test (EXISTS, IN). */
static void
LinWalkSubLink(SubLink *sl, LinWalkCtx *ctx)
{
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
	cols = DqLinResolveQuery((Query *) sl->subselect, ctx->frame);
	sub.mode = sl->subLinkType == ARRAY_SUBLINK ? LinTransformed(mode) : mode;
	LinApplyColumn(cols, sl->subLinkType == EXISTS_SUBLINK ? 0 : 1, &sub);
	if (sl->subLinkType == EXISTS_SUBLINK && DqLinIsDirect(mode.subtype))
		return;
	DqLinApply(ctx->out, cols->dataset, mode);
}

/* (row).col: of a whole row read as it is (or NEW), that column. */
static void
LinWalkFieldSelect(FieldSelect *fs, LinWalkCtx *ctx)
{
	if (IsA(fs->arg, Var) && ((Var *) fs->arg)->varattno == 0)
	{
		Var			col = *(Var *) fs->arg;

		col.varattno = fs->fieldnum;
		LinResolveVar(&col, ctx);
		return;
	}
	if (IsA(fs->arg, Param) && lin_trigger &&
		((Param *) fs->arg)->paramkind == PARAM_EXTERN)
	{
		AttrNumber	attnum;

		if (lin_trigger->param_column(lin_trigger->arg,
									  ((Param *) fs->arg)->paramid,
									  &attnum) && attnum == 0)
			LinRelationColumn(lin_trigger->relid, fs->fieldnum, ctx);
		return;
	}
	LinWalkWith((Node *) fs->arg, ctx, LinTransformed(ctx->mode));
}

/* A window function: an aggregate over the window, or a value from it. */
static void
LinWalkWindowFunc(WindowFunc *wf, LinWalkCtx *ctx)
{
	if (wf->winagg)
		LinWalkAggregate(wf->args, wf->aggfilter, wf->winstar,
						 DqLinAggregateMasks(wf->winfnoid), ctx);
	else
	{
		LinWalkWith((Node *) wf->args, ctx, LinTransformed(ctx->mode));
		LinWalkWith((Node *) wf->aggfilter, ctx,
					LinIndirect(ctx->mode, DQ_LIN_FILTER));
	}
	LinWindowKeys(wf->winref, ctx);
}

/*
 * Expression walker: collects the sources an expression reads, classified
 * by how the expression uses them.
 */
static bool
LinWalkExpr(Node *node, LinWalkCtx *ctx)
{
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
		case T_CoerceToDomain:
			/* a domain checks the value, it does not change it */
			return LinWalkExpr((Node *) ((CoerceToDomain *) node)->arg, ctx);
		case T_Aggref:
			{
				Aggref	   *agg = (Aggref *) node;

				LinWalkAggregate(agg->args, agg->aggfilter, agg->aggstar,
								 DqLinAggregateMasks(agg->aggfnoid), ctx);
				return false;
			}
		case T_WindowFunc:
			LinWalkWindowFunc((WindowFunc *) node, ctx);
			return false;
		case T_CaseExpr:
		case T_CoalesceExpr:
		case T_NullIfExpr:
		case T_MinMaxExpr:
		case T_SubscriptingRef:
			LinWalkChoice(node, ctx);
			return false;
		case T_FuncExpr:
			{
				FuncExpr   *fe = (FuncExpr *) node;
				LinMode		mode = LinTransformed(ctx->mode);

				/* a widening cast keeps every value: still IDENTITY */
				if (DqLinCastKeepsValue(node))
					return LinWalkExpr(linitial(fe->args), ctx);
				if (DqLinIsDirect(mode.subtype) &&
					DqLinIsMaskingFunction(fe->funcid))
					mode.masking = true;
				LinWalkWith((Node *) fe->args, ctx, mode);
				return false;
			}
		case T_ArrayCoerceExpr:
			{
				ArrayCoerceExpr *ac = (ArrayCoerceExpr *) node;

				if (DqLinCastKeepsValue((Node *) ac->elemexpr))
					return LinWalkExpr((Node *) ac->arg, ctx);
				LinWalkWith((Node *) ac->arg, ctx, LinTransformed(ctx->mode));
				return false;
			}
		case T_SubLink:
			LinWalkSubLink((SubLink *) node, ctx);
			return false;
		case T_Param:
			LinResolveParam((Param *) node, ctx);
			return false;
		case T_FieldSelect:
			LinWalkFieldSelect((FieldSelect *) node, ctx);
			return false;
		case T_GroupingFunc:
			{
				/* GROUPING(a) tells how the row was grouped, not a value of a */
				LinMode		mode = ctx->mode;

				if (DqLinIsDirect(mode.subtype))
					mode = LinIndirect(mode, DQ_LIN_GROUP_BY);
				LinWalkWith((Node *) ((GroupingFunc *) node)->args, ctx, mode);
				return false;
			}
		case T_CaseTestExpr:
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
List *
DqLinSourcesOf(Node *expr, LinFrame *frame, LinMode mode)
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
void
DqLinQuals(Node *quals, LinFrame *frame, DqLinSubtype subtype, bool find_joins,
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

/* A relation of LinJoinTree: its dataset as an IDENTITY source. */
static void
LinJoinTreeRte(RangeTblEntry *rte, int rtindex, LinFrame *frame, List **out)
{
	LinCols    *cols = LinRteCols(rte, rtindex, frame);

	if (cols && !cols->in_progress)
		DqLinApply(out, cols->dataset, (LinMode)
				 {
					 DQ_LIN_IDENTITY, false
				 });
}

/* Dataset-level sources of the FROM clause. */
static void
LinJoinTree(Node *jtnode, LinFrame *frame, List **out)
{
	LinWalkJoinTree(jtnode, frame, out, LinJoinTreeRte, true);
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

		DqLinApply(out, DqLinSourcesOf(expr, frame, mode), mode);
	}
}

/* Every INDIRECT source that affects the whole output of a query. */
void
DqLinQueryDataset(LinFrame *frame, List **out)
{
	Query	   *query = frame->query;

	LinJoinTree((Node *) query->jointree, frame, out);
	DqLinQuals(query->havingQual, frame, DQ_LIN_FILTER, false, out);
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
LinCols *
DqLinResolveQuery(Query *query, LinFrame *parent)
{
	LinFrame   *frame = DqLinNewFrame(query, parent);
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
				DqLinApply(&cols->cols[i], leaf->cols[i], same);
			DqLinApply(&cols->dataset, leaf->dataset, same);
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
		cols->cols[i++] = DqLinSourcesOf((Node *) tle->expr, frame,
									   (LinMode)
									   {
										   DQ_LIN_IDENTITY, false
									   });
	}
	DqLinQueryDataset(frame, &cols->dataset);
	return cols;
}
