/*-------------------------------------------------------------------------
 *
 * kinds.c
 *	  The registry of expectation kinds: the tables of the kinds_*.c files
 *	  (one per way of evaluation), looking a kind up by name, and
 *	  dq.expectation_kinds, the catalogue as rows.
 *
 * A kind is one row of one of these tables, with the callbacks it names
 * (see DqKindDef in expectations.h and the list in kinds.h); nothing else
 * in the library lists kinds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "expect/expectations.h"
#include "expect/kinds.h"

PG_FUNCTION_INFO_V1(dq_expectation_kinds);

/* the tables, in the order dq.expectation_kinds lists them */
static const DqKindDef *const DqKindTables[] = {
	DqRowKinds,
	DqPatternKinds,
	DqParseKinds,
	DqAggregateKinds,
	DqMetadataKinds,
	DqGroupedKinds,
	DqQueryKinds,
	DqGovernanceKinds,
	NULL
};

/*
 * Look a kind up by name; ERROR with the closest name when unknown (the
 * first in registry order among equally close ones).
 */
const DqKindDef *
DqLookupKind(const char *name)
{
	const DqKindDef *best = NULL;
	int			bestdist = INT_MAX;

	for (int t = 0; DqKindTables[t] != NULL; t++)
		for (const DqKindDef *def = DqKindTables[t]; def->name != NULL; def++)
			if (strcmp(def->name, name) == 0)
				return def;
	for (int t = 0; DqKindTables[t] != NULL; t++)
	{
		for (const DqKindDef *def = DqKindTables[t]; def->name != NULL; def++)
		{
			int			d = varstr_levenshtein(name, strlen(name), def->name,
											   strlen(def->name), 1, 1, 1, true);

			if (d < bestdist)
			{
				bestdist = d;
				best = def;
			}
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized expectation kind \"%s\"", name),
			 best != NULL ? errhint("Did you mean \"%s\"?  SELECT * FROM dq.expectation_kinds lists them all.",
									best->name) : 0));
	return NULL;				/* keep compiler quiet */
}

/*
 * The scope dq.expectation_kinds shows: what a kind is about, in GE's
 * terms (column, column_pair, multicolumn, column_aggregate, table).
 */
static const char *
DqKindListedScope(const DqKindDef *def)
{
	bool		per_row = def->scope == DQ_SCOPE_MAP ||
		def->scope == DQ_SCOPE_GROUPED ||
		(def->flags & DQ_KIND_LISTED_AS_COLUMN) != 0;

	if (!per_row)
		return def->ncols == 1 ? "column_aggregate" : "table";
	return def->ncols == 1 ? "column" :
		def->ncols == 2 ? "column_pair" : "multicolumn";
}

/* A row of dq.expectation_kinds. */
static void
DqKindRow(ReturnSetInfo *rsinfo, const DqKindDef *def)
{
	Datum		values[5];
	bool		nulls[5] = {0};
	Datum	   *all;
	int			nparams = 0;

	while (def->params[nparams] != NULL)
		nparams++;
	all = palloc(sizeof(Datum) * Max(nparams, 1));
	for (int j = 0; j < nparams; j++)
		all[j] = CStringGetTextDatum(def->params[j]);
	values[0] = CStringGetTextDatum(def->name);
	values[1] = CStringGetTextDatum(DqKindListedScope(def));
	/* the required parameters come first */
	values[2] = PointerGetDatum(construct_array(all, def->nreq, TEXTOID, -1,
												false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(all, nparams, TEXTOID, -1,
												false, TYPALIGN_INT));
	values[4] = CStringGetTextDatum(def->description);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * dq.expectation_kinds(): the catalogue as rows.
 */
Datum
dq_expectation_kinds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int t = 0; DqKindTables[t] != NULL; t++)
		for (const DqKindDef *def = DqKindTables[t]; def->name != NULL; def++)
			DqKindRow(rsinfo, def);
	return (Datum) 0;
}
