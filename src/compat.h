/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL version test of dq_lineage lives here.
 *
 * The tested target is PostgreSQL 15.  Other code calls the helpers below
 * instead of repeating PG_VERSION_NUM checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_COMPAT_H
#define DQ_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "dq_lineage requires PostgreSQL 13 or later"
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

#endif							/* DQ_COMPAT_H */
