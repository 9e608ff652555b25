/*-------------------------------------------------------------------------
 *
 * lineage_store.c
 *	  Writing lineage edges to dq.lineage_edges, and dq.record_lineage().
 *
 * Edges are written in the transaction of the statement that produced
 * them, as the extension owner, with one INSERT ... ON CONFLICT on the
 * table's unique key: a rollback removes them, and a statement seen again
 * by another session adds nothing.  The names of the relations and columns
 * are copied at capture time, so that an edge whose source or target was
 * dropped can still be read; dq.column_lineage shows current names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "base/catalog.h"
#include "base/spi_util.h"
#include "lineage/lineage.h"

PG_FUNCTION_INFO_V1(dq_record_lineage);

/* OID of the schema dq, while lin_dq_namespace_cached */
static Oid	lin_dq_namespace = InvalidOid;
static bool lin_dq_namespace_cached = false;
static bool lin_namespace_callback = false;

#define DQ_LIN_STORE_SQL \
	"INSERT INTO dq.lineage_edges AS e (source_relid, source_attnum," \
	" target_relid, target_attnum, lineage_type, subtype, masking, origin," \
	" query_id, occurrences, source_schema, source_table, source_column," \
	" target_schema, target_table, target_column)" \
	" SELECT x.sr, x.sa, x.tr, x.ta," \
	"  CASE WHEN x.st IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION')" \
	"   THEN 'DIRECT' ELSE 'INDIRECT' END, x.st, x.m, x.o, $8, $9," \
	"  sn.nspname, sc.relname, sa.attname, tn.nspname, tc.relname, ta.attname" \
	" FROM unnest($1::pg_catalog.oid[], $2::pg_catalog.int2[]," \
	"  $3::pg_catalog.oid[], $4::pg_catalog.int2[], $5::pg_catalog.text[]," \
	"  $6::pg_catalog.bool[], $7::pg_catalog.text[])" \
	"  AS x(sr, sa, tr, ta, st, m, o)" \
	" JOIN pg_catalog.pg_class sc ON sc.oid = x.sr" \
	" JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace" \
	" LEFT JOIN pg_catalog.pg_attribute sa ON sa.attrelid = x.sr AND sa.attnum = x.sa" \
	" JOIN pg_catalog.pg_class tc ON tc.oid = x.tr" \
	" JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace" \
	" LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = x.tr AND ta.attnum = x.ta" \
	" ON CONFLICT (target_relid, target_attnum, source_relid, source_attnum," \
	"  subtype, masking, origin, query_id) DO "

/*
 * Write a set of edges.  A statement's edges (is_run false) are written
 * once with no occurrence: executions are counted in shared memory and
 * folded in by dq.lineage_flush().  A DDL run (is_run true: CREATE VIEW,
 * REFRESH ...) counts one occurrence per call.
 */
void
DqLineageStore(const DqLinEdgeSet *set, int64 queryid, bool is_run)
{
	Datum	   *cols[7];
	Datum		values[9];
	Oid			types[9] = {OIDARRAYOID, INT2ARRAYOID, OIDARRAYOID,
		INT2ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TEXTARRAYOID, INT8OID,
	INT8OID};
	Oid			elemtypes[7] = {OIDOID, INT2OID, OIDOID, INT2OID, TEXTOID,
	BOOLOID, TEXTOID};
	DqOwnerContext owner;
	int			i;
	char	   *sql;

	if (set->n == 0)
		return;
	for (i = 0; i < 7; i++)
		cols[i] = palloc(sizeof(Datum) * set->n);
	for (i = 0; i < set->n; i++)
	{
		const DqLinEdge *e = &set->items[i];

		cols[0][i] = ObjectIdGetDatum(e->source_relid);
		cols[1][i] = Int16GetDatum(e->source_attnum);
		cols[2][i] = ObjectIdGetDatum(e->target_relid);
		cols[3][i] = Int16GetDatum(e->target_attnum);
		cols[4][i] = CStringGetTextDatum(DqLinSubtypeName(e->subtype));
		cols[5][i] = BoolGetDatum(e->masking);
		cols[6][i] = CStringGetTextDatum(DqLinOriginName(e->origin));
	}
	for (i = 0; i < 7; i++)
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(elemtypes[i], &typlen, &typbyval, &typalign);
		values[i] = PointerGetDatum(construct_array(cols[i], set->n,
													elemtypes[i], typlen,
													typbyval, typalign));
	}
	values[7] = Int64GetDatum(queryid);
	values[8] = Int64GetDatum(is_run ? 1 : 0);
	sql = psprintf("%s%s", DQ_LIN_STORE_SQL, is_run ?
				   "UPDATE SET last_seen = pg_catalog.now(),"
				   " occurrences = e.occurrences + 1, dropped = false" :
				   "NOTHING");

	DqBecomeExtensionOwner(&owner);
	DqSpiConnect();
	DqSpiRunArgs(sql, 9, types, values, NULL, false, SPI_OK_INSERT,
				 "store lineage edges");
	SPI_finish();
	DqRestoreUser(&owner);
}

/*
 * Run fn(arg) in a subtransaction, as a statement of the extension itself
 * (the capture hooks ignore it).  An error in lineage capture must not
 * cost the user their statement: it becomes a WARNING naming what, and
 * false is returned.
 */
bool
DqLineageTry(void (*fn) (void *), void *arg, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		save = dq_lineage_internal;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	dq_lineage_internal = true;
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not record lineage of %s: %s", what,
						edata->message),
				 errhint("The statement itself succeeded; dq.record_lineage() can record its lineage by hand.")));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	dq_lineage_internal = save;
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * Forget the edges a view, materialized view or table got from its
 * defining query, before its new definition is recorded.
 */
void
DqLineageReplaceTarget(Oid target_relid, DqLinOrigin origin)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	DqOwnerContext owner;

	values[0] = ObjectIdGetDatum(target_relid);
	values[1] = CStringGetTextDatum(DqLinOriginName(origin));
	DqBecomeExtensionOwner(&owner);
	DqSpiConnect();
	DqSpiRunArgs("DELETE FROM dq.lineage_edges"
				 " WHERE target_relid = $1 AND origin = $2",
				 2, types, values, NULL, false, SPI_OK_DELETE, "delete lineage edges");
	SPI_finish();
	DqRestoreUser(&owner);
}

/*
 * True when a relation lives in the extension's own schema: the extension's
 * bookkeeping is not lineage.
 */
bool
DqLineageTargetIsOurs(Oid relid)
{
	/* the control file fixes the schema: dq */
	if (!lin_dq_namespace_cached)
	{
		lin_dq_namespace = get_namespace_oid("dq", true);
		/* kept only while a syscache callback says when it changes */
		lin_dq_namespace_cached = lin_namespace_callback;
	}
	return get_rel_namespace(relid) == lin_dq_namespace;
}

/* A schema was created, renamed or dropped: look "dq" up again. */
static void
DqLineageNamespaceCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	lin_dq_namespace_cached = false;
}

/* Let DqLineageTargetIsOurs keep the schema's OID (backends, preloaded). */
void
DqLineageStoreInit(void)
{
	CacheRegisterSyscacheCallback(NAMESPACEOID, DqLineageNamespaceCallback,
								  (Datum) 0);
	lin_namespace_callback = true;
}

/* Column number of a column named in a dq.record_lineage() call. */
static AttrNumber
DqLineageAttnum(Oid relid, Name colname)
{
	AttrNumber	attnum;

	if (colname == NULL)
		return 0;
	attnum = get_attnum(relid, NameStr(*colname));
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						NameStr(*colname), get_rel_name(relid)),
				 errhint("List the columns with \\d %s.", get_rel_name(relid))));
	return attnum;
}

/* The subtype named in a dq.record_lineage() call. */
static DqLinSubtype
DqLineageSubtype(const char *type, const char *subtype)
{
	int			i;
	bool		direct = pg_strcasecmp(type, "DIRECT") == 0;

	if (!direct && pg_strcasecmp(type, "INDIRECT") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lineage type \"%s\"", type),
				 errhint("Use DIRECT or INDIRECT.")));
	for (i = DQ_LIN_IDENTITY; i <= DQ_LIN_CONDITIONAL; i++)
		if (pg_strcasecmp(subtype, DqLinSubtypeName(i)) == 0 &&
			DqLinIsDirect(i) == direct)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid subtype \"%s\" for lineage type %s", subtype,
					direct ? "DIRECT" : "INDIRECT"),
			 errhint(direct ? "DIRECT subtypes are IDENTITY, TRANSFORMATION and AGGREGATION." :
					 "INDIRECT subtypes are JOIN, FILTER, GROUP_BY, SORT, WINDOW and CONDITIONAL.")));
	return DQ_LIN_IDENTITY;		/* keep the compiler quiet */
}

/*
 * dq.record_lineage(source, source_column, target, target_column,
 *					 lineage_type, subtype, masking)
 *
 * Record an edge for data that moved outside the database's view (COPY
 * from a file, an external job).  The caller needs SELECT on the source
 * and INSERT or UPDATE on the target.  A NULL source column means the
 * whole source relation; a NULL target column a dataset-level edge (only
 * for INDIRECT edges).
 */
Datum
dq_record_lineage(PG_FUNCTION_ARGS)
{
	Oid			source;
	Oid			target;
	DqLinEdge	edge;
	DqLinEdgeSet set = {0, 0, NULL};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(5) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, target, lineage_type, subtype and masking must not be NULL"),
				 errhint("Pass NULL only as a column, for a whole relation.")));
	source = PG_GETARG_OID(0);
	target = PG_GETARG_OID(2);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(source)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(target)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist",
						SearchSysCacheExists1(RELOID, ObjectIdGetDatum(source)) ?
						target : source),
				 errhint("Name an existing relation.")));
	if (pg_class_aclcheck(source, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(source)),
				 errhint("Recording lineage from a relation needs SELECT on it.")));
	/* any of the two privileges will do */
	if (pg_class_aclcheck(target, GetUserId(), ACL_INSERT | ACL_UPDATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(target)),
				 errhint("Recording lineage into a relation needs INSERT or UPDATE on it.")));

	edge.source_relid = source;
	edge.target_relid = target;
	edge.source_attnum = DqLineageAttnum(source, PG_ARGISNULL(1) ? NULL : PG_GETARG_NAME(1));
	edge.target_attnum = DqLineageAttnum(target, PG_ARGISNULL(3) ? NULL : PG_GETARG_NAME(3));
	edge.subtype = DqLineageSubtype(text_to_cstring(PG_GETARG_TEXT_PP(4)),
									text_to_cstring(PG_GETARG_TEXT_PP(5)));
	edge.masking = PG_GETARG_BOOL(6);
	edge.origin = DQ_LIN_ORIGIN_MANUAL;
	if (edge.target_attnum == 0 && DqLinIsDirect(edge.subtype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a DIRECT edge needs a target column"),
				 errhint("Name the target column, or record an INDIRECT dataset-level edge.")));
	if (edge.target_attnum == 0)
		edge.masking = false;
	DqLinEdgeSetAdd(&set, &edge);
	DqLineageStore(&set, 0, true);
	PG_RETURN_VOID();
}
