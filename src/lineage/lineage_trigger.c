/*-------------------------------------------------------------------------
 *
 * lineage_trigger.c
 *	  Lineage of the statements a PL/pgSQL trigger function runs: NEW.col
 *	  and OLD.col traced back to the triggering relation's columns.
 *
 * A statement inside a PL/pgSQL function is parsed with PL/pgSQL's hooks:
 * NEW.amount becomes a parameter whose number is that of a PL/pgSQL datum
 * (a field of the record NEW).  To read the datums, the capture hook needs
 * the function's execution state, which PL/pgSQL does not publish; it does
 * push an error context callback whose argument is that state, and it
 * tells an instrumentation plugin (the "PLpgSQL_plugin" rendezvous
 * variable, the interface of the PL/pgSQL debugger) which function that
 * callback is.  dq_lineage installs an empty plugin when no other is there
 * (a plugin installed later sees the same callback filled in), and finds
 * the innermost PL/pgSQL function by walking the error context stack: that
 * is exact even after an error was caught by an EXCEPTION block, where a
 * stack of our own would not be.
 *
 * The state is read only while the statement is parsed (the walk) or ends
 * (to find its cache entry); nothing is kept.  PL/pgSQL compiles a trigger
 * function once per trigger, so a cached plan belongs to one triggering
 * relation.  Transition tables (REFERENCING NEW TABLE AS n) are named in
 * the trigger and stand for the triggering relation's rows.  Trigger
 * functions in other languages, and values copied from NEW into local
 * variables first, are not traced.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "plpgsql.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "lineage/lineage.h"

/* Installed when no other plugin is; PL/pgSQL fills in error_callback. */
static PLpgSQL_plugin lin_plugin;
static PLpgSQL_plugin **lin_plugin_ptr = NULL;

/*
 * Install the empty PL/pgSQL plugin (at library load, when preloaded), so
 * that PL/pgSQL tells which error callback is its own.
 */
void
DqLineageTriggerInit(void)
{
	lin_plugin_ptr = (PLpgSQL_plugin **) find_rendezvous_variable("PLpgSQL_plugin");
	if (*lin_plugin_ptr == NULL)
		*lin_plugin_ptr = &lin_plugin;
}

/* The execution state of the innermost PL/pgSQL function running, or NULL. */
static PLpgSQL_execstate *
DqLinCurrentPlpgsql(void)
{
	void		(*callback) (void *) = NULL;
	ErrorContextCallback *ecxt;

	if (lin_plugin_ptr == NULL)
		return NULL;
	if (*lin_plugin_ptr != NULL)
		callback = (*lin_plugin_ptr)->error_callback;
	if (callback == NULL)
		callback = lin_plugin.error_callback;
	if (callback == NULL)
		return NULL;			/* no PL/pgSQL function ran in this backend */
	for (ecxt = error_context_stack; ecxt != NULL; ecxt = ecxt->previous)
		if (ecxt->callback == callback)
			return (PLpgSQL_execstate *) ecxt->arg;
	return NULL;
}

/* Which column of the triggering relation a parameter stands for. */
static bool
DqLinTriggerParam(void *arg, int paramid, AttrNumber *attnum)
{
	PLpgSQL_execstate *estate = (PLpgSQL_execstate *) arg;
	PLpgSQL_function *func = estate->func;
	PLpgSQL_datum *datum;
	int			dno = paramid - 1;

	if (dno < 0 || dno >= estate->ndatums)
		return false;
	datum = estate->datums[dno];
	if (datum == NULL)
		return false;
	if (datum->dtype == PLPGSQL_DTYPE_REC &&
		(dno == func->new_varno || dno == func->old_varno))
	{
		*attnum = 0;			/* NEW or OLD as a whole row */
		return true;
	}
	if (datum->dtype == PLPGSQL_DTYPE_RECFIELD)
	{
		PLpgSQL_recfield *field = (PLpgSQL_recfield *) datum;

		if (field->recparentno != func->new_varno &&
			field->recparentno != func->old_varno)
			return false;
		*attnum = get_attnum(RelationGetRelid(estate->trigdata->tg_relation),
							 field->fieldname);
		return *attnum > 0;
	}
	return false;
}

/*
 * Whether the statement being parsed or run belongs to a PL/pgSQL trigger
 * function fired by a table's trigger; if so, fill *trigger.  Cheap: a
 * few pointers are followed, nothing is looked up.
 */
bool
DqLineageCurrentTrigger(DqLinTrigger *trigger)
{
	PLpgSQL_execstate *estate = DqLinCurrentPlpgsql();
	TriggerData *trigdata;

	if (estate == NULL || estate->trigdata == NULL ||
		estate->trigdata->tg_relation == NULL)
		return false;
	trigdata = estate->trigdata;
	trigger->relid = RelationGetRelid(trigdata->tg_relation);
	trigger->param_column = DqLinTriggerParam;
	trigger->arg = estate;
	trigger->new_table = trigdata->tg_trigger ? trigdata->tg_trigger->tgnewtable : NULL;
	trigger->old_table = trigdata->tg_trigger ? trigdata->tg_trigger->tgoldtable : NULL;
	return true;
}
