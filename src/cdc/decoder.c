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

#include "base/compat.h"
#include "cdc/citus_decode.h"
#include "cdc/decoder.h"
#include "expect/expectations.h"
#include "base/subxact.h"

/* one expectation compiled for one decoded relation */
typedef struct DqDecRule
{
	int64		id;
	DqRule	   *rule;			/* NULL for a row condition */
	int		   *attidx;			/* tuple descriptor index of each column */
	int			ops;			/* DQ_CDC_INSERT | ...: the changes checked */
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
} DqDecoderData;

/* the decoder of this process, for the invalidation callback */
static DqDecoderData *dq_decoder_active = NULL;
static bool dq_decoder_callback_registered = false;

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

void
DqDecoderForget(void)
{
	dq_decoder_active = NULL;
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

/* Is one of relids in dq.watched_tables (historic snapshot)? */
static bool
DqDecoderIsWatched(List *relids)
{
	Oid			watched = DqDecoderCatalogRel("watched_tables");
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(watched))
		return false;
	rel = table_open(watched, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(heap_getattr(tup, 1, RelationGetDescr(rel), &isnull));

		found = list_member_oid(relids, relid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
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
 * gone.
 */
static Jsonb *
DqDecoderParams(Oid relid, Jsonb *params, ArrayType *attnums, bool pair)
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
 * Compile one expectation (in the current context); a rule that does not
 * compile any more (say, a bound that no longer parses) is left out rather
 * than stopping decoding.
 */
static DqRule *
DqDecoderCompile(DqColumnSource *src, const char *kind, const char *column,
				 Jsonb *params, double mostly, int64 id)
{
	DqDecoderCompileArgs a = {src, kind, column, params, mostly, NULL};
	char	   *error = DqRunProtected(DqDecoderCompileFn, &a);

	if (error == NULL)
		return a.rule;
	ereport(LOG,
			(errmsg("dq_lineage decoder: expectation %lld left out: %s",
					(long long) id, error)));
	return NULL;
}

/* The rules of one relation that owns expectations (relid) for rel. */
static void
DqDecoderLoadRules(DqDecRel *entry, Relation rel, Oid relid,
				   DqColumnSource *src, int *srcatt)
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
			params = DqDecoderParams(relid, params, DatumGetArrayTypeP(d),
									 def->ncols == 2);
			if (params == NULL)
				continue;
		}
		d = heap_getattr(tup, a_mostly, td, &isnull);
		mostly = isnull ? 1.0 : DatumGetFloat8(d);

		{
			DqRule	   *rule = DqDecoderCompile(src, kind, column, params, mostly, id);

			if (rule == NULL)
				continue;
			dr = palloc0(sizeof(DqDecRule));
			dr->id = id;
			dr->rule = rule;
			dr->ops = DqCdcOperations(params);
			dr->attidx = palloc(sizeof(int) * Max(rule->ncols, 1));
			for (i = 0; i < rule->ncols; i++)
				dr->attidx[i] = srcatt[rule->cols[i].srcindex];
			entry->rules = lappend(entry->rules, dr);
		}
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
	ListCell   *lc;
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
		if (!first)
			appendStringInfoString(out, ", ");
		first = false;
		escape_json(out, NameStr(att->attname));
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

			if (att->attisdropped || !DqDecoderUnchangedToast(att, values[i], isnull[i]))
				continue;
			if (!first)
				appendStringInfoString(out, ", ");
			first = false;
			escape_json(out, NameStr(att->attname));
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
 * 22, which the rules' functions raise before they touch any shared state)
 * makes the row "not tested" for that rule; it is counted and reported
 * once per relation, not per row.  Any other error stops decoding.
 */
static DqOutcome
DqDecoderEval(DqDecRel *entry, Relation rel, DqDecRule *dr, Datum *values,
			  bool *isnull)
{
	DqDecoderEvalArgs a = {dr->rule, values, isnull, DQ_MISSING};
	char	   *error = DqCatchDataError(DqDecoderEvalFn, &a);

	if (error == NULL)
		return a.outcome;
	if (entry->eval_errors++ == 0)
		ereport(WARNING,
				(errmsg("dq_lineage decoder: expectation %lld could not be checked on a change of \"%s\": %s",
						(long long) dr->id, RelationGetRelationName(rel), error),
				 errdetail("Such rows are not tested; this is reported once per relation.")));
	return DQ_MISSING;
}

static void
DqDecoderChange(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				Relation rel, ReorderBufferChange *change)
{
	DqDecoderData *data = ctx->output_plugin_private;
	DqDecRel   *entry;
	HeapTuple	tuple;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values;
	bool	   *isnull;
	const char *op;
	int			opbit;
	ListCell   *lc;
	MemoryContext old;
	Bitmapset  *present = NULL;
	bool		whole = true;

	data->seq++;
	entry = DqDecoderLookup(data, rel);
	if (!entry->watched || DqCdcCitusSkip(entry->citus_shard, txn))
		return;
	data->stats.changes_checked++;
	data->stats.last_commit_time = DqTxnCommitTime(txn);
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			op = "INSERT";
			opbit = DQ_CDC_INSERT;
			tuple = DqChangeNewTuple(change);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			op = "UPDATE";
			opbit = DQ_CDC_UPDATE;
			tuple = DqChangeNewTuple(change);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			/* checked only by expectations whose cdc_operations say so */
			op = "DELETE";
			opbit = DQ_CDC_DELETE;
			tuple = DqChangeOldTuple(change);
			break;
		default:
			return;
	}
	if (tuple == NULL || (entry->rules == NIL && entry->conditions == NIL))
		return;

	old = MemoryContextSwitchTo(data->cxt);
	values = palloc(sizeof(Datum) * Max(tupdesc->natts, 1));
	isnull = palloc(sizeof(bool) * Max(tupdesc->natts, 1));
	heap_deform_tuple(tuple, tupdesc, values, isnull);

	/*
	 * The old row of a DELETE carries only the replica identity's columns
	 * unless the identity is FULL: a rule on other columns is not tested.
	 */
	if (opbit == DQ_CDC_DELETE && rel->rd_rel->relreplident != REPLICA_IDENTITY_FULL)
	{
		whole = false;
		present = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_IDENTITY_KEY);
	}

	foreach(lc, entry->rules)
	{
		DqDecRule  *dr = lfirst(lc);
		Datum		v[INDEX_MAX_KEYS];
		bool		n[INDEX_MAX_KEYS];
		Datum	   *vp = v;
		bool	   *np = n;
		bool		toast = false;
		bool		absent = false;
		int			i;

		if (!(dr->ops & opbit))
			continue;

		if (dr->rule->ncols > INDEX_MAX_KEYS)
		{
			vp = palloc(sizeof(Datum) * dr->rule->ncols);
			np = palloc(sizeof(bool) * dr->rule->ncols);
		}
		for (i = 0; i < dr->rule->ncols; i++)
		{
			int			a = dr->attidx[i];

			vp[i] = values[a];
			np[i] = isnull[a];
			toast |= DqDecoderUnchangedToast(TupleDescAttr(tupdesc, a), vp[i], np[i]);
			if (!whole)
				absent |= !bms_is_member(a + 1 - FirstLowInvalidHeapAttributeNumber, present);
		}
		if (absent)
			continue;			/* not in the WAL: not tested */
		if (toast)
		{
			data->stats.toast_skipped++;
			continue;
		}
		if (DqDecoderEval(entry, rel, dr, vp, np) != DQ_UNEXPECTED)
			continue;

		data->stats.violations++;
		OutputPluginPrepareWrite(ctx, true);
		DqDecoderLineStart(ctx->out, "violation", txn, data, entry->report_relid, op, dr->id);
		appendStringInfoString(ctx->out, ", \"unexpected\": ");
		appendStringInfoString(ctx->out, DqUnexpectedJson(dr->rule, vp, np));
		if (data->row_images)
		{
			appendStringInfoString(ctx->out, ", \"row\": ");
			DqDecoderAppendRow(ctx->out, entry, tupdesc, values, isnull, present);
		}
		appendStringInfoChar(ctx->out, '}');
		OutputPluginWrite(ctx, true);
	}

	/* rows for the worker to check against custom SQL conditions */
	foreach(lc, entry->conditions)
	{
		DqDecRule  *dr = lfirst(lc);

		/* a condition may read any column: a DELETE needs the whole old row */
		if (!(dr->ops & opbit) || !whole)
			continue;
		data->stats.conditions++;
		OutputPluginPrepareWrite(ctx, true);
		DqDecoderLineStart(ctx->out, "condition", txn, data, entry->report_relid, op, dr->id);
		appendStringInfoString(ctx->out, ", \"row\": ");
		DqDecoderAppendRow(ctx->out, entry, tupdesc, values, isnull, NULL);
		appendStringInfoChar(ctx->out, '}');
		OutputPluginWrite(ctx, true);
	}

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
