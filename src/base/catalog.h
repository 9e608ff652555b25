/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Access to dq_lineage's own catalog tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CATALOG_H
#define DQ_CATALOG_H

#include "postgres.h"

#include "nodes/nodes.h"

#include "base/trust.h"

extern bool DqStmtDropsExtension(Node *stmt);
extern void DqSetLocalGuc(const char *name, const char *value);
extern int	DqBeginStableOutput(void);
extern void DqEndStableOutput(int nestlevel);

#endif							/* DQ_CATALOG_H */
