/*-------------------------------------------------------------------------
 *
 * lineage_masking.c
 *	  Which functions and aggregates hide the values they are given, for the
 *	  "masking" flag of DIRECT edges (OpenLineage's column-lineage facet).
 *
 * A masking edge carries no value of its source: sensitive-data tags do
 * not flow along it (docs/sensitive-data.md).  Masking are:
 *
 *	- hashes and digests (md5, sha256, ...) and count();
 *	- built-in aggregates and window functions that return no input value:
 *	  sum, avg, stddev, bool_and, rank, row_number, ...; those that return
 *	  input values (min, max, string_agg, array_agg, json_agg, mode,
 *	  percentile_disc, first_value, lag, ...) are not;
 *	- the functions and aggregates users declare in dq.masking_functions
 *	  (a redaction function of their own, say).
 *
 * dq.masking_functions is read with a heap scan, no SPI, the first time a
 * walk asks in a backend, and kept as a sorted array; a statement trigger
 * on the table sends a relcache invalidation of it at commit, which every
 * backend's callback turns into a reload at the next walk.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "lineage/lineage_walk.h"

PG_FUNCTION_INFO_V1(dq_masking_functions_changed);

static Oid *declared = NULL;	/* sorted OIDs of dq.masking_functions */
static int	ndeclared = 0;
static bool declared_valid = false;
static Oid	declared_relid = InvalidOid;	/* dq.masking_functions */

/*
 * An invalidation of dq.masking_functions (or of everything) reloads it.
 * Called from the lineage hooks' relcache callback (lineage_hook.c): a
 * backend has only ten callback slots, and other extensions use them too.
 */
void
DqLinMaskingRelcache(Oid relid)
{
	if (relid == InvalidOid || relid == declared_relid)
		declared_valid = false;
}

/* Read dq.masking_functions into the sorted array. */
static void
DqMaskingLoad(void)
{
	Oid			nsp = get_namespace_oid("dq", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("masking_functions", nsp) : InvalidOid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	int			cap = 16;
	Oid		   *oids;
	int			n = 0;

	/* kept only where invalidations reach it (lineage_hook.c's callback) */
	declared_valid = dq_lin_relcache_registered;
	declared_relid = relid;
	ndeclared = 0;
	if (!OidIsValid(relid))
		return;
	oids = MemoryContextAlloc(TopMemoryContext, cap * sizeof(Oid));
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot() ? GetActiveSnapshot() : GetTransactionSnapshot(),
						   0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);

		if (isnull)
			continue;
		if (n == cap)
		{
			cap *= 2;
			oids = repalloc(oids, cap * sizeof(Oid));
		}
		oids[n++] = DatumGetObjectId(d);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	qsort(oids, n, sizeof(Oid), oid_cmp);
	if (declared != NULL)
		pfree(declared);
	declared = oids;
	ndeclared = n;
}

/* Is the function declared masking in dq.masking_functions? */
static bool
DqLinIsDeclaredMasking(Oid funcid)
{
	if (!declared_valid)
		DqMaskingLoad();
	return ndeclared > 0 &&
		bsearch(&funcid, declared, ndeclared, sizeof(Oid), oid_cmp) != NULL;
}

/* Does name appear in the NULL-terminated list? */
static bool
DqNameIn(const char *name, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* Functions that hide their input: hashes and digests (and count). */
bool
DqLinIsMaskingFunction(Oid funcid)
{
	static const char *const masking[] = {
		"md5", "sha224", "sha256", "sha384", "sha512", "digest", "hmac",
		"crypt", "hashtext", "hashtextextended", "hashint4", "hashint8",
		"count", NULL
	};
	char	   *name = get_func_name(funcid);

	if (name == NULL)
		return false;
	return DqNameIn(name, masking) || DqLinIsDeclaredMasking(funcid);
}

/*
 * Does an aggregate or window function hide its input values?  Built-in
 * ones do unless they return one of their inputs (or a collection of
 * them); other ones only when declared in dq.masking_functions.
 */
bool
DqLinAggregateMasks(Oid aggfnoid)
{
	static const char *const passing[] = {
		"min", "max", "string_agg", "array_agg", "json_agg", "jsonb_agg",
		"json_object_agg", "jsonb_object_agg", "mode", "percentile_disc",
		"xmlagg", "any_value", "first_value", "last_value", "nth_value",
		"lag", "lead", NULL
	};
	char	   *name = get_func_name(aggfnoid);

	if (name == NULL)
		return false;
	if (get_func_namespace(aggfnoid) == PG_CATALOG_NAMESPACE)
		return !DqNameIn(name, passing);
	return DqLinIsDeclaredMasking(aggfnoid);
}

/*
 * dq_internal.masking_functions_changed(): statement trigger on
 * dq.masking_functions; every backend reloads the list after the commit.
 */
Datum
dq_masking_functions_changed(PG_FUNCTION_ARGS)
{
	DqLinRequireTrigger(fcinfo, "dq_internal.masking_functions_changed",
						"It is called by the trigger masking_functions_changed of dq.masking_functions.");
	CacheInvalidateRelcache(((TriggerData *) fcinfo->context)->tg_relation);
	declared_valid = false;
	return PointerGetDatum(NULL);
}
