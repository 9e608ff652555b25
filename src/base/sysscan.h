/*-------------------------------------------------------------------------
 *
 * sysscan.h
 *	  One system table scan that stops at the first matching row
 *	  (sysscan.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SYSSCAN_H
#define DQ_SYSSCAN_H

#include "postgres.h"

#include "access/htup.h"
#include "access/skey.h"
#include "access/tupdesc.h"

/*
 * Called on each row the scan returns; true stops the scan.  arg is the
 * caller's, for the answer.
 */
typedef bool (*DqSysScanRowFn) (HeapTuple tup, TupleDesc td, void *arg);

extern bool DqSysScanFind(Oid relid, Oid indexid, int nkeys, ScanKey keys,
						  DqSysScanRowFn fn, void *arg);

#endif							/* DQ_SYSSCAN_H */
