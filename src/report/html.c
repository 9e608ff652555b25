/*-------------------------------------------------------------------------
 *
 * html.c
 *	  Escaping and number formatting for the HTML report and the SVG
 *	  drawings.
 *
 * Everything the report prints that comes from the database (relation,
 * column and expectation names, values, JSON, messages) goes through
 * DqHtmlText or DqHtmlClip, which escape the five characters that matter
 * in text and in quoted attributes (& < > " ') and replace control
 * characters, which neither HTML nor XML allows, by U+FFFD.  The output is
 * therefore also well-formed XML, which the regression tests use to query
 * it with xpath().  Numbers are formatted by the functions below, never
 * from user text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"

#include "report/html.h"

#define DQ_REPLACEMENT_CHAR "\xEF\xBF\xBD"

/* The characters written as entities, and their entities, in that order. */
static const char DqHtmlSpecial[] = "&<>\"'";
static const char *const DqHtmlEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

/*
 * Append up to "maxbytes" bytes of s escaped (the caller cuts on a
 * character boundary).
 */
static void
DqHtmlAppendEscaped(StringInfo buf, const char *s, int maxbytes)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + maxbytes;

	while (p < end && *p)
	{
		const unsigned char *run = p;
		const char *special;

		/* copy the longest run of characters that need no escaping */
		while (p < end && *p && *p != '&' && *p != '<' && *p != '>' &&
			   *p != '"' && *p != '\'' && (*p >= 0x20 || *p == '\t' ||
											*p == '\n' || *p == '\r') &&
			   *p != 0x7f &&
			   !(p[0] == 0xEF && p + 2 < end && p[1] == 0xBF &&
				 (p[2] == 0xBE || p[2] == 0xBF)))
			p++;
		if (p > run)
			appendBinaryStringInfo(buf, (const char *) run, p - run);
		if (p >= end || !*p)
			break;
		special = strchr(DqHtmlSpecial, *p);
		if (special != NULL)
			appendStringInfoString(buf, DqHtmlEntities[special - DqHtmlSpecial]);
		else
		{
			/* a control character, or U+FFFE or U+FFFF (not XML characters) */
			if (*p == 0xEF)
				p += 2;
			appendStringInfoString(buf, DQ_REPLACEMENT_CHAR);
		}
		p++;
	}
}

/*
 * Append s as HTML text (also safe inside a double- or single-quoted
 * attribute value).  NULL appends nothing.
 */
void
DqHtmlText(StringInfo buf, const char *s)
{
	if (s == NULL)
		return;
	DqHtmlAppendEscaped(buf, s, strlen(s));
}

/* Characters (not bytes) in s, in the database encoding. */
int
DqHtmlCharCount(const char *s)
{
	return s ? pg_mbstrlen(s) : 0;
}

/*
 * Append at most "maxchars" characters of s, escaped, with an ellipsis
 * when it was cut.
 */
void
DqHtmlClip(StringInfo buf, const char *s, int maxchars)
{
	int			len;
	int			cut;

	if (s == NULL)
		return;
	len = strlen(s);
	cut = pg_mbcharcliplen(s, len, maxchars);
	DqHtmlAppendEscaped(buf, s, cut);
	if (cut < len)
		appendStringInfoString(buf, "\xE2\x80\xA6");	/* U+2026 */
}

/* A count with thousands separators: 1,234,567. */
void
DqHtmlCount(StringInfo buf, int64 v)
{
	char		digits[32];
	int			n;
	int			i;

	if (v < 0)
	{
		appendStringInfoChar(buf, '-');
		v = (v == PG_INT64_MIN) ? PG_INT64_MAX : -v;
	}
	n = snprintf(digits, sizeof(digits), INT64_FORMAT, v);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && (n - i) % 3 == 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, digits[i]);
	}
}

/* A measurement with up to 6 significant digits; "-" when not finite. */
void
DqHtmlFloat(StringInfo buf, double v)
{
	if (!isfinite(v))
		appendStringInfoString(buf, isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
	else
		appendStringInfo(buf, "%.6g", v);
}

/* A fraction as a percentage: 0.0311 -> 3.11%. */
void
DqHtmlPercent(StringInfo buf, double fraction)
{
	double		pct = fraction * 100.0;

	if (!isfinite(pct))
		appendStringInfoString(buf, "-");
	else if (pct == 0.0 || pct == 100.0)
		appendStringInfo(buf, "%.0f%%", pct);
	else if (fabs(pct) < 0.01)
		appendStringInfoString(buf, "&lt;0.01%");
	else if (fabs(pct) < 10.0)
		appendStringInfo(buf, "%.2f%%", pct);
	else
		appendStringInfo(buf, "%.1f%%", pct);
}

/* An SVG coordinate: one decimal, no "-0". */
void
DqHtmlCoord(StringInfo buf, double v)
{
	double		r = round(v * 10.0) / 10.0;

	if (!isfinite(r))
		r = 0.0;
	r += 0.0;					/* -0 becomes 0 */
	if (r == floor(r))
		appendStringInfo(buf, "%.0f", r);
	else
		appendStringInfo(buf, "%.1f", r);
}
