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

#include "text_patterns.h"

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

static uint8 DqHexTable[256];
static bool DqHexTableReady = false;

static uint32
DqMatchUuid(const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const uint8 *hx = DqHexTable;
	uint8		ok;

	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return 0;
	if (unlikely(!DqHexTableReady))
	{
		int			i;

		for (i = 0; i < 256; i++)
			DqHexTable[i] = IS_HEX(i) ? 1 : 0;
		DqHexTableReady = true;
	}
	/* branch-free, unrolled: AND the hex flags of the 32 digit positions */
#define H4(k) (hx[p[(k)]] & hx[p[(k) + 1]] & hx[p[(k) + 2]] & hx[p[(k) + 3]])
	ok = H4(0) & H4(4) & H4(9) & H4(14) & H4(19) & H4(24) & H4(28) & H4(32);
#undef H4
	return ok ? (1 << DQ_PAT_UUID) : 0;
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
 * Any byte of w strictly between m and n (m, n <= 128)?  Bytes with the
 * high bit set never match.  ("Determine if a word has a byte between m
 * and n", Bit Twiddling Hacks.)
 */
#define DQ_ONES		UINT64CONST(0x0101010101010101)
#define DQ_HAS_BETWEEN(x, m, n) \
	(((DQ_ONES * (127 + (n)) - ((x) & DQ_ONES * 127)) & ~(x) & \
	  (((x) & DQ_ONES * 127) + DQ_ONES * (127 - (m)))) & DQ_ONES * 128)

/*
 * Letters in one word: bit 0 a lowercase ASCII letter, bit 1 an uppercase
 * one, bit 2 a letter other than e and E (no number can contain it).
 */
static inline int
DqWordLetters(uint64 w)
{
	int			lower = DQ_HAS_BETWEEN(w, 0x60, 0x7B) ? 1 : 0;
	int			upper = DQ_HAS_BETWEEN(w, 0x40, 0x5B) ? 2 : 0;
	int			other = 0;

	if ((lower &&
		 (DQ_HAS_BETWEEN(w, 0x60, 0x65) || DQ_HAS_BETWEEN(w, 0x65, 0x7B))) ||
		(upper &&
		 (DQ_HAS_BETWEEN(w, 0x40, 0x45) || DQ_HAS_BETWEEN(w, 0x45, 0x5B))))
		other = 4;
	return lower | upper | other;
}

/*
 * Which ASCII letters occur in s (DqWordLetters' bits).  Eight bytes at a
 * time; stops as soon as all three were seen.
 */
static int
DqLetterCases(const char *s, int len)
{
	int			cases = 0;
	int			i = 0;
	uint64		w;

	if (len < 8)
	{
		/* one zero-padded word */
		w = 0;
		memcpy(&w, s, len);
		return DqWordLetters(w);
	}
	for (;;)
	{
		/* the last word overlaps the previous one instead of a byte loop */
		if (i + 8 > len)
			i = len - 8;
		memcpy(&w, s + i, sizeof(w));
		cases |= DqWordLetters(w);
		if (cases == 7 || i + 8 >= len)
			return cases;
		i += 8;
	}
}

/*
 * Classify one string; returns a bit mask of DqPattern values.  Every
 * recognizer is gated by a test on the length or the first bytes, so
 * that a long free-text value costs one letter-case pass and a memchr.
 */
uint32
DqClassifyText(const char *s, int len)
{
	uint32		mask = 0;
	int			cases;
	char		c0;

	if (len == 0)
		return 0;
	cases = DqLetterCases(s, len);
	if ((cases & 3) == 1)
		mask |= 1 << DQ_PAT_LOWER;
	else if ((cases & 3) == 2)
		mask |= 1 << DQ_PAT_UPPER;

	c0 = s[0];
	if (IS_DIGIT(c0) || c0 == '+' || c0 == '-' || c0 == '.')
	{
		/* numbers and addresses hold no letter but an exponent's e */
		if ((cases & 4) == 0)
			mask |= DqMatchNumber(s, len);
		if (len >= 10 && s[4] == '-' && IS_DIGIT(c0))
			mask |= DqMatchDateTime(s, len);
		if (len >= 7 && len <= 15 && IS_DIGIT(c0) && (cases & 4) == 0)
			mask |= DqMatchIpv4(s, len);
	}
	if (len == 36 && s[8] == '-')
		mask |= DqMatchUuid(s, len);
	if (len > 7 && (c0 == 'h' || c0 == 'f'))
		mask |= DqMatchUrl(s, len);
	if (len >= 5)
	{
		const char *at = memchr(s, '@', len);

		if (at != NULL)
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
		/* characters = bytes - continuation bytes (10xxxxxx), 8 at a time */
		int32		cont = 0;
		int			i = 0;

		for (; i + 8 <= len; i += 8)
		{
			uint64		w;

			memcpy(&w, s + i, sizeof(w));
			if ((w & UINT64CONST(0x8080808080808080)) != 0)
				cont += pg_popcount64(w & ~(w << 1) & UINT64CONST(0x8080808080808080));
		}
		for (; i < len; i++)
			cont += ((unsigned char) s[i] & 0xC0) == 0x80;
		return len - cont;
	}
	return pg_mbstrlen_with_len(s, len);
}

