/*-------------------------------------------------------------------------
 *
 * lineage_copy.c
 *	  COPY as lineage: runs between a relation (or a query) and a file, a
 *	  program or the client, recorded in dq.lineage_copies.
 *
 * COPY t FROM moves rows from outside the database into t: a dataset-level
 * run (no column of the file is a column PostgreSQL knows).  COPY t TO and
 * COPY (query) TO move columns out: each output column of the file has the
 * lineage of the query's column (dq.lineage_copy_fields; field 0 holds the
 * dataset-level sources: WHERE, JOIN, ...), so that an export shows which
 * columns it carries.  The other dataset is the file (by the name COPY was
 * given), the program (by its command) or the client (STDIN / STDOUT).
 *
 * The capture hook (lineage_hook.c) calls DqLineageCopyBegin before the
 * COPY runs, DqLineageCopyQuery when COPY parses its query, and records the
 * run once the COPY succeeded: a run is cached, written once and counted
 * like a statement, keyed by a hash of everything recorded about it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "base/spi_util.h"
#include "base/trust.h"
#include "lineage/lineage.h"

/* A relation that is a node of the lineage graph (not temporary, not ours). */
static bool
DqLinCopyRelationCounts(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE)
		return false;
	return get_rel_persistence(relid) != RELPERSISTENCE_TEMP &&
		!DqLineageTargetIsOurs(relid);
}

/* The columns COPY reads or writes when no column list is given. */
static List *
DqLinCopyDefaultColumns(Oid relid)
{
	List	   *columns = NIL;
	ListCell   *lc;

	foreach(lc, DqLinRelationAttnums(relid, true))
	{
		char	   *name = get_attname(relid, lfirst_int(lc), true);

		if (name != NULL)
			columns = lappend(columns, makeString(name));
	}
	return columns;
}

/*
 * Describe a COPY about to run, or NULL when it is not lineage (a
 * temporary table, the extension's own tables, a relation that does not
 * exist: COPY itself will say so).
 */
DqLinCopy *
DqLineageCopyBegin(CopyStmt *stmt)
{
	DqLinCopy  *copy = palloc0(sizeof(DqLinCopy));
	ListCell   *lc;

	copy->is_from = stmt->is_from;
	copy->kind = stmt->filename == NULL ? 'c' : stmt->is_program ? 'p' : 'f';
	copy->endpoint = stmt->filename ? pstrdup(stmt->filename) : NULL;
	if (stmt->relation == NULL)
	{
		/* COPY (query) TO: the query, parsed by COPY, gives the columns */
		copy->wants_query = true;
		return copy;
	}
	copy->relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(copy->relid) || !DqLinCopyRelationCounts(copy->relid))
		return NULL;
	if (stmt->attlist != NIL)
	{
		foreach(lc, stmt->attlist)
		{
			copy->columns = lappend(copy->columns,
									makeString(pstrdup(strVal(lfirst(lc)))));
		}
	}
	else
		copy->columns = DqLinCopyDefaultColumns(copy->relid);
	if (!copy->is_from)
	{
		int			field = 0;

		/* COPY t TO: each output column is the table's column as it is */
		foreach(lc, copy->columns)
		{
			AttrNumber	attnum = get_attnum(copy->relid, strVal(lfirst(lc)));
			DqLinField *f;

			field++;
			if (attnum <= 0)
				continue;
			f = palloc(sizeof(DqLinField));
			f->field = field;
			f->source_relid = copy->relid;
			f->source_attnum = attnum;
			f->subtype = DQ_LIN_IDENTITY;
			f->masking = false;
			copy->fields = lappend(copy->fields, f);
		}
	}
	return copy;
}

/*
 * The query of a COPY (query) TO, as COPY parsed it.  Called from the
 * parse-analysis hook, whose memory is gone before the COPY ends: what is
 * kept goes into the memory of the COPY's own record.
 */
void
DqLineageCopyQuery(DqLinCopy *copy, Query *query)
{
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(copy));

	copy->got_query = true;
	copy->fields = DqLineageQueryFields(query);
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (!tle->resjunk)
			copy->columns = lappend(copy->columns,
									makeString(pstrdup(tle->resname ? tle->resname : "?column?")));
	}
	MemoryContextSwitchTo(old);
}

/*
 * Whether a COPY that ran is worth recording: COPY (query) TO when its
 * query read a relation of the graph.
 */
bool
DqLineageCopyReady(const DqLinCopy *copy)
{
	if (copy->wants_query)
		return copy->got_query && copy->fields != NIL;
	return true;
}

/* The run's key: everything recorded about it. */
uint64
DqLineageCopyKey(const DqLinCopy *copy)
{
	uint64		h;
	ListCell   *lc;

	h = hash_bytes_extended((const unsigned char *) &copy->relid,
							sizeof(Oid), copy->is_from ? 1 : 2);
	h = hash_combine64(h, (uint64) copy->kind);
	if (copy->endpoint)
		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) copy->endpoint,
												  strlen(copy->endpoint), 0));
	foreach(lc, copy->columns)
	{
		const char *name = strVal(lfirst(lc));

		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) name,
												  strlen(name), 0));
	}
	foreach(lc, copy->fields)
	{
		DqLinField *f = (DqLinField *) lfirst(lc);
		uint64		parts[5] = {f->field, f->source_relid, f->source_attnum,
		f->subtype, f->masking};

		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) parts,
												  sizeof(parts), 0));
	}
	return h ? h : 1;
}

/* A deep copy in the current memory context (for the session's cache). */
DqLinCopy *
DqLineageCopyClone(const DqLinCopy *copy)
{
	DqLinCopy  *c = palloc(sizeof(DqLinCopy));
	ListCell   *lc;

	*c = *copy;
	c->endpoint = copy->endpoint ? pstrdup(copy->endpoint) : NULL;
	c->columns = NIL;
	c->fields = NIL;
	foreach(lc, copy->columns)
	{
		c->columns = lappend(c->columns, makeString(pstrdup(strVal(lfirst(lc)))));
	}
	foreach(lc, copy->fields)
	{
		DqLinField *f = palloc(sizeof(DqLinField));

		*f = *(DqLinField *) lfirst(lc);
		c->fields = lappend(c->fields, f);
	}
	return c;
}

/* Build a one-dimensional array of n datums of elemtype. */
static Datum
DqLinArray(Datum *items, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(items, n, elemtype, typlen,
										   typbyval, typalign));
}

/*
 * Write a COPY run (once: ON CONFLICT DO NOTHING on its key), as the
 * extension owner, in the COPY's transaction.  Executions are counted in
 * shared memory and folded in by dq.lineage_flush().
 */
void
DqLineageStoreCopy(const DqLinCopy *copy, int64 key)
{
	int			ncols = list_length(copy->columns);
	int			nfields = list_length(copy->fields);
	Datum	   *names = palloc(sizeof(Datum) * (ncols + 1));
	Datum	   *f_field = palloc(sizeof(Datum) * (nfields + 1));
	Datum	   *f_relid = palloc(sizeof(Datum) * (nfields + 1));
	Datum	   *f_attnum = palloc(sizeof(Datum) * (nfields + 1));
	Datum	   *f_subtype = palloc(sizeof(Datum) * (nfields + 1));
	Datum	   *f_masking = palloc(sizeof(Datum) * (nfields + 1));
	Oid			types[6] = {INT8OID, TEXTOID, OIDOID, TEXTOID, TEXTOID,
	NAMEARRAYOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			ftypes[7] = {INT8OID, NAMEARRAYOID, INT2ARRAYOID, OIDARRAYOID,
	INT2ARRAYOID, TEXTARRAYOID, BOOLARRAYOID};
	Datum		fvalues[7];
	DqOwnerContext owner;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, copy->columns)
	{
		names[i++] = DirectFunctionCall1(namein,
										 CStringGetDatum(strVal(lfirst(lc))));
	}
	i = 0;
	foreach(lc, copy->fields)
	{
		DqLinField *f = (DqLinField *) lfirst(lc);

		f_field[i] = Int16GetDatum(f->field);
		f_relid[i] = ObjectIdGetDatum(f->source_relid);
		f_attnum[i] = Int16GetDatum(f->source_attnum);
		f_subtype[i] = CStringGetTextDatum(DqLinSubtypeName(f->subtype));
		f_masking[i] = BoolGetDatum(f->masking);
		i++;
	}
	values[0] = Int64GetDatum(key);
	values[1] = CStringGetTextDatum(copy->is_from ? "from" : "to");
	values[2] = ObjectIdGetDatum(copy->relid);
	nulls[2] = OidIsValid(copy->relid) ? ' ' : 'n';
	values[3] = CStringGetTextDatum(copy->kind == 'f' ? "file" :
									copy->kind == 'p' ? "program" : "client");
	values[4] = copy->endpoint ? CStringGetTextDatum(copy->endpoint) : (Datum) 0;
	nulls[4] = copy->endpoint ? ' ' : 'n';
	values[5] = DqLinArray(names, ncols, NAMEOID);

	fvalues[0] = Int64GetDatum(key);
	fvalues[1] = values[5];
	fvalues[2] = DqLinArray(f_field, nfields, INT2OID);
	fvalues[3] = DqLinArray(f_relid, nfields, OIDOID);
	fvalues[4] = DqLinArray(f_attnum, nfields, INT2OID);
	fvalues[5] = DqLinArray(f_subtype, nfields, TEXTOID);
	fvalues[6] = DqLinArray(f_masking, nfields, BOOLOID);

	DqBecomeExtensionOwner(&owner);
	DqSpiConnect();
	DqSpiRunArgs("INSERT INTO dq.lineage_copies AS c (query_id,"
				 " direction, relid, rel_schema, rel_table,"
				 " endpoint_kind, endpoint, columns)"
				 " SELECT $1, $2, $3, n.nspname, r.relname, $4, $5, $6"
				 " FROM (SELECT) x"
				 " LEFT JOIN pg_catalog.pg_class r ON r.oid = $3"
				 " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
				 " ON CONFLICT (query_id) DO NOTHING",
				 6, types, values, nulls, false, SPI_OK_INSERT, "store a COPY run");
	if (nfields > 0)
		DqSpiRunArgs("INSERT INTO dq.lineage_copy_fields (query_id,"
					 " field, field_name, source_relid, source_attnum,"
					 " lineage_type, subtype, masking, source_schema,"
					 " source_table, source_column)"
					 " SELECT $1, x.f, $2[x.f], x.sr, x.sa,"
					 "  CASE WHEN x.st IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION')"
					 "   THEN 'DIRECT' ELSE 'INDIRECT' END, x.st, x.m,"
					 "  sn.nspname, sc.relname, sa.attname"
					 " FROM unnest($3::pg_catalog.int2[], $4::pg_catalog.oid[],"
					 "  $5::pg_catalog.int2[], $6::pg_catalog.text[],"
					 "  $7::pg_catalog.bool[]) AS x(f, sr, sa, st, m)"
					 " JOIN pg_catalog.pg_class sc ON sc.oid = x.sr"
					 " JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace"
					 " LEFT JOIN pg_catalog.pg_attribute sa ON sa.attrelid = x.sr"
					 "  AND sa.attnum = x.sa"
					 " ON CONFLICT DO NOTHING",
					 7, ftypes, fvalues, NULL, false, SPI_OK_INSERT,
					 "store the column lineage of a COPY");
	SPI_finish();
	DqRestoreUser(&owner);
}
