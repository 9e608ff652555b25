/*-------------------------------------------------------------------------
 *
 * lineage_walk.h
 *	  Inside the lineage walker: what lineage_walk.c (queries and
 *	  expressions), lineage_statement.c (statements into edges) and
 *	  lineage_cast.c (what a function or cast does to a value) share.  Not
 *	  for other subsystems: they use lineage.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_LINEAGE_WALK_H
#define DQ_LINEAGE_WALK_H

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

/* lineage_walk.c */
extern void DqLinWalkBegin(const DqLinTrigger *trigger);
extern LinFrame *DqLinNewFrame(Query *query, LinFrame *parent);
extern LinCols *DqLinResolveQuery(Query *query, LinFrame *parent);
extern void DqLinQueryDataset(LinFrame *frame, List **out);
extern void DqLinQuals(Node *quals, LinFrame *frame, DqLinSubtype subtype,
					   bool find_joins, List **out);
extern List *DqLinSourcesOf(Node *expr, LinFrame *frame, LinMode mode);
extern void DqLinApply(List **out, List *sources, LinMode mode);
extern void DqLinAddSource(List **list, Oid relid, AttrNumber attnum,
						   uint8 subtype, bool masking);
extern bool DqLinIsPersistent(RangeTblEntry *rte);
extern Node *DqLinInsertValue(Query *query, AttrNumber attno);

/* lineage_cast.c */
extern bool DqLinIsMaskingFunction(Oid funcid);
extern bool DqLinAggregateMasks(Oid aggfnoid);
extern bool DqLinCastKeepsValue(Node *node);

#endif							/* DQ_LINEAGE_WALK_H */
