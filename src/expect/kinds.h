/*-------------------------------------------------------------------------
 *
 * kinds.h
 *	  What the files of expectation kinds share: their tables, which the
 *	  registry (kinds.c) lists, and the helpers they compile parameters
 *	  with (params.c, compile.c).
 *
 * To add a kind, add its row to the table of the file of its way of
 * evaluation and write the callbacks the row names, in that file:
 *
 *	 kinds_row.c		row rules on comparable values: NULLs, ranges, sets,
 *						lengths, column pairs and lists
 *	 kinds_pattern.c	row rules on the text of values: regular
 *						expressions, LIKE patterns
 *	 kinds_parse.c		row rules on what values parse as: a type, JSON, a
 *						JSON Schema, a date, a strftime format
 *	 kinds_aggregate.c	statistics computed by dq.validate's one scan
 *	 kinds_metadata.c	the relation's shape and the columns' types
 *	 kinds_grouped.c	row counts from a query of their own
 *	 kinds_query.c		observed value and success from a query of their own
 *	 kinds_governance.c	who may read the data, from the catalog
 *	 ge_distribution.c	GE's distributional statistics of the one scan,
 *						which write their whole result expression
 *						(results: ge_distribution_result.c)
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_KINDS_H
#define DQ_KINDS_H

#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "utils/jsonb.h"

#include "expect/expectations.h"

/* the tables, each ended by a row whose name is NULL */
extern const DqKindDef DqRowKinds[];
extern const DqKindDef DqPatternKinds[];
extern const DqKindDef DqParseKinds[];
extern const DqKindDef DqAggregateKinds[];
extern const DqKindDef DqMetadataKinds[];
extern const DqKindDef DqGroupedKinds[];
extern const DqKindDef DqQueryKinds[];
extern const DqKindDef DqGovernanceKinds[];
extern const DqKindDef DqDistributionKinds[];

/* a NULL-terminated parameter list for a table row */
#define DQ_PARAMS(...) ((const char *const[]) {__VA_ARGS__, NULL})

/* params.c: reading parameters out of jsonb */
extern JsonbValue *DqParam(Jsonb *params, const char *key);
extern bool DqParamIsNull(JsonbValue *v);
extern char *DqParamText(const DqKindDef *def, const char *key, JsonbValue *v);
extern bool DqParamBool(const DqKindDef *def, Jsonb *params, const char *key,
						bool dflt);
extern int32 DqParamLength(const DqKindDef *def, Jsonb *params, const char *key);
extern int32 DqParamCount(DqRule *r, int example);
extern List *DqParamArray(const DqKindDef *def, Jsonb *params, const char *key,
						  bool required);
extern JsonbValue *DqParamNeeded(DqRule *r, const char *key,
								 enum jbvType type, const char *what,
								 const char *hint);
extern List *DqParamStrings(DqRule *r, JsonbContainer *arr, const char *key,
							const char *what, const char *hint);
extern char *DqRequiredText(DqRule *r, const char *key);
extern void DqCheckParamNames(const DqKindDef *def, Jsonb *params);
extern DqIgnoreRow DqParseIgnoreRow(const DqKindDef *def, Jsonb *params);
extern bool DqParseMatchAll(const DqKindDef *def, Jsonb *params);

/* compile.c: typed values, operators and comparisons of a rule */
extern Datum DqParamToType(DqRule *r, const char *str, Oid typid);
extern char *DqSqlLiteral(DqRule *r, const char *txt, Oid typid);
extern Datum DqSetElemToType(DqRule *r, int index, const char *txt);
extern char *DqSetLiteral(DqRule *r, int index, const char *txt);
extern char *DqSetArraySql(DqRule *r, List *items);
extern char *DqOperatorSql(Oid opid);
extern char *DqCompareOperator(DqRule *r, Oid typid, int16 strategy);
extern void DqRequireCmp(DqRule *r);
extern int	DqRuleCmpSlow(DqRule *r, Datum a, Datum b);
extern void DqSortDatums(DqRule *r, Datum *values, int n);
extern bool DqIsStringType(Oid typid);
extern void DqRequireString(DqRule *r, const char *why);
extern void DqRequireNumeric(DqRule *r, const char *why);
extern void DqKindNotApplicable(DqRule *r, int colno, const char *why);
extern int	DqFindColumn(const DqColumnSource *src, const char *name);

/*
 * Compare two values of the rule's first column (DqRequireCmp was called):
 * common by-value types inline, the others by their btree function.
 */
static inline int
DqRuleCmp(DqRule *r, Datum a, Datum b)
{
	switch (r->cmp_base)
	{
		case INT2OID:
			return (DatumGetInt16(a) > DatumGetInt16(b)) - (DatumGetInt16(a) < DatumGetInt16(b));
		case INT4OID:
		case DATEOID:
			return (DatumGetInt32(a) > DatumGetInt32(b)) - (DatumGetInt32(a) < DatumGetInt32(b));
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return (DatumGetInt64(a) > DatumGetInt64(b)) - (DatumGetInt64(a) < DatumGetInt64(b));
		default:
			return DqRuleCmpSlow(r, a, b);
	}
}

#endif							/* DQ_KINDS_H */
