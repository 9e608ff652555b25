/*-------------------------------------------------------------------------
 *
 * utility_hook.h
 *	  The library's one ProcessUtility hook.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_UTILITY_HOOK_H
#define DQ_UTILITY_HOOK_H

extern void DqUtilityHookInit(void);

#endif							/* DQ_UTILITY_HOOK_H */
