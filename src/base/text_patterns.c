/*-------------------------------------------------------------------------
 *
 * text_patterns.c
 *	  Recognise common value shapes in strings, without regular expressions.
 *
 * Each recognizer is a hand-written scanner over the bytes: the profiler
 * runs all of them on every non-NULL string, so they must cost a few
 * nanoseconds for the short values that make up most columns.  A value
 * may match several patterns (for instance "42" is integer-like only, but
 * "ABC" is all-upper).  Definitions (documented in docs/profiling.md):
 *
 *	integer        [+-]?[0-9]+
 *	decimal        [+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?
 *	               with a decimal point or an exponent (integers excluded)
 *	iso_date       YYYY-MM-DD, month 01-12, day 01-31
 *	iso_timestamp  YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|(+|-)HH[[:]MM]]
 *	uuid           8-4-4-4-12 hexadecimal digits
 *	email          local@domain.tld, local of [A-Za-z0-9._%+-], domain
 *	               labels of [A-Za-z0-9-], a top-level domain of 2+ letters
 *	url            (http|https|ftp)://host[...], no blanks
 *	ipv4           four dot-separated decimal octets 0-255
 *	upper / lower  at least one ASCII letter and no letter of the other case
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"

#include "base/simd.h"

#include "base/text_patterns.h"
#include "base/typeinfo.h"

const char *const DqPatternNames[DQ_NUM_PATTERNS] = {
	"integer", "decimal", "iso_date", "iso_timestamp", "uuid",
	"email", "url", "ipv4", "upper", "lower"
};

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_HEX(c)	(IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

/* Count consecutive digits from position i. */
static inline int
DqDigits(const char *s, int len, int i)
{
	int			n = 0;

	while (i + n < len && IS_DIGIT(s[i + n]))
		n++;
	return n;
}

/* Two-digit number at s[i], or -1. */
static inline int
DqTwoDigits(const char *s, int len, int i)
{
	if (i + 2 > len || !IS_DIGIT(s[i]) || !IS_DIGIT(s[i + 1]))
		return -1;
	return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

/* Numbers: sets integer or decimal bits. */
static uint32
DqMatchNumber(const char *s, int len)
{
	int			i = 0;
	int			intdigits;
	int			fracdigits = 0;
	bool		point = false;
	bool		exponent = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	intdigits = DqDigits(s, len, i);
	i += intdigits;
	if (i < len && s[i] == '.')
	{
		point = true;
		i++;
		fracdigits = DqDigits(s, len, i);
		i += fracdigits;
	}
	if (intdigits + fracdigits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		int			expdigits;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		expdigits = DqDigits(s, len, i);
		if (expdigits == 0)
			return 0;
		i += expdigits;
		exponent = true;
	}
	if (i != len)
		return 0;
	if (!point && !exponent)
		return 1 << DQ_PAT_INTEGER;
	return 1 << DQ_PAT_DECIMAL;
}

/* YYYY-MM-DD at the start; returns its length (10) or 0. */
static int
DqMatchDatePart(const char *s, int len)
{
	int			month;
	int			day;

	if (len < 10 || DqDigits(s, len, 0) != 4 || s[4] != '-' || s[7] != '-')
		return 0;
	month = DqTwoDigits(s, len, 5);
	day = DqTwoDigits(s, len, 8);
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return 0;
	return 10;
}

static uint32
DqMatchDateTime(const char *s, int len)
{
	int			i;
	int			hh;
	int			mi;

	if (DqMatchDatePart(s, len) == 0)
		return 0;
	if (len == 10)
		return 1 << DQ_PAT_ISO_DATE;
	i = 10;
	if (s[i] != 'T' && s[i] != ' ')
		return 0;
	i++;
	hh = DqTwoDigits(s, len, i);
	if (hh < 0 || hh > 24 || i + 2 >= len || s[i + 2] != ':')
		return 0;
	mi = DqTwoDigits(s, len, i + 3);
	if (mi < 0 || mi > 59)
		return 0;
	i += 5;
	if (i < len && s[i] == ':')
	{
		int			ss = DqTwoDigits(s, len, i + 1);

		if (ss < 0 || ss > 60)
			return 0;
		i += 3;
		if (i < len && s[i] == '.')
		{
			int			nfrac = DqDigits(s, len, i + 1);

			if (nfrac == 0)
				return 0;
			i += 1 + nfrac;
		}
	}
	if (i < len && s[i] == 'Z')
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-'))
	{
		if (DqTwoDigits(s, len, i + 1) < 0)
			return 0;
		i += 3;
		if (i < len && s[i] == ':')
			i++;
		if (i < len)
		{
			if (DqTwoDigits(s, len, i) < 0)
				return 0;
			i += 2;
		}
	}
	return (i == len) ? (1 << DQ_PAT_ISO_TIMESTAMP) : 0;
}

static uint32
DqMatchEmail(const char *s, int len, int at)
{
	int			i;
	int			lastdot = -1;
	int			labellen = 0;

	if (at <= 0 || at >= len - 1)
		return 0;
	for (i = 0; i < at; i++)
	{
		char		c = s[i];

		if (!(IS_ALPHA(c) || IS_DIGIT(c) || c == '.' || c == '_' ||
			  c == '%' || c == '+' || c == '-'))
			return 0;
	}
	for (i = at + 1; i < len; i++)
	{
		char		c = s[i];

		if (c == '.')
		{
			if (labellen == 0)
				return 0;
			lastdot = i;
			labellen = 0;
		}
		else if (IS_ALPHA(c) || IS_DIGIT(c) || c == '-')
			labellen++;
		else
			return 0;
	}
	if (lastdot < 0 || len - lastdot - 1 < 2)
		return 0;
	for (i = lastdot + 1; i < len; i++)
		if (!IS_ALPHA(s[i]))
			return 0;
	return 1 << DQ_PAT_EMAIL;
}

static uint32
DqMatchUrl(const char *s, int len)
{
	int			i;

	if (len > 7 && memcmp(s, "http://", 7) == 0)
		i = 7;
	else if (len > 8 && memcmp(s, "https://", 8) == 0)
		i = 8;
	else if (len > 6 && memcmp(s, "ftp://", 6) == 0)
		i = 6;
	else
		return 0;
	if (!(IS_ALPHA(s[i]) || IS_DIGIT(s[i]) || s[i] == '['))
		return 0;
	for (; i < len; i++)
		if ((unsigned char) s[i] <= ' ')
			return 0;
	return 1 << DQ_PAT_URL;
}

static uint32
DqMatchIpv4(const char *s, int len)
{
	int			i = 0;
	int			octet;

	for (octet = 0; octet < 4; octet++)
	{
		int			n = DqDigits(s, len, i);
		int			v = 0;
		int			j;

		if (n < 1 || n > 3)
			return 0;
		for (j = 0; j < n; j++)
			v = v * 10 + (s[i + j] - '0');
		if (v > 255)
			return 0;
		i += n;
		if (octet < 3)
		{
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return (i == len) ? (1 << DQ_PAT_IPV4) : 0;
}

/*
 * What one pass over a string's bytes tells the classifier.
 */
#define DQ_SCAN_LOWER	0x01	/* a lowercase ASCII letter */
#define DQ_SCAN_UPPER	0x02	/* an uppercase ASCII letter */
#define DQ_SCAN_OTHER	0x04	/* a letter other than e and E: no number */
#define DQ_SCAN_AT		0x08	/* an '@' */
#define DQ_SCAN_HIGH	0x10	/* a byte >= 0x80: not plain ASCII */

#define DQ_ONES		UINT64CONST(0x0101010101010101)

/*
 * A word made of bytes of s only (1 <= len <= 8), some of them repeated:
 * the scans below OR facts about bytes, so repeating one changes nothing,
 * and there is no byte loop or variable-length copy.
 */
static inline uint64
DqLoadShort(const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	uint64		w;

	if (len == 8)
		return DqLoad64(s);
	if (len >= 4)
		return DqLoad32(s) | ((uint64) DqLoad32(s + len - 4) << 32);
	w = p[0] | (p[len >> 1] << 8) | (p[len - 1] << 16) | ((uint32) p[0] << 24);
	return w | (w << 32);
}

#ifdef DQ_USE_SSE2

/*
 * SSE2 (every x86-64 CPU): sixteen bytes per step.  Signed byte compares
 * are enough, since every bound is ASCII and bytes >= 0x80 compare below
 * all of them.
 */
#define DQ_IN_RANGE(v, lo, hi) \
	_mm_and_si128(_mm_cmpgt_epi8((v), _mm_set1_epi8((lo) - 1)), \
				  _mm_cmpgt_epi8(_mm_set1_epi8((hi) + 1), (v)))

static int
DqScanBytes(const char *s, int len)
{
	__m128i		lower = _mm_setzero_si128();
	__m128i		upper = _mm_setzero_si128();
	__m128i		other = _mm_setzero_si128();
	__m128i		at = _mm_setzero_si128();
	__m128i		high = _mm_setzero_si128();
	int			i = 0;
	int			r;

	for (;;)
	{
		__m128i		v;
		__m128i		lo;
		__m128i		up;
		__m128i		isE;

		if (len >= 16)
			v = _mm_loadu_si128((const __m128i *) (s + Min(i, len - 16)));
		else if (len > 8)
			v = _mm_set_epi64x((int64) DqLoad64(s + len - 8), (int64) DqLoad64(s));
		else
			v = _mm_set1_epi64x((int64) DqLoadShort(s, len));
		lo = DQ_IN_RANGE(v, 'a', 'z');
		up = DQ_IN_RANGE(v, 'A', 'Z');
		isE = _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('e'));
		lower = _mm_or_si128(lower, lo);
		upper = _mm_or_si128(upper, up);
		other = _mm_or_si128(other, _mm_andnot_si128(isE, _mm_or_si128(lo, up)));
		at = _mm_or_si128(at, _mm_cmpeq_epi8(v, _mm_set1_epi8('@')));
		high = _mm_or_si128(high, v);
		/* the last step overlaps the one before instead of a byte loop */
		i += 16;
		if (i >= len)
			break;
	}
	r = (_mm_movemask_epi8(lower) ? DQ_SCAN_LOWER : 0) |
		(_mm_movemask_epi8(upper) ? DQ_SCAN_UPPER : 0) |
		(_mm_movemask_epi8(other) ? DQ_SCAN_OTHER : 0) |
		(_mm_movemask_epi8(at) ? DQ_SCAN_AT : 0) |
		(_mm_movemask_epi8(high) ? DQ_SCAN_HIGH : 0);
	return r;
}

/* Hex digits of a 16-byte block as a bit mask. */
static inline int
DqHexMask(__m128i v)
{
	__m128i		folded = _mm_or_si128(v, _mm_set1_epi8(0x20));

	return _mm_movemask_epi8(_mm_or_si128(DQ_IN_RANGE(v, '0', '9'),
										  DQ_IN_RANGE(folded, 'a', 'f')));
}

/* Is s (36 bytes) 8-4-4-4-12 hex digits?  Blocks at 0, 16 and 20. */
static bool
DqIsUuid(const char *s)
{
	static const int dashbits[3] = {(1 << 8) | (1 << 13), (1 << 2) | (1 << 7), 1 << 3};
	static const int offsets[3] = {0, 16, 20};
	int			k;

	for (k = 0; k < 3; k++)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) (s + offsets[k]));
		int			dash = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')));

		if (dash != dashbits[k] || (dash | DqHexMask(v)) != 0xFFFF)
			return false;
	}
	return true;
}

#else							/* !DQ_USE_SSE2 */

/*
 * Any byte of w strictly between m and n (m, n <= 128)?  Bytes with the
 * high bit set never match.  ("Determine if a word has a byte between m
 * and n", Bit Twiddling Hacks.)
 */
#define DQ_HAS_BETWEEN(x, m, n) \
	(((DQ_ONES * (127 + (n)) - ((x) & DQ_ONES * 127)) & ~(x) & \
	  (((x) & DQ_ONES * 127) + DQ_ONES * (127 - (m)))) & DQ_ONES * 128)
#define DQ_HAS_ZERO(x)	(((x) - DQ_ONES) & ~(x) & DQ_ONES * 128)

/* DqScanBytes' facts about one word */
static inline int
DqScanWord(uint64 w)
{
	int			r = 0;

	if (DQ_HAS_BETWEEN(w, 0x60, 0x7B))
	{
		r |= DQ_SCAN_LOWER;
		if (DQ_HAS_BETWEEN(w, 0x60, 0x65) || DQ_HAS_BETWEEN(w, 0x65, 0x7B))
			r |= DQ_SCAN_OTHER;
	}
	if (DQ_HAS_BETWEEN(w, 0x40, 0x5B))
	{
		r |= DQ_SCAN_UPPER;
		if (DQ_HAS_BETWEEN(w, 0x40, 0x45) || DQ_HAS_BETWEEN(w, 0x45, 0x5B))
			r |= DQ_SCAN_OTHER;
	}
	if (DQ_HAS_ZERO(w ^ (DQ_ONES * '@')))
		r |= DQ_SCAN_AT;
	if (w & (DQ_ONES * 128))
		r |= DQ_SCAN_HIGH;
	return r;
}

/* Eight bytes per step; the last word overlaps the one before. */
static int
DqScanBytes(const char *s, int len)
{
	int			r = 0;
	int			i;

	if (len < 8)
		return DqScanWord(DqLoadShort(s, len));
	for (i = 0; i < len; i += 8)
		r |= DqScanWord(DqLoad64(s + Min(i, len - 8)));
	return r;
}

static bool
DqIsUuid(const char *s)
{
	int			i;

	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!IS_HEX(s[i]))
			return false;
	}
	return true;
}

#endif							/* DQ_USE_SSE2 */

/*
 * Classify one string; returns a bit mask of DqPattern values and sets
 * *chars to its length in characters.  One pass over the bytes
 * (DqScanBytes) tells the letter cases, whether an '@' occurs and whether
 * the string is plain ASCII (then its length in characters is its length
 * in bytes); every recognizer is gated by that or by a test on the length
 * or the first bytes, so that a long free-text value costs about one pass.
 */
uint32
DqClassifyText(const char *s, int len, int32 *chars)
{
	uint32		mask = 0;
	int			scan;
	char		c0;

	if (len == 0)
	{
		*chars = 0;
		return 0;
	}
	scan = DqScanBytes(s, len);
	*chars = (scan & DQ_SCAN_HIGH) ? DqCharLength(s, len) : len;
	if ((scan & (DQ_SCAN_LOWER | DQ_SCAN_UPPER)) == DQ_SCAN_LOWER)
		mask |= 1 << DQ_PAT_LOWER;
	else if ((scan & (DQ_SCAN_LOWER | DQ_SCAN_UPPER)) == DQ_SCAN_UPPER)
		mask |= 1 << DQ_PAT_UPPER;

	c0 = s[0];
	if (IS_DIGIT(c0) || c0 == '+' || c0 == '-' || c0 == '.')
	{
		/* numbers and addresses hold no letter but an exponent's e */
		if ((scan & DQ_SCAN_OTHER) == 0)
			mask |= DqMatchNumber(s, len);
		if (len >= 10 && s[4] == '-' && IS_DIGIT(c0))
			mask |= DqMatchDateTime(s, len);
		if (len >= 7 && len <= 15 && IS_DIGIT(c0) && (scan & DQ_SCAN_OTHER) == 0)
			mask |= DqMatchIpv4(s, len);
	}
	if (len == 36 && s[8] == '-' && DqIsUuid(s))
		mask |= 1 << DQ_PAT_UUID;
	if (len > 7 && (c0 == 'h' || c0 == 'f'))
		mask |= DqMatchUrl(s, len);
	if (len >= 5 && (scan & DQ_SCAN_AT))
	{
		const char *at = memchr(s, '@', len);

		mask |= DqMatchEmail(s, len, (int) (at - s));
	}
	return mask;
}

/* Number of characters in a string of the database encoding. */
int32
DqCharLength(const char *s, int len)
{
	/* the database encoding: 0 not yet known, 1 single-byte, 2 UTF-8, 3 other */
	static int	kind = 0;

	if (unlikely(kind == 0))
		kind = pg_database_encoding_max_length() == 1 ? 1 :
			GetDatabaseEncoding() == PG_UTF8 ? 2 : 3;
	if (kind == 1)
		return len;
	if (kind == 2)
	{
		/*
		 * characters = bytes - continuation bytes (10xxxxxx), 8 at a time;
		 * the last 1 to 7 bytes of a longer string are the end of a word
		 * that overlaps the one before, the bytes read twice masked off
		 */
		int32		cont = 0;
		int			i = 0;
		uint64		w;

		if (len < 8)
		{
			for (; i < len; i++)
				cont += ((unsigned char) s[i] & 0xC0) == 0x80;
			return len - cont;
		}
		for (; i + 8 <= len; i += 8)
		{
			w = DqLoad64(s + i);
			if ((w & (DQ_ONES * 128)) != 0)
				cont += pg_popcount64(w & ~(w << 1) & (DQ_ONES * 128));
		}
		if (i < len)
		{
			int			rest = len - i;

			w = DqLoad64(s + len - 8);
#ifdef WORDS_BIGENDIAN
			w &= (UINT64CONST(1) << (8 * rest)) - 1;
#else
			w >>= 8 * (8 - rest);
#endif
			if ((w & (DQ_ONES * 128)) != 0)
				cont += pg_popcount64(w & ~(w << 1) & (DQ_ONES * 128));
		}
		return len - cont;
	}
	return pg_mbstrlen_with_len(s, len);
}

