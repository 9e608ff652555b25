/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL version test of dq_lineage lives here.
 *
 * dq_lineage is built and tested on PostgreSQL 15 only, and refuses other
 * majors at build time.  The guards below for 13, 14, 16 and 17 record
 * what is known to differ there; adding a major means testing it and
 * widening the check below, in this file only.  Other code calls the
 * helpers below instead of repeating PG_VERSION_NUM checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_COMPAT_H
#define DQ_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "dq_lineage is built and tested on PostgreSQL 15 only; set PG_CONFIG to a PostgreSQL 15 pg_config"
#endif

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* Reserve the GUC prefix; the function was renamed in 15. */
#if PG_VERSION_NUM >= 150000
#define DqMarkGUCPrefixReserved(prefix) MarkGUCPrefixReserved(prefix)
#else
#define DqMarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Logical decoding: the commit time of a decoded transaction (a field of
 * its own before 15) and the new/old tuple of a change (a HeapTuple from
 * 17 on, a tuple buffer before).
 */
#if PG_VERSION_NUM >= 150000
#define DqTxnCommitTime(txn) ((txn)->xact_time.commit_time)
#else
#define DqTxnCommitTime(txn) ((txn)->commit_time)
#endif
#if PG_VERSION_NUM >= 170000
#define DqChangeNewTuple(change) ((change)->data.tp.newtuple)
#define DqChangeOldTuple(change) ((change)->data.tp.oldtuple)
#else
#define DqChangeNewTuple(change) \
	((change)->data.tp.newtuple ? &(change)->data.tp.newtuple->tuple : NULL)
#define DqChangeOldTuple(change) \
	((change)->data.tp.oldtuple ? &(change)->data.tp.oldtuple->tuple : NULL)
#endif

/* The WAL flush position (a timeline argument from 15 on). */
#if PG_VERSION_NUM >= 150000
#define DqGetFlushRecPtr() GetFlushRecPtr(NULL)
#else
#define DqGetFlushRecPtr() GetFlushRecPtr()
#endif

/*
 * post_parse_analyze_hook: 14 added the JumbleState argument (its header
 * moved in 16).
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/queryjumblefuncs.h"
#elif PG_VERSION_NUM >= 140000
#include "utils/queryjumble.h"
#endif
#if PG_VERSION_NUM >= 140000
#define DQ_POST_PARSE_ANALYZE_PARAMS ParseState *pstate, Query *query, JumbleState *jstate
#define DQ_POST_PARSE_ANALYZE_ARGS pstate, query, jstate
#else
#define DQ_POST_PARSE_ANALYZE_PARAMS ParseState *pstate, Query *query
#define DQ_POST_PARSE_ANALYZE_ARGS pstate, query
#endif

/*
 * ProcessUtility_hook: 14 added the readOnlyTree argument.  A hook
 * declares its parameters with DQ_PROCESS_UTILITY_PARAMS and passes the
 * call on with DqNextProcessUtility(prev_hook, DQ_PROCESS_UTILITY_ARGS).
 */
#include "tcop/utility.h"
#if PG_VERSION_NUM >= 140000
#define DQ_PROCESS_UTILITY_PARAMS PlannedStmt *pstmt, const char *queryString, \
	bool readOnlyTree, ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define DQ_PROCESS_UTILITY_ARGS pstmt, queryString, readOnlyTree, context, \
	params, queryEnv, dest, qc
#else
#define DQ_PROCESS_UTILITY_PARAMS PlannedStmt *pstmt, const char *queryString, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define DQ_PROCESS_UTILITY_ARGS pstmt, queryString, context, params, \
	queryEnv, dest, qc
#endif

/* The next ProcessUtility: the hook saved as prev, or the standard one. */
static inline void
DqNextProcessUtility(ProcessUtility_hook_type prev, DQ_PROCESS_UTILITY_PARAMS)
{
	if (prev)
		prev(DQ_PROCESS_UTILITY_ARGS);
	else
		standard_ProcessUtility(DQ_PROCESS_UTILITY_ARGS);
}

/* 15 requests shared memory from shmem_request_hook, before from _PG_init. */
#define DQ_HAS_SHMEM_REQUEST_HOOK (PG_VERSION_NUM >= 150000)

#endif							/* DQ_COMPAT_H */
