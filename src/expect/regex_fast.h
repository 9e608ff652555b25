/*-------------------------------------------------------------------------
 *
 * regex_fast.h
 *	  A deterministic byte automaton for the simple regular expressions of
 *	  the regex expectation kinds, used instead of PostgreSQL's engine
 *	  where it is certain to give the same answer.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_REGEX_FAST_H
#define DQ_REGEX_FAST_H

#include "postgres.h"

typedef struct DqRegexFast DqRegexFast;

/* outcome of DqRegexFastMatch */
#define DQ_RX_NO_MATCH		0
#define DQ_RX_MATCH			1
#define DQ_RX_UNKNOWN		(-1)	/* a non-ASCII byte: ask PostgreSQL */

extern DqRegexFast *DqRegexFastCompile(const char *pattern, int len,
									   Oid collation, const char **reason);
extern int	DqRegexFastNStates(const DqRegexFast *fa);
extern int	DqRegexFastMatch(const DqRegexFast *fa, const char *s, int len);

#endif							/* DQ_REGEX_FAST_H */
