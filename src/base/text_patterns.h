/*-------------------------------------------------------------------------
 *
 * text_patterns.h
 *	  Value-pattern classification of strings for the profiler.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_TEXT_PATTERNS_H
#define DQ_TEXT_PATTERNS_H

#include "postgres.h"

typedef enum DqPattern
{
	DQ_PAT_INTEGER = 0,
	DQ_PAT_DECIMAL,
	DQ_PAT_ISO_DATE,
	DQ_PAT_ISO_TIMESTAMP,
	DQ_PAT_UUID,
	DQ_PAT_EMAIL,
	DQ_PAT_URL,
	DQ_PAT_IPV4,
	DQ_PAT_UPPER,
	DQ_PAT_LOWER,
	DQ_NUM_PATTERNS
} DqPattern;

extern const char *const DqPatternNames[DQ_NUM_PATTERNS];

extern uint32 DqClassifyText(const char *s, int len, int32 *chars);
extern int32 DqCharLength(const char *s, int len);

#endif							/* DQ_TEXT_PATTERNS_H */
