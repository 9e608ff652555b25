/*-------------------------------------------------------------------------
 *
 * reattach.c
 *	  dq.reattach(rel): the expectations that ended when a relation was
 *	  dropped follow a re-created relation of the same name, on request.
 *
 * When a relation is dropped, the sql_drop event trigger (dq_internal.on_sql_drop,
 * sql/install/70_relations.sql) sets the relid of its expectations to NULL,
 * disables them with status "relation dropped" and records the relation's
 * schema and name at the time of the drop.  dq.reattach finds those by the
 * name of the relation it is given, looks their columns up again by name,
 * and makes the ones whose columns all exist active again; the others stay
 * disabled with status "column not found".  Nothing follows a re-created
 * relation by itself: a table of the same name may be another table.
 *
 * Who may call it: the same roles as dq.expect on that relation (its
 * owner, or a member of dq_admin).  The catalog is written as the
 * extension owner (trust.c), in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "base/catalog.h"
#include "base/spi_util.h"
#include "expect/expectations.h"

PG_FUNCTION_INFO_V1(dq_reattach);

/*
 * Ended expectations of a relation named like rel: relid, attnum and
 * param_attnums set from the live relation; active when every column was
 * found.  Returns "active" and "missing" counts in the first row.
 */
#define DQ_REATTACH_SQL \
	"WITH cand AS (" \
	"  SELECT e.expectation_id," \
	"         CASE WHEN e.attnum IS NOT NULL THEN" \
	"           (SELECT a.attnum FROM pg_catalog.pg_attribute a" \
	"             WHERE a.attrelid = $1 AND a.attname = e.column_name" \
	"               AND a.attnum > 0 AND NOT a.attisdropped) END AS attnum," \
	"         CASE WHEN e.param_attnums IS NOT NULL THEN" \
	"           (SELECT pg_catalog.array_agg(a.attnum ORDER BY p.ord)" \
	"              FROM pg_catalog.unnest(CASE WHEN e.params OPERATOR(pg_catalog.?) 'column_list'" \
	"                     THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(e.params->'column_list'))" \
	"                     ELSE ARRAY[e.params->>'column_A', e.params->>'column_B'] END)" \
	"                   WITH ORDINALITY AS p(name, ord)" \
	"              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = $1" \
	"                   AND a.attname OPERATOR(pg_catalog.=) p.name" \
	"                   AND a.attnum > 0 AND NOT a.attisdropped) END AS param_attnums," \
	"         e.attnum IS NOT NULL AS has_column" \
	"    FROM dq.expectations e" \
	"   WHERE e.relid IS NULL AND e.status = 'relation dropped'" \
	"     AND e.schema_name = $2 AND e.table_name = $3" \
	"), found AS (" \
	"  SELECT c.*, (NOT c.has_column OR c.attnum IS NOT NULL)" \
	"          AND (c.param_attnums IS NULL OR pg_catalog.array_position(c.param_attnums, NULL) IS NULL) AS ok" \
	"    FROM cand c" \
	"), upd AS (" \
	"  UPDATE dq.expectations e" \
	"     SET relid = $1, attnum = f.attnum, param_attnums = f.param_attnums," \
	"         enabled = f.ok, status = CASE WHEN f.ok THEN 'active' ELSE 'column not found' END" \
	"    FROM found f WHERE e.expectation_id = f.expectation_id" \
	"  RETURNING f.ok" \
	"), mark AS (" \
	"  UPDATE dq.dropped_relations d SET reattached_at = pg_catalog.now()" \
	"   WHERE d.schema_name = $2 AND d.table_name = $3 AND d.reattached_at IS NULL" \
	"  RETURNING d.watch_ended" \
	")" \
	" SELECT (SELECT pg_catalog.count(*) FROM upd WHERE ok)," \
	"        (SELECT pg_catalog.count(*) FROM upd WHERE NOT ok)," \
	"        (SELECT pg_catalog.bool_or(watch_ended) FROM mark)"

/*
 * dq.reattach(rel): attach the expectations that ended with a dropped
 * relation of rel's name to rel; returns how many are active again.
 */
Datum
dq_reattach(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *relname;
	char	   *nspname;
	Oid			argtypes[3] = {OIDOID, NAMEOID, NAMEOID};
	Datum		values[3];
	NameData	nsp;
	NameData	reln;
	DqOwnerContext owner;
	int64		active;
	int64		missing;
	bool		watch_ended;

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the re-created relation, for example 'public.orders'.");
	relid = PG_GETARG_OID(0);
	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("Name the re-created relation, for example 'public.orders'.")));
	nspname = get_namespace_name(get_rel_namespace(relid));

	DqCheckExpectationAdmin(relid);

	namestrcpy(&nsp, nspname);
	namestrcpy(&reln, relname);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = NameGetDatum(&nsp);
	values[2] = NameGetDatum(&reln);

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	DqSpiRunOneRow(DQ_REATTACH_SQL, 3, argtypes, values, NULL, false,
				   SPI_OK_SELECT, "reattach the expectations");
	active = DqSpiInt64(0, 1);
	missing = DqSpiInt64(0, 2);
	watch_ended = DqSpiBool(0, 3);
	DqRestoreUser(&owner);
	SPI_finish();

	if (active + missing == 0)
		ereport(NOTICE,
				(errmsg("no ended expectation of a relation named %s",
						quote_qualified_identifier(nspname, relname)),
				 errhint("dq.expectations lists ended expectations with status \"relation dropped\", under the schema and name the relation had when it was dropped.")));
	if (missing > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld expectation names a column that %s does not have",
							   "%lld expectations name columns that %s does not have",
							   missing, (long long) missing,
							   quote_qualified_identifier(nspname, relname)),
				 errdetail("They stay disabled with status \"column not found\"."),
				 errhint("Drop them with dq.drop_expectation(), or define them again with dq.expect().")));
	if (watch_ended)
		ereport(NOTICE,
				(errmsg("the dropped table %s was watched",
						quote_qualified_identifier(nspname, relname)),
				 errhint("SELECT dq.watch(%s) validates the changes of the re-created table.",
						 quote_literal_cstr(quote_qualified_identifier(nspname, relname)))));
	PG_RETURN_INT32((int32) active);
}
