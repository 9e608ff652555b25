/*-------------------------------------------------------------------------
 *
 * ge_kinds.h
 *	  Great Expectations' kinds added for conformance (ge_kinds.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GE_KINDS_H
#define DQ_GE_KINDS_H

#include "postgres.h"

#include "expect/expectations.h"

extern bool DqCompileGeKind(const DqColumnSource *src, DqRule *r);
extern DqOutcome DqEvalGeKind(DqRule *r, Datum *values, bool *isnull);
extern char *DqZScoreSql(DqRule *r, const char *qualname, int partial_max);
extern char *DqUnexpectedRowsSql(DqRule *r);
extern Datum DqRunUnexpectedRows(DqRule *r, Oid owner, const char *column,
								 Jsonb *params, bool has_mostly);

#endif							/* DQ_GE_KINDS_H */
