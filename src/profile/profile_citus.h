/*-------------------------------------------------------------------------
 *
 * profile_citus.h
 *	  dq.profile of a Citus distributed table, computed on the shards.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROFILE_CITUS_H
#define DQ_PROFILE_CITUS_H

#include "postgres.h"

#include "fmgr.h"

extern bool DqProfilePushdownType(Oid typid);
extern char *DqProfileCitusQuery(const char *qualname, int ncols, char **names,
								 Oid *typids, Oid *collations, int per_call,
								 const char *sample, bool exact,
								 const char *const *distinct_exprs,
								 FunctionCallInfo fcinfo);

#endif							/* DQ_PROFILE_CITUS_H */
