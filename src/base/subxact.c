/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Run a function in an internal subtransaction and keep its error
 *	  instead of raising it, so that one bad rule or row is recorded
 *	  against itself and does not stop a loop.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "base/subxact.h"

/*
 * Call fn(arg) in an internal subtransaction, in the caller's memory
 * context.  Returns NULL when it succeeded, else the error message
 * (allocated in the caller's context); the subtransaction is then rolled
 * back.
 */
char *
DqRunProtected(DqSubxactFn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile error = NULL;

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
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		error = pstrdup(edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/*
 * Call fn(arg) and catch a data error (SQLSTATE class 22) it raises,
 * without a subtransaction: for functions that raise such errors before
 * they touch any shared state (type input functions, comparisons).
 * Returns NULL when it succeeded, else the error message; any other error
 * is raised again.
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
