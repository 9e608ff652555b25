/*-------------------------------------------------------------------------
 *
 * sketch_planner.c
 *	  A planner hook that lets Citus push the sketch aggregates down to the
 *	  shards of a distributed table.
 *
 * Citus computes an aggregate on the shards only when its transition type
 * is not a pseudo-type and its argument types are concrete; the sketch
 * aggregates have an internal state and polymorphic arguments, so Citus
 * would ship every row to the coordinator.  Before Citus plans a query
 * (shared_preload_libraries lists citus first, so this hook runs first),
 * each call of a sketch aggregate in a query level that reads a
 * distributed table becomes its twin of sketch_pushdown.c:
 *
 *	 dq.approx_distinct(x)		-> dq.approx_distinct_pushdown(dq.value_hash(x))
 *	 dq.approx_quantiles(x, f)	-> dq.approx_quantiles_pushdown(x, f)
 *	 dq.approx_top_k(x, k)		-> dq.approx_top_k_pushdown(dq.value_hash(x),
 *														dq.value_text(x), k)
 *
 * The twins compute the same sketches, so the rewrite never changes what
 * a query means; calls with DISTINCT or ORDER BY are left alone.  Queries
 * without aggregates cost one flag test per query level.
 * dq_lineage.citus_pushdown = off turns the rewrite off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"

#include "base/citus.h"
#include "sketch/sketch_planner.h"

static planner_hook_type prev_planner_hook = NULL;

/* the functions of one rewrite, looked up once per planned statement */
typedef struct DqPushdownFns
{
	bool		looked_up;
	Oid			nsp;			/* schema dq, InvalidOid if none */
	Oid			value_hash;
	Oid			value_text;
	Oid			distinct_twin;
	Oid			quantiles_twin;
	Oid			topk_twin;
} DqPushdownFns;

typedef struct DqPushdownWalk
{
	DqPushdownFns fns;
	List	   *levels;			/* Query nodes, innermost first */
	List	   *distributed;	/* per level: -1 unknown, 0 no, 1 yes */
} DqPushdownWalk;

/* Function dq.<name>(argtypes), or InvalidOid. */
static Oid
DqPushdownLookup(const char *name, int nargs, Oid *argtypes)
{
	return LookupFuncName(list_make2(makeString("dq"), makeString(pstrdup(name))),
						  nargs, argtypes, true);
}

static void
DqPushdownLookupAll(DqPushdownFns *f)
{
	Oid			any[1] = {ANYELEMENTOID};
	Oid			int8arg[1] = {INT8OID};
	Oid			quant[2] = {FLOAT8OID, FLOAT8ARRAYOID};
	Oid			topk[3] = {INT8OID, TEXTOID, INT4OID};

	f->value_hash = DqPushdownLookup("value_hash", 1, any);
	f->value_text = DqPushdownLookup("value_text", 1, any);
	f->distinct_twin = DqPushdownLookup("approx_distinct_pushdown", 1, int8arg);
	f->quantiles_twin = DqPushdownLookup("approx_quantiles_pushdown", 2, quant);
	f->topk_twin = DqPushdownLookup("approx_top_k_pushdown", 3, topk);
}

/* Does a query level read a Citus distributed table (here or below)? */
static bool
DqQueryReadsDistributed(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && DqCitusIsDistributed(rte->relid))
			return true;
		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL &&
			DqQueryReadsDistributed(rte->subquery))
			return true;
	}
	return false;
}

static FuncExpr *
DqPushdownCall(Oid fn, Oid rettype, Oid retcoll, Expr *arg, Oid inputcollid)
{
	return makeFuncExpr(fn, rettype, list_make1(arg), retcoll, inputcollid,
						COERCE_EXPLICIT_CALL);
}

/*
 * The name of the sketch aggregate agg calls, or NULL when it calls
 * another aggregate (or with DISTINCT or ORDER BY, which the twins do not
 * take).
 */
static char *
DqSketchAggName(Aggref *agg, DqPushdownWalk *w)
{
	char	   *name;

	if (agg->aggdistinct != NIL || agg->aggorder != NIL ||
		agg->aggkind != AGGKIND_NORMAL || list_length(agg->args) < 1)
		return NULL;
	if (!w->fns.looked_up)
	{
		w->fns.looked_up = true;
		w->fns.nsp = get_namespace_oid("dq", true);
	}
	if (!OidIsValid(w->fns.nsp) || get_func_namespace(agg->aggfnoid) != w->fns.nsp)
		return NULL;
	name = get_func_name(agg->aggfnoid);
	if (name == NULL || strncmp(name, "approx_", 7) != 0)
		return NULL;
	if (!OidIsValid(w->fns.value_hash))
		DqPushdownLookupAll(&w->fns);
	return name;
}

/* Rewrite a call of sketch aggregate name into its twin. */
static void
DqPushdownAggref(Aggref *agg, const char *name, DqPushdownWalk *w)
{
	Expr	   *x = ((TargetEntry *) linitial(agg->args))->expr;
	DqPushdownFns *f = &w->fns;

	if (strcmp(name, "approx_distinct") == 0 && list_length(agg->args) == 1 &&
		OidIsValid(f->distinct_twin) && OidIsValid(f->value_hash))
	{
		FuncExpr   *h = DqPushdownCall(f->value_hash, INT8OID, InvalidOid, x,
									   agg->inputcollid);

		agg->aggfnoid = f->distinct_twin;
		agg->aggargtypes = list_make1_oid(INT8OID);
		agg->args = list_make1(makeTargetEntry((Expr *) h, 1, NULL, false));
		agg->inputcollid = InvalidOid;
	}
	else if (strcmp(name, "approx_quantiles") == 0 && list_length(agg->args) == 2 &&
			 OidIsValid(f->quantiles_twin))
		agg->aggfnoid = f->quantiles_twin;
	else if (strcmp(name, "approx_top_k") == 0 && list_length(agg->args) == 2 &&
			 OidIsValid(f->topk_twin) && OidIsValid(f->value_hash) &&
			 OidIsValid(f->value_text))
	{
		Expr	   *k = ((TargetEntry *) lsecond(agg->args))->expr;
		FuncExpr   *h = DqPushdownCall(f->value_hash, INT8OID, InvalidOid, x,
									   agg->inputcollid);
		FuncExpr   *t = DqPushdownCall(f->value_text, TEXTOID, DEFAULT_COLLATION_OID,
									   copyObject(x), agg->inputcollid);

		agg->aggfnoid = f->topk_twin;
		agg->aggargtypes = list_make3_oid(INT8OID, TEXTOID, INT4OID);
		agg->args = list_make3(makeTargetEntry((Expr *) h, 1, NULL, false),
							   makeTargetEntry((Expr *) t, 2, NULL, false),
							   makeTargetEntry(k, 3, NULL, false));
		agg->inputcollid = InvalidOid;
	}
}

static bool
DqPushdownWalker(Node *node, DqPushdownWalk *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		bool		result;

		w->levels = lcons(q, w->levels);
		w->distributed = lcons_int(-1, w->distributed);
		result = query_tree_walker(q, DqPushdownWalker, w, 0);
		w->levels = list_delete_first(w->levels);
		w->distributed = list_delete_first(w->distributed);
		return result;
	}
	if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;
		char	   *name;

		if (agg->agglevelsup < (Index) list_length(w->levels) &&
			(name = DqSketchAggName(agg, w)) != NULL)
		{
			ListCell   *dist = list_nth_cell(w->distributed, agg->agglevelsup);

			if (lfirst_int(dist) < 0)
				lfirst_int(dist) =
					DqQueryReadsDistributed(list_nth(w->levels, agg->agglevelsup));
			if (lfirst_int(dist) > 0)
				DqPushdownAggref(agg, name, w);
		}
	}
	return expression_tree_walker(node, DqPushdownWalker, w);
}

/* Does any level of the query have aggregates? */
static bool
DqQueryHasAggs(Query *q)
{
	ListCell   *lc;

	if (q->hasAggs || q->hasSubLinks)
		return true;
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL &&
			DqQueryHasAggs(rte->subquery))
			return true;
	}
	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (IsA(cte->ctequery, Query) && DqQueryHasAggs((Query *) cte->ctequery))
			return true;
	}
	return false;
}

static PlannedStmt *
DqSketchPlanner(Query *parse, const char *query_string, int cursorOptions,
				ParamListInfo boundParams)
{
	if (dq_citus_pushdown && parse->commandType != CMD_UTILITY &&
		DqQueryHasAggs(parse))
	{
		DqPushdownWalk w = {0};

		(void) DqPushdownWalker((Node *) parse, &w);
	}
	if (prev_planner_hook)
		return prev_planner_hook(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

/* Install the hook; called from _PG_init. */
void
DqSketchPlannerInit(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = DqSketchPlanner;
}
