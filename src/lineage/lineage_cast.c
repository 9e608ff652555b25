/*-------------------------------------------------------------------------
 *
 * lineage_cast.c
 *	  Whether a cast keeps the value it is given (a widening cast), for
 *	  the lineage walker; masking functions are in lineage_masking.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "utils/lsyscache.h"

#include "lineage/lineage_walk.h"

/*
 * Casts that keep every value: the result equals the input for every
 * input, only its type is wider.  Widening numeric casts (int2 -> int4 ->
 * int8 -> numeric, int2/int4 -> float8, int2 -> float4, float4 -> float8),
 * name -> text/varchar, date -> timestamp, and length coercions that do not
 * shorten (varchar(10) -> varchar(20), numeric(10,2) -> numeric(12,2),
 * timestamp(0) -> timestamp(3)), or that only check (an assignment to
 * varchar(n) or char(n) raises an error rather than cut).  Every other
 * cast (narrowing, rounding, to or from text, time-zone dependent) is a
 * TRANSFORMATION.  A binary-compatible cast (RelabelType) and a domain
 * check keep the value too; they are handled by the walker.
 */
bool
DqLinCastKeepsValue(Node *node)
{
	static const Oid widening[][2] = {
		{INT2OID, INT4OID}, {INT2OID, INT8OID}, {INT4OID, INT8OID},
		{INT2OID, NUMERICOID}, {INT4OID, NUMERICOID}, {INT8OID, NUMERICOID},
		{INT2OID, FLOAT4OID}, {INT2OID, FLOAT8OID}, {INT4OID, FLOAT8OID},
		{FLOAT4OID, FLOAT8OID}, {NAMEOID, TEXTOID}, {NAMEOID, VARCHAROID},
		{DATEOID, TIMESTAMPOID}
	};
	FuncExpr   *fe;
	Node	   *arg;
	Oid			from;
	Oid			to;
	int32		from_mod;
	int32		to_mod;

	if (node == NULL)
		return false;
	if (IsA(node, CaseTestExpr))
		return true;			/* an array coercion's element as it is */
	if (IsA(node, RelabelType))
		return IsA(((RelabelType *) node)->arg, CaseTestExpr) ||
			DqLinCastKeepsValue((Node *) ((RelabelType *) node)->arg);
	if (!IsA(node, FuncExpr))
		return false;
	fe = (FuncExpr *) node;
	if ((fe->funcformat != COERCE_IMPLICIT_CAST &&
		 fe->funcformat != COERCE_EXPLICIT_CAST) || fe->args == NIL)
		return false;
	arg = linitial(fe->args);
	from = exprType(arg);
	to = fe->funcresulttype;
	if (from != to)
	{
		if (list_length(fe->args) != 1)
			return false;
		for (int i = 0; i < lengthof(widening); i++)
			if (widening[i][0] == from && widening[i][1] == to)
				return true;
		return false;
	}

	/* a length coercion: the same type, another type modifier */
	if (list_length(fe->args) < 2 || !IsA(lsecond(fe->args), Const) ||
		((Const *) lsecond(fe->args))->constisnull)
		return false;
	to_mod = DatumGetInt32(((Const *) lsecond(fe->args))->constvalue);
	from_mod = exprTypmod(arg);
	if (to_mod < 0 || to_mod == from_mod)
		return true;
	switch (to)
	{
		case VARCHAROID:
		case BPCHAROID:
			/* widening, or an assignment: too long a value is an error */
			if (from_mod >= 0 && to_mod >= from_mod)
				return true;
			return fe->funcformat == COERCE_IMPLICIT_CAST &&
				list_length(fe->args) == 3 &&
				IsA(lthird(fe->args), Const) &&
				!DatumGetBool(((Const *) lthird(fe->args))->constvalue);
		case NUMERICOID:
			{
				int			fp,
							fs,
							tp,
							ts;

				if (from_mod < (int32) VARHDRSZ)
					return false;
				fp = ((from_mod - VARHDRSZ) >> 16) & 0xFFFF;
				fs = (from_mod - VARHDRSZ) & 0xFFFF;
				tp = ((to_mod - VARHDRSZ) >> 16) & 0xFFFF;
				ts = (to_mod - VARHDRSZ) & 0xFFFF;
				return ts >= fs && tp - ts >= fp - fs;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMEOID:
		case TIMETZOID:
			return from_mod >= 0 && to_mod >= from_mod;
		default:
			return false;
	}
}
