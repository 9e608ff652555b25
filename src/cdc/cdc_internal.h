/*-------------------------------------------------------------------------
 *
 * cdc_internal.h
 *	  What the files of change validation share among themselves: the
 *	  plugin's line types, broken rules, running a step in a subtransaction
 *	  and keeping its error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CDC_INTERNAL_H
#define DQ_CDC_INTERNAL_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/*
 * How the plugin's lines start (decoder.c).  "violation": a rule the
 * plugin checked failed.  "condition" and "deferred": a row the worker
 * checks (a custom SQL condition; a rule whose evaluation needs code that
 * is not built in).  "broken": a rule that cannot be compiled.
 */
#define DQ_CDC_LINE_CONDITION "{\"type\": \"condition\", "
#define DQ_CDC_LINE_DEFERRED "{\"type\": \"deferred\", "
#define DQ_CDC_LINE_BROKEN "{\"type\": \"broken\", "
#define DQ_CDC_LINE_VIOLATION "{\"type\": \"violation\", "

/* A rule found broken: recorded in dq.cdc_rule_errors and skipped. */
typedef struct DqCdcBroken
{
	int64		id;				/* the expectation */
	Oid			relid;			/* the changed relation */
	XLogRecPtr	lsn;			/* commit LSN of the change, or invalid */
	char		sqlstate[6];
	char	   *message;
} DqCdcBroken;

/*
 * The error of a step run in a subtransaction (DqRunInSubxact): transient
 * (retry the batch) or about the data (skip the row).
 */
extern bool DqCdcErrorIsTransient(int sqlerrcode);
extern bool DqCdcErrorIsData(int sqlerrcode);

/* cdc_eval.c: rows the worker checks itself */
extern int64 DqCdcLineExpectation(const char *line);
extern XLogRecPtr DqCdcLineLsn(const char *line);
extern Oid	DqCdcLineRelid(const char *line);
extern List *DqCdcCheckConditions(List *lines, List **broken);
extern List *DqCdcCheckDeferred(List *lines, List **broken);
extern List *DqCdcBrokenFromLines(List *lines);

/* cdc_record.c: what a pass writes */
extern int64 DqCdcInsert(List *lines, XLogRecPtr processed, bool row_images);
extern void DqCdcRecordBroken(List *broken);
extern void DqCdcRecordActivity(List *activity);
extern void DqCdcLoadSkipped(void);

/* decoder.c, shared with the worker */
extern Jsonb *DqCdcParamsWithNames(Oid relid, Jsonb *params, ArrayType *attnums,
								   bool pair);

#endif							/* DQ_CDC_INTERNAL_H */
