/*-------------------------------------------------------------------------
 *
 * run.c
 *	  Running the own query of a grouped or query kind (DqKindDef.query)
 *	  and turning what it returns into counts or a result.
 *
 * The caller has become the role the rule runs as (DqCompileRuleFor); the
 * queries have no row limit, which would disable parallel query.  Values
 * are copied to the caller's memory context before SPI_finish.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/jsonb.h"

#include "base/spi_util.h"
#include "expect/expectations.h"

/*
 * Run the query of a grouped kind (uniqueness) and fill cs with its
 * counts; the values are copied to the caller's context.
 */
void
DqRunGrouped(DqRule *r, const char *qualname, DqCheckState *cs)
{
	char	   *q = DqGroupedSql(r, qualname,
								 cs->format == DQ_RF_COMPLETE ? DQ_COMPLETE_MAX : cs->partial_max);
	MemoryContext callercxt = CurrentMemoryContext;
	bool		isnull;
	Jsonb	   *counts;

	DqSpiConnect();
	DqSpiRunOneRow(q, 0, NULL, NULL, NULL, false, SPI_OK_SELECT,
				   "run the query of the expectation");
	counts = DatumGetJsonbP(DqSpiCopyValue(0, 1, callercxt, &isnull));
	SPI_finish();
	DqCountsFromJsonb(&counts->root, cs);
}

/*
 * The result of a query kind: run by the kind itself (DqKindDef.run), or
 * from its query's {"observed_value", "success"}, built in the caller's
 * memory context.
 */
Datum
DqRunQueryKind(DqRule *r, const char *qualname, const char *column,
			   Jsonb *params, bool has_mostly)
{
	MemoryContext callercxt = CurrentMemoryContext;
	bool		isnull;
	Jsonb	   *agg;

	if (r->def->run != NULL)
		return r->def->run(r, column, params, has_mostly);
	DqSpiConnect();
	DqSpiRunOneRow(DqQuerySql(r, qualname), 0, NULL, NULL, NULL, false,
				   SPI_OK_SELECT, "run the query of the expectation");
	agg = DatumGetJsonbP(DqSpiCopyValue(0, 1, callercxt, &isnull));
	SPI_finish();
	return DqAggregateFromJsonb(r, column, params, has_mostly, agg);
}
