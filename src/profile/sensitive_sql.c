/*-------------------------------------------------------------------------
 *
 * sensitive_sql.c
 *	  dq.detect_sensitive(text): the detectors of sensitive.c on one value,
 *	  for checking a value by hand and for the tests.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "profile/sensitive.h"

PG_FUNCTION_INFO_V1(dq_detect_sensitive_value);

/*
 * The names of the detectors that accept the value as a whole, then
 * "in_text:<kind>" for each kind found inside free text.  The value is the
 * caller's own: nothing is stored or logged.
 */
Datum
dq_detect_sensitive_value(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	uint32		mask = DqDetectSensitive(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 0);
	Datum		names[DQ_NUM_SENSITIVE + DQ_NUM_SENSITIVE_IN_TEXT];
	int			n = 0;

	for (int i = 0; i < DQ_NUM_SENSITIVE; i++)
		if (mask & (1u << i))
			names[n++] = CStringGetTextDatum(DqSensitiveNames[i]);
	for (int i = 0; i < DQ_NUM_SENSITIVE_IN_TEXT; i++)
		if (mask & (1u << (DQ_SENS_IN_SHIFT + i)))
			names[n++] = CStringGetTextDatum(psprintf("in_text:%s",
													  DqSensitiveInTextNames[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false,
										  TYPALIGN_INT));
}
