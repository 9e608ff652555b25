/*-------------------------------------------------------------------------
 *
 * lineage.h
 *	  Column-level lineage: edges, the query-tree walker, the store and the
 *	  capture hooks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_LINEAGE_H
#define DQ_LINEAGE_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/parsenodes.h"

/*
 * Subtypes of the OpenLineage column-lineage facet (1-2-0).  The first
 * three are DIRECT, the others INDIRECT; the order of the DIRECT ones is
 * their strength when two meet (an aggregate over a cast is AGGREGATION).
 */
typedef enum DqLinSubtype
{
	DQ_LIN_IDENTITY = 0,
	DQ_LIN_TRANSFORMATION,
	DQ_LIN_AGGREGATION,
	DQ_LIN_JOIN,
	DQ_LIN_FILTER,
	DQ_LIN_GROUP_BY,
	DQ_LIN_SORT,
	DQ_LIN_WINDOW,
	DQ_LIN_CONDITIONAL
} DqLinSubtype;

#define DqLinIsDirect(s) ((s) <= DQ_LIN_AGGREGATION)

/* Where an edge came from (dq.lineage_edges.origin). */
typedef enum DqLinOrigin
{
	DQ_LIN_ORIGIN_VIEW = 0,
	DQ_LIN_ORIGIN_MATVIEW,
	DQ_LIN_ORIGIN_CTAS,
	DQ_LIN_ORIGIN_INSERT,
	DQ_LIN_ORIGIN_UPDATE,
	DQ_LIN_ORIGIN_MERGE,
	DQ_LIN_ORIGIN_MANUAL
} DqLinOrigin;

/*
 * A statement run by a row or statement trigger's function: parameters that
 * stand for NEW.col / OLD.col, and transition tables, are the triggering
 * relation's columns (lineage_trigger.c builds it from PL/pgSQL's state).
 */
typedef struct DqLinTrigger
{
	Oid			relid;			/* the triggering relation */
	/* column of relid a parameter stands for: > 0 a column, 0 the row */
	bool		(*param_column) (void *arg, int paramid, AttrNumber *attnum);
	void	   *arg;
	const char *new_table;		/* REFERENCING NEW TABLE name, or NULL */
	const char *old_table;		/* REFERENCING OLD TABLE name, or NULL */
} DqLinTrigger;

/*
 * One edge: a source column (attnum 0: the whole relation, for row-count
 * lineage such as count(*)) feeds a target column (attnum 0: the whole
 * target, a dataset-level INDIRECT edge).
 */
typedef struct DqLinEdge
{
	Oid			target_relid;
	Oid			source_relid;
	AttrNumber	target_attnum;
	AttrNumber	source_attnum;
	uint8		subtype;		/* DqLinSubtype */
	uint8		origin;			/* DqLinOrigin */
	bool		masking;
} DqLinEdge;

/* A growable array of distinct edges. */
typedef struct DqLinEdgeSet
{
	int			n;
	int			cap;
	DqLinEdge  *items;
} DqLinEdgeSet;

/* lineage_walk.c */
extern bool DqLineageWorthWalking(Query *query, bool in_trigger);
extern void DqLineageFromStatement(Query *query, const DqLinTrigger *trigger,
								   DqLinEdgeSet *out);
extern void DqLineageFromSelect(Query *query, Oid target_relid,
								DqLinOrigin origin, DqLinEdgeSet *out);

/* Sources of every output column of a query (COPY (query) TO). */
typedef struct DqLinField
{
	AttrNumber	field;			/* output column, 1-based; 0: dataset level */
	Oid			source_relid;
	AttrNumber	source_attnum;
	uint8		subtype;
	bool		masking;
} DqLinField;
extern List *DqLineageQueryFields(Query *query);
extern void DqLinEdgeSetAdd(DqLinEdgeSet *set, const DqLinEdge *edge);
extern const char *DqLinSubtypeName(DqLinSubtype subtype);
extern const char *DqLinOriginName(DqLinOrigin origin);

/*
 * A COPY between a relation (or, COPY (query) TO, a query) and a file, a
 * program or the client (lineage_copy.c).
 */
typedef struct DqLinCopy
{
	bool		is_from;
	Oid			relid;			/* the table; InvalidOid for COPY (query) */
	char		kind;			/* 'f' file, 'p' program, 'c' client */
	char	   *endpoint;		/* file name or command; NULL: the client */
	List	   *columns;		/* names of the copied columns (String) */
	List	   *fields;			/* COPY TO: DqLinField of each output column */
	bool		wants_query;	/* COPY (query) TO: fields from the query */
	bool		got_query;
} DqLinCopy;

/* lineage_copy.c */
extern DqLinCopy *DqLineageCopyBegin(CopyStmt *stmt);
extern void DqLineageCopyQuery(DqLinCopy *copy, Query *query);
extern bool DqLineageCopyReady(const DqLinCopy *copy);
extern uint64 DqLineageCopyKey(const DqLinCopy *copy);
extern DqLinCopy *DqLineageCopyClone(const DqLinCopy *copy);
extern void DqLineageStoreCopy(const DqLinCopy *copy, int64 key);

/* lineage_trigger.c */
extern void DqLineageTriggerInit(void);
extern bool DqLineageCurrentTrigger(DqLinTrigger *trigger);

/* lineage_store.c */
extern void DqLineageStore(const DqLinEdgeSet *set, int64 queryid,
						   bool is_run);
extern void DqLineageReplaceTarget(Oid target_relid, DqLinOrigin origin);
extern bool DqLineageTargetIsOurs(Oid relid);
extern void DqLineageStoreInit(void);
extern bool DqLineageTry(void (*fn) (void *), void *arg, const char *what);

/* lineage_ddl.c */
extern void DqLineageRememberCtas(Query *query);

/* lineage_hook.c */
extern void DqLineageInit(void);
extern void DqLineageFlush(void);
extern bool dq_lineage_internal;
extern void DqLinRequireTrigger(FunctionCallInfo fcinfo, const char *fname,
								const char *hint);

/* lineage_masking.c: the relcache callback of lineage_hook.c calls it */
extern void DqLinMaskingRelcache(Oid relid);
extern bool dq_lin_relcache_registered;

/* lineage_walk.c: the columns of a relation that are not dropped */
extern List *DqLinRelationAttnums(Oid relid, bool skip_generated);

#endif							/* DQ_LINEAGE_H */
