/*-------------------------------------------------------------------------
 *
 * html.h
 *	  Writing HTML and SVG text safely: every value goes through an
 *	  escaping function.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_HTML_H
#define DQ_HTML_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* Longest value printed in a table cell or label, in characters. */
#define DQ_HTML_CLIP 120

extern void DqHtmlText(StringInfo buf, const char *s);
extern void DqHtmlClip(StringInfo buf, const char *s, int maxchars);
extern int	DqHtmlCharCount(const char *s);
extern void DqHtmlCount(StringInfo buf, int64 v);
extern void DqHtmlFloat(StringInfo buf, double v);
extern void DqHtmlPercent(StringInfo buf, double fraction);
extern void DqHtmlCoord(StringInfo buf, double v);

#endif							/* DQ_HTML_H */
