/*-------------------------------------------------------------------------
 *
 * kinds_governance.c
 *	  Kinds about who may read data.  expect_column_to_be_readable_only_by:
 *	  no role outside a list may read a column (docs/sensitive-data.md,
 *	  "Exposure audit").
 *
 * A metadata kind: it reads the catalog, not the table, so it is decided
 * when the expectation is compiled, at every dq.check and dq.validate.
 * A role can read the column when has_column_privilege says so: through
 * ownership, a grant on the table or the column, membership in a role
 * that has one, or PUBLIC (listed as the role "public").  Roles named in
 * allowed_roles and their members are allowed; so are superusers and the
 * table's owner (and its members) unless include_superusers or
 * include_owner is true.  Roles whose names start with "pg_" (predefined
 * roles) are not listed: their members are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "base/spi_util.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* The JSON array allowed_roles; an error when it is absent or no array. */
static JsonbContainer *
DqGovRoleArray(DqRule *r)
{
	JsonbValue *v = DqParamNeeded(r, "allowed_roles", jbvArray, "a JSON array of role names",
								  "Pass for example {\"allowed_roles\": [\"analysts\", \"etl\"]}; [] allows nobody.");

	return v->val.binary.data;
}

/* allowed_roles as a text[] Datum; every name must be a role or public. */
static Datum
DqGovAllowedRoles(DqRule *r)
{
	List	   *roles = DqParamStrings(r, DqGovRoleArray(r), "allowed_roles", "hold role names",
										   "Pass for example {\"allowed_roles\": [\"analysts\"]}.");
	Datum	   *names = palloc(sizeof(Datum) * (list_length(roles) + 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, roles)
	{
		char	   *name = lfirst(lc);

		if (strcmp(name, "public") != 0)
			(void) get_role_oid(name, false);	/* 42704 for an unknown role */
		names[n++] = CStringGetTextDatum(name);
	}
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * The roles outside the allowed ones that can read the column, as a JSON
 * array; sets the rule's verdict.
 */
static void
DqMetaReadableOnlyBy(DqRule *r, const DqColumnSource *src, const char *column)
{
	static const char *sql =
		"WITH allowed AS ("
		"  SELECT a.oid FROM pg_catalog.pg_roles a "
		"   WHERE a.rolname OPERATOR(pg_catalog.=) ANY ($3)), "
		"roles AS ("
		"  SELECT r.oid, r.rolname::pg_catalog.text AS name, r.rolsuper "
		"    FROM pg_catalog.pg_roles r "
		"   WHERE r.rolname OPERATOR(pg_catalog.!~) '^pg_' "
		"  UNION ALL SELECT 0, 'public', false) "
		"SELECT COALESCE(pg_catalog.jsonb_agg(x.name ORDER BY x.name), '[]'::pg_catalog.jsonb)::pg_catalog.text "
		"  FROM roles x "
		" WHERE CASE WHEN x.oid OPERATOR(pg_catalog.=) 0 "
		"            THEN pg_catalog.has_column_privilege('public', $1, $2, 'SELECT') "
		"            ELSE pg_catalog.has_column_privilege(x.oid, $1, $2, 'SELECT') END "
		"   AND NOT (x.name OPERATOR(pg_catalog.=) ANY ($3)) "
		"   AND NOT (x.oid OPERATOR(pg_catalog.<>) 0 AND EXISTS (SELECT FROM allowed a "
		"            WHERE pg_catalog.pg_has_role(x.oid, a.oid, 'MEMBER'))) "
		"   AND ($4 OR NOT x.rolsuper) "
		"   AND ($5 OR x.oid OPERATOR(pg_catalog.=) 0 OR NOT pg_catalog.pg_has_role(x.oid, "
		"        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1), 'MEMBER'))";
	Oid			argtypes[5] = {OIDOID, INT2OID, TEXTARRAYOID, BOOLOID, BOOLOID};
	Datum		values[5];
	AttrNumber	attnum;
	char	   *roles;
	MemoryContext callercxt = CurrentMemoryContext;

	if (!OidIsValid(src->relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s needs a relation", r->def->name),
				 errhint("Check it on a table, view or materialized view.")));
	attnum = get_attnum(src->relid, r->cols[0].name);
	values[0] = ObjectIdGetDatum(src->relid);
	values[1] = Int16GetDatum(attnum);
	values[2] = DqGovAllowedRoles(r);
	values[3] = BoolGetDatum(DqParamBool(r->def, r->params, "include_superusers", false));
	values[4] = BoolGetDatum(DqParamBool(r->def, r->params, "include_owner", false));

	DqSpiConnect();
	DqSpiRunOneRow(sql, 5, argtypes, values, NULL, true, SPI_OK_SELECT,
				   "list the roles that can read a column");
	{
		MemoryContext old = MemoryContextSwitchTo(callercxt);

		roles = DqSpiText(0, 1);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	r->meta_success = (strcmp(roles, "[]") == 0);
	r->meta_result = psprintf("\"observed_value\": %s, \"details\": {\"unexpected_roles\": %s}",
							  roles, roles);
}

const DqKindDef DqGovernanceKinds[] = {
	{
		.name = "expect_column_to_be_readable_only_by",
		.ncols = 1, .nreq = 1,
		.params = DQ_PARAMS("allowed_roles", "include_superusers", "include_owner"),
		.scope = DQ_SCOPE_METADATA,
		.description = "no role outside allowed_roles (and their members; superusers and the table's owner unless include_superusers / include_owner) can SELECT the column (governance of sensitive columns)",
		.metadata = DqMetaReadableOnlyBy,
	},
	{0}
};
