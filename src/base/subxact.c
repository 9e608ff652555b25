/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Run a function in an internal subtransaction and keep its error
 *	  instead of raising it, so that one bad rule or row is recorded
 *	  against itself and does not stop a loop.
 *
 * Catching an error without a subtransaction is only sound when the code
 * that raised it holds no resources the abort of a subtransaction would
 * release: SPI connections, open relations, buffer pins, catalog cache
 * references, snapshots.  PostgreSQL's own input functions for its
 * built-in base types raise their data errors (SQLSTATE class 22) before
 * they hold any, which is why DqCatchDataError may catch those cheaply.
 * Anything else -- a domain's CHECK constraint calling PL/pgSQL, the input
 * function of a type another role created -- may be in the middle of an
 * SPI query when it fails; catching that without a subtransaction leaves
 * SPI's stack behind (the next query of the scan then fails with
 * "improper call to spi_printtup", or rows silently go uncounted).  Such
 * calls go through DqCatchDataErrorInSubxact, and DqTypeInputIsKnownSafe
 * tells which is which.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "base/subxact.h"

/*
 * Call fn(arg) in an internal subtransaction, in the caller's memory
 * context.  Returns NULL when it succeeded, else its error (a copy in the
 * caller's context, for the caller to keep, raise again or free); the
 * subtransaction is then rolled back.
 */
ErrorData *
DqRunInSubxact(DqSubxactFn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();
	return edata;
}

/*
 * DqRunInSubxact keeping only the error message: NULL when fn succeeded,
 * else the message (allocated in the caller's context).
 */
char *
DqRunProtected(DqSubxactFn fn, void *arg)
{
	ErrorData  *edata = DqRunInSubxact(fn, arg);
	char	   *error;

	if (edata == NULL)
		return NULL;
	error = pstrdup(edata->message);
	FreeErrorData(edata);
	return error;
}

/*
 * Call fn(arg) and catch a data error (SQLSTATE class 22) it raises,
 * without a subtransaction.  Only for code known to raise such errors
 * before it holds any resource: PostgreSQL's built-in input functions and
 * comparisons (see DqTypeInputIsKnownSafe); anything else goes through
 * DqCatchDataErrorInSubxact.  Returns NULL when it succeeded, else the
 * error message; any other error is raised again.
 */
char *
DqCatchDataError(DqSubxactFn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *volatile error = NULL;

	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		error = pstrdup(edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/*
 * Call fn(arg), which may run any code (PL/pgSQL in a domain's CHECK
 * constraint, another role's input function), in an internal
 * subtransaction, and catch the data errors (class 22) and integrity
 * violations (class 23: a domain's CHECK or NOT NULL constraint) it
 * raises: the subtransaction's abort releases whatever that code held.
 * Returns NULL when it succeeded, else the error message; any other error
 * is raised again once the subtransaction is rolled back.  Subtransactions
 * cannot start in parallel mode: callers run such evaluations in plans
 * without parallel workers.
 */
char *
DqCatchDataErrorInSubxact(DqSubxactFn fn, void *arg)
{
	ErrorData  *edata = DqRunInSubxact(fn, arg);
	int			category;
	char	   *error;

	if (edata == NULL)
		return NULL;
	category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
	if (category != ERRCODE_DATA_EXCEPTION &&
		category != ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION)
		ReThrowError(edata);
	error = pstrdup(edata->message);
	FreeErrorData(edata);
	return error;
}

/*
 * Is the input function of type typid known to raise its data errors
 * before it holds any resource, so that DqCatchDataError may catch them?
 * True for PostgreSQL's built-in base types (and their arrays) only:
 * domains run CHECK constraints, which may call any function; enums,
 * composites, ranges and the types of extensions or of other roles run
 * code this module cannot vouch for.
 */
bool
DqTypeInputIsKnownSafe(Oid typid)
{
	if (typid >= FirstGenbkiObjectId)
		return false;
	/* get_typtype: '\0' for a type that does not exist */
	return get_typtype(typid) == TYPTYPE_BASE;
}
