/*-------------------------------------------------------------------------
 *
 * trust.h
 *	  Whose rights the extension's own SQL and other roles' code run with;
 *	  the rule is written atop trust.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_TRUST_H
#define DQ_TRUST_H

#include "postgres.h"

typedef struct DqOwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} DqOwnerContext;

extern void DqBecomeOwner(Oid roleid, DqOwnerContext *ctx);
extern void DqBecomeRelationOwner(Oid relid, DqOwnerContext *ctx);
extern void DqBecomeExtensionOwner(DqOwnerContext *ctx);
extern void DqRestoreUser(DqOwnerContext *ctx);
extern Oid	DqRelationOwner(Oid relid);
extern void DqPinSessionSearchPath(void);
extern void DqPinWorkerSession(void);
extern bool DqRoleCanBecomeSuperuser(Oid roleid);
extern bool DqFunctionIsBuiltin(Oid funcid);
extern bool DqTypeIsBuiltinOnly(Oid typid);

#endif							/* DQ_TRUST_H */
