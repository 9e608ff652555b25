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

#include "nodes/pg_list.h"

typedef struct DqOwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} DqOwnerContext;

extern Oid	DqExtensionOwner(void);
extern void DqBecomeOwner(Oid roleid, DqOwnerContext *ctx);
extern void DqBecomeRelationOwner(Oid relid, DqOwnerContext *ctx);
extern void DqBecomeExtensionOwner(DqOwnerContext *ctx);
extern void DqRestoreUser(DqOwnerContext *ctx);
extern Oid	DqRelationOwner(Oid relid);
extern void DqPinSessionSearchPath(void);
extern void DqRunAsRole(Oid roleid, void (*fn) (void *arg), void *arg);
extern void DqCheckRoleCanSelect(Oid roleid, Oid relid, List *attnums,
								 bool whole_row, const char *why);
extern bool DqTypeCodeIsTrusted(Oid typid);
extern void DqCheckTypeMayRunAs(Oid typid, Oid chooser, Oid runner,
								const char *param);
extern void DqPinWorkerSession(void);
extern bool DqRoleCanBecomeSuperuser(Oid roleid);
extern bool DqFunctionIsBuiltin(Oid funcid);
extern bool DqTypeIsBuiltinOnly(Oid typid);

#endif							/* DQ_TRUST_H */
