/*-------------------------------------------------------------------------
 *
 * decoder.c
 *	  The dq_lineage logical decoding output plugin: row-level expectations
 *	  checked on every decoded INSERT and UPDATE of a watched table.
 *
 * Design note.  The plugin runs under the historic snapshot of each change,
 * so it reads dq.watched_tables and dq.expectations (both user catalog
 * tables) with systable scans, and an expectation added at LSN X applies to
 * the changes committed after X.  The compiled rules of a relation are
 * cached in a hash (one entry per decoded relation, in its own memory
 * context); any relcache invalidation replayed by the decoder empties the
 * cache.  Writes to dq.expectations and dq.watched_tables send a relcache
 * invalidation of the relation concerned (a trigger, dq.watch and
 * dq.unwatch), so the cache follows them at the right point of the stream.
 *
 * Only failed checks leave the plugin: one JSON line per violation, and one
 * per row for the custom SQL conditions (expect_row_condition), which the
 * consuming worker evaluates: a condition may call any function, and code
 * run under a historic snapshot may read nothing but catalogs.
 *
 * Trust.  The plugin runs with the rights of whoever decodes (the worker
 * connects as the bootstrap superuser), so it evaluates built-in code only
 * (DqTypeIsBuiltinOnly): a rule over a column, or parsing as a type, whose
 * values go through a domain's CHECK or any function not made by initdb
 * is not evaluated here; its rows leave the plugin as "deferred" lines and
 * the worker checks them as the expectation's owner, restricted
 * (cdc_eval.c).  Rows of such columns are still printed for row images,
 * with their types' output functions, which only a superuser can create.
 *
 * A rule that cannot be compiled any more leaves a "broken" line; a rule
 * whose evaluation raises an error other than a data error escapes the
 * plugin with DqDecoderFailingRule() set, and the worker records it.
 * Either way the worker marks it broken, and the plugin skips the rules it
 * is told are broken (DqDecoderSetSkipped), so one bad rule never stops
 * the decoding of the database.
 *
 * Memory is bounded per change: a per-change context is reset after every
 * change; per-transaction state is a counter.  Streaming of in-progress
 * transactions is left off, so a violation is never written for a
 * transaction that later aborts; large transactions spill to disk at
 * logical_decoding_work_mem as PostgreSQL does.
 *
 * Unchanged TOAST values of an UPDATE (not in the WAL) are never fetched:
 * the checks that read them are skipped and counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "commands/defrem.h"
#include "replication/logical.h"
#include "replication/output_plugin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

#include "parser/parse_type.h"

#include "base/compat.h"
#include "base/subxact.h"
#include "base/sysscan.h"
#include "base/trust.h"
#include "cdc/cdc_internal.h"
#include "cdc/citus_decode.h"
#include "cdc/decoder.h"
#include "expect/expectations.h"

/* one expectation compiled for one decoded relation */
typedef struct DqDecRule
{
	int64		id;
	DqRule	   *rule;			/* NULL for a row condition or deferred rule */
	int			ncols;			/* columns read (a deferred rule's too) */
	int		   *attidx;			/* tuple descriptor index of each column */
	int			ops;			/* DQ_CDC_INSERT | ...: the changes checked */
	bool		deferred;		/* checked by the worker, not here */
} DqDecRule;

/* cache entry: what to check on the changes of one relation */
typedef struct DqDecRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	bool		watched;
	MemoryContext cxt;			/* rules, reset when rebuilt */
	List	   *rules;			/* DqDecRule * */
	List	   *conditions;		/* DqDecRule * of row conditions (no rule) */
	FmgrInfo   *out;			/* output function per attribute */
	int64		eval_errors;	/* checks that raised a data error */
	List	   *broken;			/* DqCdcBroken * not reported yet */
	Oid			report_relid;	/* named in its lines: a shard's table */
	bool		citus_shard;	/* a Citus shard (citus_decode.c) */
} DqDecRel;

typedef struct DqDecoderData
{
	MemoryContext cxt;			/* per change */
	MemoryContext cachecxt;		/* the relation cache */
	HTAB	   *rels;
	bool		row_images;
	int32		seq;			/* number of the change in its transaction */
	DqDecoderStats stats;
	HTAB	   *activity;		/* DqDecoderActivity by relation */
} DqDecoderData;

/* the decoder of this process, for the invalidation callback */
static DqDecoderData *dq_decoder_active = NULL;
static bool dq_decoder_callback_registered = false;

/* rules the worker found broken, sorted (TopMemoryContext) */
static int64 *dq_decoder_skipped = NULL;
static int	dq_decoder_nskipped = 0;

/* the rule being evaluated, for the worker's error handler */
static int64 dq_decoder_failing_rule = 0;
static Oid	dq_decoder_failing_relid = InvalidOid;
static XLogRecPtr dq_decoder_failing_lsn = InvalidXLogRecPtr;

extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);

/*
 * Any relcache invalidation empties the cache: DDL on a watched table, a
 * written expectation, dq.watch and dq.unwatch all send one.
 */
static void
DqDecoderInvalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	DqDecRel   *entry;

	if (dq_decoder_active == NULL || dq_decoder_active->rels == NULL)
		return;
	hash_seq_init(&status, dq_decoder_active->rels);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->valid = false;
}

DqDecoderStats *
DqDecoderGetStats(LogicalDecodingContext *ctx)
{
	return &((DqDecoderData *) ctx->output_plugin_private)->stats;
}

/*
 * Count a change of a watched relation: the worker records the counts per
 * relation in the pass's transaction, with its progress (exactly once).
 */
static void
DqDecoderCount(DqDecoderData *data, Oid relid, ReorderBufferTXN *txn,
			   ReorderBufferChangeType action)
{
	bool		found;
	DqDecoderActivity *a = hash_search(data->activity, &relid, HASH_ENTER, &found);

	if (!found)
	{
		memset(a, 0, sizeof(DqDecoderActivity));
		a->relid = relid;
	}
	a->last_commit_time = Max(a->last_commit_time, DqTxnCommitTime(txn));
	if (action == REORDER_BUFFER_CHANGE_INSERT)
		a->inserted++;
	else if (action == REORDER_BUFFER_CHANGE_UPDATE)
		a->updated++;
	else if (action == REORDER_BUFFER_CHANGE_DELETE)
		a->deleted++;
	else
		a->truncates++;
}

List *
DqDecoderTakeActivity(LogicalDecodingContext *ctx)
{
	DqDecoderData *data = ctx->output_plugin_private;
	HASH_SEQ_STATUS status;
	DqDecoderActivity *a;
	List	   *out = NIL;

	hash_seq_init(&status, data->activity);
	while ((a = hash_seq_search(&status)) != NULL)
	{
		DqDecoderActivity *copy = palloc(sizeof(DqDecoderActivity));

		memcpy(copy, a, sizeof(DqDecoderActivity));
		out = lappend(out, copy);
		(void) hash_search(data->activity, &copy->relid, HASH_REMOVE, NULL);
	}
	return out;
}

void
DqDecoderForget(void)
{
	dq_decoder_active = NULL;
}

int64
DqDecoderFailingRule(Oid *relid, XLogRecPtr *lsn)
{
	*relid = dq_decoder_failing_relid;
	*lsn = dq_decoder_failing_lsn;
	return dq_decoder_failing_rule;
}

void
DqDecoderClearFailingRule(void)
{
	dq_decoder_failing_rule = 0;
}

static int
DqDecoderIdCmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The worker's list of broken rules; when it changed, the cached rules are
 * rebuilt at the next change.
 */
void
DqDecoderSetSkipped(const int64 *ids, int n)
{
	int64	   *sorted = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * Max(n, 1));

	memcpy(sorted, ids, sizeof(int64) * n);
	qsort(sorted, n, sizeof(int64), DqDecoderIdCmp);
	if (n == dq_decoder_nskipped &&
		(n == 0 || memcmp(sorted, dq_decoder_skipped, sizeof(int64) * n) == 0))
	{
		pfree(sorted);
		return;
	}
	if (dq_decoder_skipped != NULL)
		pfree(dq_decoder_skipped);
	dq_decoder_skipped = sorted;
	dq_decoder_nskipped = n;
	DqDecoderInvalidate((Datum) 0, InvalidOid);
}

static bool
DqDecoderIsSkipped(int64 id)
{
	return dq_decoder_nskipped > 0 &&
		bsearch(&id, dq_decoder_skipped, dq_decoder_nskipped, sizeof(int64),
				DqDecoderIdCmp) != NULL;
}

/* Options: row_images (bool, default on). */
static void
DqDecoderStartup(LogicalDecodingContext *ctx, OutputPluginOptions *opt,
				 bool is_init)
{
	DqDecoderData *data = palloc0(sizeof(DqDecoderData));
	ListCell   *lc;
	HASHCTL		hctl;

	data->row_images = true;
	foreach(lc, ctx->output_plugin_options)
	{
		DefElem    *elem = lfirst(lc);

		if (strcmp(elem->defname, "row_images") == 0)
		{
			if (elem->arg == NULL)
				data->row_images = true;
			else if (!parse_bool(strVal(elem->arg), &data->row_images))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("could not parse value \"%s\" for parameter \"%s\"",
								strVal(elem->arg), elem->defname),
						 errhint("Pass on or off.")));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" of output plugin dq_lineage is not recognized",
							elem->defname),
					 errhint("The only option is row_images.")));
	}

	data->cxt = AllocSetContextCreate(ctx->context, "dq_lineage change",
									  ALLOCSET_DEFAULT_SIZES);
	data->cachecxt = AllocSetContextCreate(ctx->context, "dq_lineage rules",
										   ALLOCSET_DEFAULT_SIZES);
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(Oid);
	hctl.entrysize = sizeof(DqDecRel);
	hctl.hcxt = data->cachecxt;
	data->rels = hash_create("dq_lineage decoded relations", 64, &hctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	hctl.entrysize = sizeof(DqDecoderActivity);
	hctl.hcxt = ctx->context;
	data->activity = hash_create("dq_lineage relation activity", 64, &hctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	ctx->output_plugin_private = data;
	opt->output_type = OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
	opt->receive_rewrites = false;

	if (!dq_decoder_callback_registered)
	{
		CacheRegisterRelcacheCallback(DqDecoderInvalidate, (Datum) 0);
		dq_decoder_callback_registered = true;
	}
	dq_decoder_active = data;
}

static void
DqDecoderShutdown(LogicalDecodingContext *ctx)
{
	DqDecoderData *data = ctx->output_plugin_private;

	if (dq_decoder_active == data)
		dq_decoder_active = NULL;
}

static void
DqDecoderBegin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	DqDecoderData *data = ctx->output_plugin_private;

	data->seq = 0;
}

static void
DqDecoderCommit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				XLogRecPtr commit_lsn)
{
}

/* OID of relation dq.<name> as the historic snapshot sees it. */
static Oid
DqDecoderCatalogRel(const char *name)
{
	Oid			nsp = get_namespace_oid("dq", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/* Is the relation of a dq.watched_tables row one of the List *arg? */
static bool
DqDecoderWatchedRow(HeapTuple tup, TupleDesc td, void *arg)
{
	bool		isnull;

	return list_member_oid((List *) arg,
						   DatumGetObjectId(heap_getattr(tup, 1, td, &isnull)));
}

/* Is one of relids in dq.watched_tables (historic snapshot)? */
static bool
DqDecoderIsWatched(List *relids)
{
	Oid			watched = DqDecoderCatalogRel("watched_tables");

	return OidIsValid(watched) &&
		DqSysScanFind(watched, InvalidOid, 0, NULL, DqDecoderWatchedRow, relids);
}

/* A column's current name by number, or NULL when it was dropped. */
static char *
DqDecoderAttName(Oid relid, Datum attnum)
{
	return get_attname(relid, DatumGetInt16(attnum), true);
}

/*
 * params with column_A/column_B or column_list replaced by the current
 * names of the columns numbered in param_attnums; NULL when one of them is
 * gone.  The decoder calls it under the historic snapshot of a change, the
 * worker (cdc_eval.c) under its own.
 */
Jsonb *
DqCdcParamsWithNames(Oid relid, Jsonb *params, ArrayType *attnums, bool pair)
{
	Datum	   *nums;
	int			n;
	int			i;
	StringInfoData buf;

	deconstruct_array(attnums, INT2OID, 2, true, TYPALIGN_SHORT, &nums, NULL, &n);
	initStringInfo(&buf);
	appendStringInfoString(&buf, pair ? "{" : "{\"column_list\": [");
	for (i = 0; i < n; i++)
	{
		char	   *name = DqDecoderAttName(relid, nums[i]);

		if (name == NULL)
			return NULL;
		if (pair)
			appendStringInfoString(&buf, i == 0 ? "\"column_A\": " : ", \"column_B\": ");
		else if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, name);
	}
	appendStringInfoString(&buf, pair ? "}" : "]}");
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(params),
											  DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(buf.data))));
}

/* arguments and result of DqDecoderCompileFn */
typedef struct DqDecoderCompileArgs
{
	DqColumnSource *src;
	const char *kind;
	const char *column;
	Jsonb	   *params;
	double		mostly;
	DqRule	   *rule;
} DqDecoderCompileArgs;

static void
DqDecoderCompileFn(void *arg)
{
	DqDecoderCompileArgs *a = arg;

	a->rule = DqCompileRule(a->src, a->kind, a->column, a->params, a->mostly);
}

/*
 * Compile one expectation (in the current context).  A rule that does not
 * compile any more (say, a bound that no longer parses) is left out and
 * reported as broken with the next change of the relation, rather than
 * stopping decoding.
 */
static DqRule *
DqDecoderCompile(DqDecRel *entry, Relation rel, DqColumnSource *src,
				 const char *kind, const char *column, Jsonb *params,
				 double mostly, int64 id)
{
	DqDecoderCompileArgs a = {src, kind, column, params, mostly, NULL};
	ErrorData  *edata = DqRunInSubxact(DqDecoderCompileFn, &a);
	DqCdcBroken *b;

	if (edata == NULL)
		return a.rule;
	b = palloc0(sizeof(DqCdcBroken));
	b->id = id;
	b->relid = RelationGetRelid(rel);
	strlcpy(b->sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(b->sqlstate));
	b->message = pstrdup(edata->message);
	entry->broken = lappend(entry->broken, b);
	return NULL;
}

/* A string member of params, or NULL. */
static char *
DqDecoderParamString(Jsonb *params, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&params->root, key, strlen(key), NULL);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Names of the columns a rule reads: column, column_A/B or column_list. */
static List *
DqDecoderRuleColumns(const DqKindDef *def, const char *column, Jsonb *params)
{
	List	   *names = NIL;
	JsonbValue *v;

	if (def->ncols == 1 && column != NULL)
		return list_make1(pstrdup(column));
	if (def->ncols == 2)
	{
		char	   *a = DqDecoderParamString(params, "column_A");
		char	   *b = DqDecoderParamString(params, "column_B");

		if (a)
			names = lappend(names, a);
		if (b)
			names = lappend(names, b);
		return names;
	}
	v = getKeyJsonValueFromContainer(&params->root, "column_list",
									 strlen("column_list"), NULL);
	if (v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		uint32		n = JsonContainerSize(v->val.binary.data);

		for (uint32 i = 0; i < n; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(v->val.binary.data, i);

			if (e != NULL && e->type == jbvString)
				names = lappend(names, pnstrdup(e->val.string.val, e->val.string.len));
		}
	}
	return names;
}

/* parseTypeString of parseable_as (catalog lookups only) */
typedef struct DqDecoderTypeArgs
{
	const char *name;
	Oid			typid;
} DqDecoderTypeArgs;

static void
DqDecoderTypeFn(void *arg)
{
	DqDecoderTypeArgs *a = arg;
	int32		typmod;

	parseTypeString(a->name, &a->typid, &typmod, true);
}

/*
 * Does a rule evaluate built-in code only?  It reads its columns (bounds
 * and sets are parsed as the column's type) and, for a kind whose
 * parameter names a type (parseable_as), parses values as that type.  A name that does not resolve is
 * left to the worker, which reports it.  attidx gets the columns' tuple
 * descriptor indexes (*ncols of them); a column that does not exist makes
 * the rule compile here, and fail, and be reported.
 */
static bool
DqDecoderRuleIsBuiltin(Relation rel, const DqKindDef *def, const char *column,
					   Jsonb *params, int **attidx, int *ncols)
{
	TupleDesc	td = RelationGetDescr(rel);
	List	   *names = DqDecoderRuleColumns(def, column, params);
	ListCell   *lc;
	bool		builtin = true;

	*attidx = palloc(sizeof(int) * Max(list_length(names), 1));
	*ncols = 0;
	foreach(lc, names)
	{
		int			i;

		for (i = 0; i < td->natts; i++)
			if (!TupleDescAttr(td, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(td, i)->attname), lfirst(lc)) == 0)
				break;
		if (i == td->natts)
			return true;
		(*attidx)[(*ncols)++] = i;
		if (!DqTypeIsBuiltinOnly(TupleDescAttr(td, i)->atttypid))
			builtin = false;
	}
	/* a row rule that parses values as a type its parameter names */
	if (builtin && def->named == DQ_NAMES_TYPE)
	{
		DqDecoderTypeArgs a = {DqDecoderParamString(params, def->named_param), InvalidOid};

		if (a.name == NULL)
			return true;
		if (DqRunInSubxact(DqDecoderTypeFn, &a) != NULL || !OidIsValid(a.typid))
			return false;
		builtin = DqTypeIsBuiltinOnly(a.typid);
	}
	return builtin;
}

/* The rules of one relation that owns expectations (relid) for rel. */
static void
DqDecoderLoadRules(DqDecRel *entry, Relation rel, Oid relid,
				   DqColumnSource *src, const int *srcatt)
{
	Oid			exprel = DqDecoderCatalogRel("expectations");
	Relation	er;
	TupleDesc	td;
	SysScanDesc scan;
	HeapTuple	tup;
	AttrNumber	a_id,
				a_relid,
				a_kind,
				a_column,
				a_attnum,
				a_params,
				a_pattnums,
				a_mostly,
				a_enabled;

	if (!OidIsValid(exprel))
		return;
	a_id = get_attnum(exprel, "expectation_id");
	a_relid = get_attnum(exprel, "relid");
	a_kind = get_attnum(exprel, "kind");
	a_column = get_attnum(exprel, "column_name");
	a_attnum = get_attnum(exprel, "attnum");
	a_params = get_attnum(exprel, "params");
	a_pattnums = get_attnum(exprel, "param_attnums");
	a_mostly = get_attnum(exprel, "mostly");
	a_enabled = get_attnum(exprel, "enabled");

	er = table_open(exprel, AccessShareLock);
	td = RelationGetDescr(er);
	scan = systable_beginscan(er, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		int64		id;
		const DqKindDef *def;
		char	   *kind;
		char	   *column = NULL;
		Jsonb	   *params;
		double		mostly;
		Datum		d;
		DqDecRule  *dr;
		int			i;

		if (DatumGetObjectId(heap_getattr(tup, a_relid, td, &isnull)) != relid)
			continue;
		if (!DatumGetBool(heap_getattr(tup, a_enabled, td, &isnull)))
			continue;
		id = DatumGetInt64(heap_getattr(tup, a_id, td, &isnull));
		kind = TextDatumGetCString(heap_getattr(tup, a_kind, td, &isnull));
		def = DqLookupKind(kind);
		if (DqDecoderIsSkipped(id))
			continue;			/* broken: recorded by the worker */
		if (def->kind == DQ_K_ROW_CONDITION)
		{
			dr = palloc0(sizeof(DqDecRule));
			dr->id = id;
			dr->ops = DqCdcOperations(DatumGetJsonbP(heap_getattr(tup, a_params, td, &isnull)));
			entry->conditions = lappend(entry->conditions, dr);
			continue;
		}
		/* table-level kinds are for scheduled validation (dq.validate) */
		if (def->scope != DQ_SCOPE_MAP)
			continue;

		d = heap_getattr(tup, a_attnum, td, &isnull);
		if (!isnull)
		{
			column = DqDecoderAttName(relid, d);
			if (column == NULL)
				continue;		/* its column was dropped */
		}
		else
		{
			d = heap_getattr(tup, a_column, td, &isnull);
			if (!isnull)
				column = pstrdup(NameStr(*DatumGetName(d)));
		}
		params = DatumGetJsonbPCopy(heap_getattr(tup, a_params, td, &isnull));
		d = heap_getattr(tup, a_pattnums, td, &isnull);
		if (!isnull)
		{
			params = DqCdcParamsWithNames(relid, params, DatumGetArrayTypeP(d),
									 def->ncols == 2);
			if (params == NULL)
				continue;
		}
		d = heap_getattr(tup, a_mostly, td, &isnull);
		mostly = isnull ? 1.0 : DatumGetFloat8(d);

		dr = palloc0(sizeof(DqDecRule));
		dr->id = id;
		dr->ops = DqCdcOperations(params);
		if (!DqDecoderRuleIsBuiltin(rel, def, column, params, &dr->attidx, &dr->ncols))
		{
			/* the worker checks its rows, as the expectation's owner */
			dr->deferred = true;
			entry->rules = lappend(entry->rules, dr);
			continue;
		}
		dr->rule = DqDecoderCompile(entry, rel, src, kind, column, params, mostly, id);
		if (dr->rule == NULL)
			continue;
		dr->ncols = dr->rule->ncols;
		dr->attidx = palloc(sizeof(int) * Max(dr->rule->ncols, 1));
		for (i = 0; i < dr->rule->ncols; i++)
			dr->attidx[i] = srcatt[dr->rule->cols[i].srcindex];
		entry->rules = lappend(entry->rules, dr);
	}
	systable_endscan(scan);
	table_close(er, AccessShareLock);
}

/*
 * The cache entry of a decoded relation, (re)built when invalid: a
 * partition counts as watched when it or an ancestor is, and its changes
 * are checked by the expectations of the partition and of its ancestors.
 */
static DqDecRel *
DqDecoderLookup(DqDecoderData *data, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	bool		found;
	DqDecRel   *entry = hash_search(data->rels, &relid, HASH_ENTER, &found);
	List	   *relids;
	MemoryContext old;

	if (found && entry->valid)
		return entry;
	if (!found)
		entry->cxt = AllocSetContextCreate(data->cachecxt, "dq_lineage relation rules",
										   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(entry->cxt);
	entry->rules = NIL;
	entry->conditions = NIL;
	entry->broken = NIL;
	entry->out = NULL;
	if (!found)
		entry->eval_errors = 0;
	entry->watched = false;
	entry->valid = true;

	/* the rules and what they point to live in the entry's context */
	old = MemoryContextSwitchTo(entry->cxt);
	relids = list_make1_oid(relid);
	if (rel->rd_rel->relispartition)
		relids = list_concat(relids, get_partition_ancestors(relid));
	entry->report_relid = relid;
	entry->citus_shard = DqCdcCitusShardRelids(rel, &relids, &entry->report_relid);
	entry->watched = DqDecoderIsWatched(relids);
	if (entry->watched)
	{
		DqColumnSource src;
		TupleDesc	tupdesc = RelationGetDescr(rel);
		int		   *srcatt = palloc(sizeof(int) * Max(tupdesc->natts, 1));
		int			i;
		int			n = 0;
		ListCell   *lc;

		DqColumnSourceFromRelation(rel, &src);
		for (i = 0; i < tupdesc->natts; i++)
			if (!TupleDescAttr(tupdesc, i)->attisdropped)
				srcatt[n++] = i;
		foreach(lc, relids)
			DqDecoderLoadRules(entry, rel, lfirst_oid(lc), &src, srcatt);

		entry->out = palloc0(sizeof(FmgrInfo) * Max(tupdesc->natts, 1));
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			Oid			outfunc;
			bool		isvarlena;

			if (att->attisdropped)
				continue;
			getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
			fmgr_info_cxt(outfunc, &entry->out[i], entry->cxt);
		}
	}
	MemoryContextSwitchTo(old);
	return entry;
}

/* An unchanged TOAST value: in the table, not in the WAL. */
static inline bool
DqDecoderUnchangedToast(Form_pg_attribute att, Datum value, bool isnull)
{
	return !isnull && att->attlen == -1 &&
		VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(value));
}

/* The separator (unless first) and the quoted name of a column. */
static void
DqDecoderAppendName(StringInfo out, bool *first, Form_pg_attribute att)
{
	if (!*first)
		appendStringInfoString(out, ", ");
	*first = false;
	escape_json(out, NameStr(att->attname));
}

/*
 * The row as a JSON object of text values (never JSON numbers: every
 * value keeps its type's text form); unchanged TOAST values are left out
 * and named in "unchanged_toast".
 */
static void
DqDecoderAppendRow(StringInfo out, DqDecRel *entry, TupleDesc tupdesc,
				   Datum *values, bool *isnull, Bitmapset *present)
{
	int			i;
	bool		first = true;
	bool		any_toast = false;

	appendStringInfoChar(out, '{');
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped)
			continue;
		/* the old row of a DELETE: only the columns the WAL carries */
		if (present != NULL &&
			!bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, present))
			continue;
		if (DqDecoderUnchangedToast(att, values[i], isnull[i]))
		{
			any_toast = true;
			continue;
		}
		DqDecoderAppendName(out, &first, att);
		appendStringInfoString(out, ": ");
		if (isnull[i])
			appendStringInfoString(out, "null");
		else
			escape_json(out, OutputFunctionCall(&entry->out[i], values[i]));
	}
	appendStringInfoChar(out, '}');
	if (any_toast)
	{
		first = true;
		appendStringInfoString(out, ", \"unchanged_toast\": [");
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);

			if (!att->attisdropped &&
				DqDecoderUnchangedToast(att, values[i], isnull[i]))
				DqDecoderAppendName(out, &first, att);
		}
		appendStringInfoChar(out, ']');
	}
}

/* The members every line starts with. */
static void
DqDecoderLineStart(StringInfo out, const char *type, ReorderBufferTXN *txn,
				   DqDecoderData *data, Oid relid, const char *op, int64 id)
{
	appendStringInfo(out, "{\"type\": \"%s\", \"lsn\": \"%X/%X\", \"seq\": %d, \"xid\": %u, "
					 "\"commit_time\": ",
					 type, LSN_FORMAT_ARGS(txn->final_lsn), data->seq, txn->xid);
	escape_json(out, timestamptz_to_str(DqTxnCommitTime(txn)));
	appendStringInfo(out, ", \"relid\": %u, \"op\": \"%s\", \"expectation_id\": " INT64_FORMAT,
					 relid, op, id);
}

/* arguments and result of DqDecoderEvalFn */
typedef struct DqDecoderEvalArgs
{
	DqRule	   *rule;
	Datum	   *values;
	bool	   *isnull;
	DqOutcome	outcome;
} DqDecoderEvalArgs;

static void
DqDecoderEvalFn(void *arg)
{
	DqDecoderEvalArgs *a = arg;

	a->outcome = DqEvalRule(a->rule, a->values, a->isnull);
}

/*
 * Outcome of one rule on one row.  A data error raised by the check (class
 * 22, which the built-in functions the rules call raise before they touch
 * any shared state) makes the row "not tested" for that rule; it is
 * counted and reported once per relation, not per row.  Any other error
 * leaves the plugin with the rule's id in DqDecoderFailingRule(): the
 * worker marks the rule broken and decodes again without it.
 */
static DqOutcome
DqDecoderEval(DqDecRel *entry, Relation rel, ReorderBufferTXN *txn,
			  DqDecRule *dr, Datum *values, bool *isnull)
{
	DqDecoderEvalArgs a = {dr->rule, values, isnull, DQ_MISSING};
	char	   *error;

	dq_decoder_failing_rule = dr->id;
	dq_decoder_failing_relid = RelationGetRelid(rel);
	dq_decoder_failing_lsn = txn->final_lsn;
	error = DqCatchDataError(DqDecoderEvalFn, &a);
	dq_decoder_failing_rule = 0;
	if (error == NULL)
		return a.outcome;
	if (entry->eval_errors++ == 0)
		ereport(WARNING,
				(errmsg("dq_lineage decoder: expectation %lld could not be checked on a change of \"%s\": %s",
						(long long) dr->id, RelationGetRelationName(rel), error),
				 errdetail("Such rows are not tested; this is reported once per relation.")));
	return DQ_MISSING;
}

/* one decoded change of a watched relation, as the rules see it */
typedef struct DqDecChange
{
	LogicalDecodingContext *ctx;
	ReorderBufferTXN *txn;
	DqDecoderData *data;
	DqDecRel   *entry;
	Relation	rel;
	TupleDesc	tupdesc;
	const char *op;
	int			opbit;
	Datum	   *values;
	bool	   *isnull;
	Bitmapset  *present;		/* columns in the WAL, NULL: all */
	bool		whole;
} DqDecChange;

/* Report the rules that did not compile when the cache was built. */
static void
DqDecoderReportBroken(DqDecChange *c)
{
	ListCell   *lc;

	foreach(lc, c->entry->broken)
	{
		DqCdcBroken *b = lfirst(lc);

		OutputPluginPrepareWrite(c->ctx, true);
		DqDecoderLineStart(c->ctx->out, "broken", c->txn, c->data, c->entry->report_relid, c->op, b->id);
		appendStringInfo(c->ctx->out, ", \"sqlstate\": \"%s\", \"error\": ", b->sqlstate);
		escape_json(c->ctx->out, b->message);
		appendStringInfoChar(c->ctx->out, '}');
		OutputPluginWrite(c->ctx, true);
	}
	c->entry->broken = NIL;
}

/*
 * One rule on the change: a violation line when it fails, a deferred line
 * (the row, for the worker) when the plugin does not evaluate it.
 */
static void
DqDecoderCheckRule(DqDecChange *c, DqDecRule *dr)
{
	DqDecoderData *data = c->data;
	Datum		v[INDEX_MAX_KEYS];
	bool		n[INDEX_MAX_KEYS];
	Datum	   *vp = v;
	bool	   *np = n;
	bool		toast = false;
	bool		absent = false;
	int			i;

	if (!(dr->ops & c->opbit))
		return;
	if (dr->ncols > INDEX_MAX_KEYS)
	{
		vp = palloc(sizeof(Datum) * dr->ncols);
		np = palloc(sizeof(bool) * dr->ncols);
	}
	for (i = 0; i < dr->ncols; i++)
	{
		int			a = dr->attidx[i];

		vp[i] = c->values[a];
		np[i] = c->isnull[a];
		toast |= DqDecoderUnchangedToast(TupleDescAttr(c->tupdesc, a), vp[i], np[i]);
		if (!c->whole)
			absent |= !bms_is_member(a + 1 - FirstLowInvalidHeapAttributeNumber, c->present);
	}
	if (absent)
		return;					/* not in the WAL: not tested */
	if (toast)
	{
		data->stats.toast_skipped++;
		return;
	}
	if (dr->deferred)
	{
		/* the row goes to the worker, which checks it as the owner */
		data->stats.conditions++;
		OutputPluginPrepareWrite(c->ctx, true);
		DqDecoderLineStart(c->ctx->out, "deferred", c->txn, data, c->entry->report_relid, c->op, dr->id);
		appendStringInfoString(c->ctx->out, ", \"row\": ");
		DqDecoderAppendRow(c->ctx->out, c->entry, c->tupdesc, c->values, c->isnull, c->present);
		appendStringInfoChar(c->ctx->out, '}');
		OutputPluginWrite(c->ctx, true);
		return;
	}
	if (DqDecoderEval(c->entry, c->rel, c->txn, dr, vp, np) != DQ_UNEXPECTED)
		return;

	data->stats.violations++;
	OutputPluginPrepareWrite(c->ctx, true);
	DqDecoderLineStart(c->ctx->out, "violation", c->txn, data, c->entry->report_relid, c->op, dr->id);
	appendStringInfoString(c->ctx->out, ", \"unexpected\": ");
	dq_decoder_failing_rule = dr->id;
	appendStringInfoString(c->ctx->out, DqUnexpectedJson(dr->rule, vp, np));
	dq_decoder_failing_rule = 0;
	if (data->row_images)
	{
		appendStringInfoString(c->ctx->out, ", \"row\": ");
		DqDecoderAppendRow(c->ctx->out, c->entry, c->tupdesc, c->values, c->isnull, c->present);
	}
	appendStringInfoChar(c->ctx->out, '}');
	OutputPluginWrite(c->ctx, true);
}

/* The row, for the worker to check against each custom SQL condition. */
static void
DqDecoderHandOutConditions(DqDecChange *c)
{
	ListCell   *lc;

	foreach(lc, c->entry->conditions)
	{
		DqDecRule  *dr = lfirst(lc);

		/* a condition may read any column: a DELETE needs the whole old row */
		if (!(dr->ops & c->opbit) || !c->whole)
			continue;
		c->data->stats.conditions++;
		OutputPluginPrepareWrite(c->ctx, true);
		DqDecoderLineStart(c->ctx->out, "condition", c->txn, c->data, c->entry->report_relid, c->op, dr->id);
		appendStringInfoString(c->ctx->out, ", \"row\": ");
		DqDecoderAppendRow(c->ctx->out, c->entry, c->tupdesc, c->values, c->isnull, NULL);
		appendStringInfoChar(c->ctx->out, '}');
		OutputPluginWrite(c->ctx, true);
	}
}

static void
DqDecoderChange(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				Relation rel, ReorderBufferChange *change)
{
	DqDecoderData *data = ctx->output_plugin_private;
	DqDecChange c;
	HeapTuple	tuple;
	ListCell   *lc;
	MemoryContext old;

	data->seq++;
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.txn = txn;
	c.data = data;
	c.rel = rel;
	c.tupdesc = RelationGetDescr(rel);
	c.whole = true;
	c.entry = DqDecoderLookup(data, rel);
	if (!c.entry->watched || DqCdcCitusSkip(c.entry->citus_shard, txn))
		return;
	data->stats.changes_checked++;
	data->stats.last_commit_time = DqTxnCommitTime(txn);
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			c.op = "INSERT";
			c.opbit = DQ_CDC_INSERT;
			tuple = DqChangeNewTuple(change);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			c.op = "UPDATE";
			c.opbit = DQ_CDC_UPDATE;
			tuple = DqChangeNewTuple(change);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			/* checked only by expectations whose cdc_operations say so */
			c.op = "DELETE";
			c.opbit = DQ_CDC_DELETE;
			tuple = DqChangeOldTuple(change);
			break;
		default:
			return;
	}
	DqDecoderCount(data, c.entry->report_relid, txn, change->action);
	DqDecoderReportBroken(&c);
	if (tuple == NULL || (c.entry->rules == NIL && c.entry->conditions == NIL))
		return;

	old = MemoryContextSwitchTo(data->cxt);
	c.values = palloc(sizeof(Datum) * Max(c.tupdesc->natts, 1));
	c.isnull = palloc(sizeof(bool) * Max(c.tupdesc->natts, 1));
	heap_deform_tuple(tuple, c.tupdesc, c.values, c.isnull);

	/*
	 * The old row of a DELETE carries only the replica identity's columns
	 * unless the identity is FULL: a rule on other columns is not tested.
	 */
	if (c.opbit == DQ_CDC_DELETE && rel->rd_rel->relreplident != REPLICA_IDENTITY_FULL)
	{
		c.whole = false;
		c.present = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_IDENTITY_KEY);
	}

	foreach(lc, c.entry->rules)
		DqDecoderCheckRule(&c, lfirst(lc));
	DqDecoderHandOutConditions(&c);

	MemoryContextSwitchTo(old);
	MemoryContextReset(data->cxt);
}

/*
 * TRUNCATE violates no row-level expectation; it is counted, and the
 * table-level ones are for scheduled validation.
 */
static void
DqDecoderTruncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				  int nrelations, Relation relations[], ReorderBufferChange *change)
{
	DqDecoderData *data = ctx->output_plugin_private;
	int			i;

	for (i = 0; i < nrelations; i++)
	{
		DqDecRel   *entry;

		data->seq++;
		entry = DqDecoderLookup(data, relations[i]);
		if (entry->watched && !DqCdcCitusSkip(entry->citus_shard, txn))
		{
			data->stats.truncates++;
			data->stats.changes_checked++;
			DqDecoderCount(data, entry->report_relid, txn, change->action);
		}
	}
}

/*
 * Entry point of the output plugin dq_lineage (the library itself).
 */
void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	AssertVariableIsOfType(&_PG_output_plugin_init, LogicalOutputPluginInit);

	cb->startup_cb = DqDecoderStartup;
	cb->begin_cb = DqDecoderBegin;
	cb->change_cb = DqDecoderChange;
	cb->truncate_cb = DqDecoderTruncate;
	cb->commit_cb = DqDecoderCommit;
	cb->shutdown_cb = DqDecoderShutdown;
}
