/*-------------------------------------------------------------------------
 *
 * lineage_ddl.c
 *	  Lineage of views, materialized views and CREATE TABLE AS, captured by
 *	  a ddl_command_end event trigger.
 *
 * Views and materialized views are read back from their stored rewrite
 * rule (pg_rewrite), the query exactly as analysed, with other views not
 * expanded.  CREATE TABLE AS and SELECT INTO use the analysed query kept by
 * the post-parse-analyze hook when the library is preloaded; without it,
 * the query collected by the event trigger, which the executor has
 * rewritten (views expanded: edges then go to the views' base tables).
 * CREATE OR REPLACE VIEW replaces the view's edges; REFRESH MATERIALIZED
 * VIEW counts a run.  The trigger runs inside the user's DDL transaction,
 * so the edges commit or roll back with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "rewrite/rewriteHandler.h"
#include "storage/proc.h"
#include "tcop/deparse_utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "base/guc.h"
#include "base/spi_util.h"
#include "lineage/lineage.h"

PG_FUNCTION_INFO_V1(dq_lineage_ddl_command_end);

/* The analysed query of the last CREATE TABLE AS of this transaction. */
static Query *lin_ctas_query = NULL;
static LocalTransactionId lin_ctas_lxid = InvalidLocalTransactionId;
static char *lin_ctas_relname = NULL;

/*
 * Keep a copy of a CREATE TABLE AS / SELECT INTO query as parse analysis
 * left it, for the event trigger (called from post_parse_analyze).
 */
void
DqLineageRememberCtas(Query *query)
{
	CreateTableAsStmt *ctas;
	MemoryContext old;

	if (query->commandType != CMD_UTILITY ||
		!IsA(query->utilityStmt, CreateTableAsStmt))
		return;
	ctas = (CreateTableAsStmt *) query->utilityStmt;
	if (ctas->objtype != OBJECT_TABLE || !IsA(ctas->query, Query) ||
		!dq_lineage_capture_ddl)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	lin_ctas_query = copyObject((Query *) ctas->query);
	lin_ctas_relname = pstrdup(ctas->into->rel->relname);
	lin_ctas_lxid = MyProc->lxid;
	MemoryContextSwitchTo(old);
}

/* The query of a CREATE TABLE AS that created relation relid. */
static Query *
DqLineageCtasQuery(CollectedCommand *cmd, Oid relid)
{
	CreateTableAsStmt *ctas;

	if (lin_ctas_query && lin_ctas_lxid == MyProc->lxid &&
		strcmp(lin_ctas_relname, get_rel_name(relid)) == 0)
		return lin_ctas_query;
	if (cmd == NULL || cmd->parsetree == NULL ||
		!IsA(cmd->parsetree, CreateTableAsStmt))
		return NULL;
	ctas = (CreateTableAsStmt *) cmd->parsetree;
	if (!IsA(ctas->query, Query) ||
		((Query *) ctas->query)->commandType != CMD_SELECT)
		return NULL;
	return (Query *) ctas->query;
}

/* Record the edges of a relation defined by a query. */
static void
DqLineageDefinedBy(Query *query, Oid relid, DqLinOrigin origin, bool replace)
{
	DqLinEdgeSet edges = {0, 0, NULL};

	if (query == NULL)
		return;
	DqLineageFromSelect(query, relid, origin, &edges);
	if (replace)
		DqLineageReplaceTarget(relid, origin);
	DqLineageStore(&edges, 0, true);
}

/* The stored query of a view or materialized view, copied. */
static Query *
DqLineageRuleQuery(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Query	   *query = NULL;

	if (rel->rd_rel->relkind == RELKIND_VIEW ||
		rel->rd_rel->relkind == RELKIND_MATVIEW)
		query = copyObject(get_view_query(rel));
	relation_close(rel, AccessShareLock);
	return query;
}

typedef struct LinCmd
{
	Oid			objid;
	char	   *tag;
	CollectedCommand *cmd;
} LinCmd;

/* One collected command. */
static void
DqLineageDdlCommand(void *arg)
{
	Oid			objid = ((LinCmd *) arg)->objid;
	const char *tag = ((LinCmd *) arg)->tag;
	CollectedCommand *cmd = ((LinCmd *) arg)->cmd;

	if (!OidIsValid(objid) || DqLineageTargetIsOurs(objid))
		return;
	if (strcmp(tag, "CREATE VIEW") == 0)
		DqLineageDefinedBy(DqLineageRuleQuery(objid), objid,
						   DQ_LIN_ORIGIN_VIEW, true);
	else if (strcmp(tag, "CREATE MATERIALIZED VIEW") == 0 ||
			 strcmp(tag, "REFRESH MATERIALIZED VIEW") == 0)
		DqLineageDefinedBy(DqLineageRuleQuery(objid), objid,
						   DQ_LIN_ORIGIN_MATVIEW,
						   strcmp(tag, "CREATE MATERIALIZED VIEW") == 0);
	else if (strcmp(tag, "CREATE TABLE AS") == 0 ||
			 strcmp(tag, "SELECT INTO") == 0)
		DqLineageDefinedBy(DqLineageCtasQuery(cmd, objid), objid,
						   DQ_LIN_ORIGIN_CTAS, true);
}

/*
 * dq_internal.lineage_ddl_command_end(): the ddl_command_end event trigger.  Errors
 * in lineage capture must not cost the user their DDL: they are reported
 * as a WARNING and the capture of that command is skipped.
 */
Datum
dq_lineage_ddl_command_end(PG_FUNCTION_ARGS)
{
	LinCmd	   *cmds;
	int			ncmds;
	int			i;
	MemoryContext cxt = CurrentMemoryContext;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by the event trigger manager",
						"dq_internal.lineage_ddl_command_end"),
				 errhint("It is called by the event trigger dq_lineage_ddl.")));
	if (!dq_lineage_capture_ddl || creating_extension || dq_lineage_internal)
		PG_RETURN_NULL();

	DqSpiConnect();
	ncmds = DqSpiRun("SELECT objid, command_tag, command"
					 " FROM pg_catalog.pg_event_trigger_ddl_commands()"
					 " WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass",
					 true, SPI_OK_SELECT, "read pg_event_trigger_ddl_commands()");
	cmds = MemoryContextAlloc(cxt, sizeof(LinCmd) * (ncmds + 1));
	for (i = 0; i < ncmds; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		d = SPI_getbinval(tup, desc, 1, &isnull);
		cmds[i].objid = isnull ? InvalidOid : DatumGetObjectId(d);
		cmds[i].tag = MemoryContextStrdup(cxt, SPI_getvalue(tup, desc, 2));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		cmds[i].cmd = isnull ? NULL : (CollectedCommand *) DatumGetPointer(d);
	}
	SPI_finish();

	for (i = 0; i < ncmds; i++)
		(void) DqLineageTry(DqLineageDdlCommand, &cmds[i], cmds[i].tag);
	PG_RETURN_NULL();
}
