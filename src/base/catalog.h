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

typedef struct DqOwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} DqOwnerContext;

extern Oid	DqExtensionOwner(void);
extern bool DqStmtDropsExtension(Node *stmt);
extern void DqBecomeExtensionOwner(DqOwnerContext *ctx);
extern void DqRestoreUser(DqOwnerContext *ctx);
extern void DqSetLocalGuc(const char *name, const char *value);
extern int	DqBeginStableOutput(void);
extern void DqEndStableOutput(int nestlevel);

#endif							/* DQ_CATALOG_H */
