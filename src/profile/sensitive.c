/*-------------------------------------------------------------------------
 *
 * sensitive.c
 *	  Detectors of sensitive values: validators run by the profiler on every
 *	  distinct text value it classifies (sensitive.h).
 *
 * A detector accepts a value only when it passes the rules a real value of
 * its kind obeys, so that look-alikes are rejected value by value:
 *
 *	email			local part and dotted domain with an alphabetic top-level
 *					domain, lengths of RFC 5321
 *	phone			E.164 ("+" and a country calling code, 8 to 15 digits) or
 *					a national form with an area code in parentheses or a
 *					trunk prefix 0; not a date, an address or a grouped number
 *	payment card	12 to 19 digits, grouped by spaces or dashes at most,
 *					Luhn check digit, an issuer's prefix and length
 *	IBAN			country code, check digits and a BBAN of the country's
 *					length, mod-97 = 1 (ISO 13616)
 *	IPv4, IPv6		octet ranges; the IPv6 group count with one "::" at most
 *	US SSN			AAA-GG-SSSS: area not 000, 666 or 9xx, group not 00,
 *					serial not 0000
 *	name-like		one to four capitalized words of letters
 *
 * Free text (a value with a space, 12 bytes or longer) is searched for
 * e-mail addresses, phone numbers, card numbers, IBANs and SSNs inside it.
 *
 * Nothing here allocates or raises an error: every function reads the
 * bytes it is given and returns a mask.  The profiler caches the mask of
 * a repeated value with its other shape facts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "profile/sensitive.h"

const char *const DqSensitiveNames[DQ_NUM_SENSITIVE] = {
	"email", "phone", "payment_card", "iban", "ipv4", "ipv4_wide", "ipv6",
	"us_ssn", "us_ssn_digits", "name_like"
};

const char *const DqSensitiveInTextNames[DQ_NUM_SENSITIVE_IN_TEXT] = {
	"email", "phone", "payment_card", "iban", "us_ssn"
};

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_UPPER(c)	((c) >= 'A' && (c) <= 'Z')
#define IS_LOWER(c)	((c) >= 'a' && (c) <= 'z')
#define IS_ALPHA(c)	(IS_UPPER(c) || IS_LOWER(c))
#define IS_ALNUM(c)	(IS_ALPHA(c) || IS_DIGIT(c))
#define IS_HEX(c)	(IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define IS_HIGH(c)	((unsigned char) (c) >= 0x80)

/* the longest number a detector looks at (an IBAN has 34 characters) */
#define DQ_SENS_MAX_DIGITS 40

/*
 * Luhn check of n digits (characters '0' to '9'): the last one is the
 * check digit.
 */
bool
DqLuhnValid(const char *digits, int n)
{
	int			sum = 0;
	bool		dbl = false;

	for (int i = n - 1; i >= 0; i--)
	{
		int			d = digits[i] - '0';

		if (dbl)
		{
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return n > 0 && sum % 10 == 0;
}

/* The number of the first k digits. */
static int
DqPrefix(const char *digits, int k)
{
	int			v = 0;

	for (int i = 0; i < k; i++)
		v = v * 10 + (digits[i] - '0');
	return v;
}

/*
 * Does a card number of n digits start with the prefix of an issuer that
 * issues numbers of that length?  The ranges of the major networks (ISO/IEC
 * 7812 issuer identification numbers as the networks publish them).
 */
bool
DqCardIssuerValid(const char *d, int n)
{
	int			p1,
				p2,
				p3,
				p4,
				p6;

	if (n < 12 || n > 19)
		return false;
	p1 = DqPrefix(d, 1);
	p2 = DqPrefix(d, 2);
	p3 = DqPrefix(d, 3);
	p4 = DqPrefix(d, 4);
	p6 = DqPrefix(d, 6);

	/* Visa */
	if (p1 == 4)
		return n == 13 || n == 16 || n == 19;
	/* American Express */
	if (p2 == 34 || p2 == 37)
		return n == 15;
	/* Mastercard: 51-55 and 2221-2720 */
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16;
	/* Mir */
	if (p4 >= 2200 && p4 <= 2204)
		return n >= 16 && n <= 19;
	/* Discover: 6011, 644-649, 65, and the 622126-622925 range */
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 ||
		(p6 >= 622126 && p6 <= 622925))
		return n >= 16 && n <= 19;
	/* UnionPay */
	if (p2 == 62)
		return n >= 16 && n <= 19;
	/* JCB */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16 && n <= 19;
	/* Diners Club: 300-305, 3095, 36, 38-39 */
	if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14 && n <= 19;
	/* Maestro */
	if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 ||
		p4 == 6759 || (p4 >= 6761 && p4 <= 6763))
		return n >= 12 && n <= 19;
	return false;
}

/* Length of the IBAN of a country (ISO 13616 registry), 0 if none. */
static int
DqIbanLength(char a, char b)
{
	static const struct
	{
		char		cc[3];
		int			len;
	}			ibans[] = {
		{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20},
		{"BE", 16}, {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28},
		{"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
		{"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
		{"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
		{"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
		{"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
		{"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
		{"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
		{"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18},
		{"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
		{"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
		{"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23},
		{"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
		{"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30}
	};

	for (int i = 0; i < lengthof(ibans); i++)
		if (ibans[i].cc[0] == a && ibans[i].cc[1] == b)
			return ibans[i].len;
	return 0;
}

/*
 * Is s (len bytes, letters and digits, spaces between groups allowed) an
 * IBAN: a country's length and mod-97 of the rearranged number equal to 1?
 */
bool
DqIbanValid(const char *s, int len)
{
	char		c[DQ_SENS_MAX_DIGITS];
	int			n = 0;
	int			rem = 0;

	for (int i = 0; i < len; i++)
	{
		char		ch = s[i];

		if (ch == ' ')
		{
			/* one space between groups, none at either end */
			if (i == 0 || i == len - 1 || s[i + 1] == ' ')
				return false;
			continue;
		}
		if (!IS_ALNUM(ch) || n >= 34)
			return false;
		c[n++] = (IS_LOWER(ch)) ? ch - 'a' + 'A' : ch;
	}
	if (n < 15 || !IS_UPPER(c[0]) || !IS_UPPER(c[1]) ||
		!IS_DIGIT(c[2]) || !IS_DIGIT(c[3]) || DqIbanLength(c[0], c[1]) != n)
		return false;
	/* the first four characters move to the end; letters count 10 to 35 */
	for (int k = 0; k < n; k++)
	{
		char		ch = c[(k + 4) % n];

		if (IS_DIGIT(ch))
			rem = (rem * 10 + (ch - '0')) % 97;
		else
			rem = (rem * 100 + (ch - 'A' + 10)) % 97;
	}
	return rem == 1;
}

/*
 * Digits of s, which may be grouped by single separators from seps; false
 * when another character occurs, a separator starts, ends or doubles, or
 * there are more than max digits.
 */
static bool
DqGroupedDigits(const char *s, int len, const char *seps, char *out,
				int max, int *ndigits, int *ngroups)
{
	int			n = 0;
	int			groups = 1;

	if (len == 0 || !IS_DIGIT(s[0]) || !IS_DIGIT(s[len - 1]))
		return false;
	for (int i = 0; i < len; i++)
	{
		char		ch = s[i];

		if (IS_DIGIT(ch))
		{
			if (n >= max)
				return false;
			out[n++] = ch;
		}
		else if (strchr(seps, ch) != NULL && ch != '\0')
		{
			if (!IS_DIGIT(s[i + 1]))
				return false;
			groups++;
		}
		else
			return false;
	}
	*ndigits = n;
	*ngroups = groups;
	return true;
}

/* A payment card number written as a whole value. */
static bool
DqIsCard(const char *s, int len)
{
	char		d[DQ_SENS_MAX_DIGITS];
	int			n,
				groups;

	if (len < 12 || len > 23 ||
		!DqGroupedDigits(s, len, " -", d, 19, &n, &groups))
		return false;
	/* grouped numbers are written in groups of 4 (Amex: 4-6-5) */
	if (groups > 1 && (groups < 3 || groups > 5))
		return false;
	return DqCardIssuerValid(d, n) && DqLuhnValid(d, n);
}

/* SSN rules on nine digits. */
static bool
DqSsnDigitsValid(const char *d)
{
	int			area = DqPrefix(d, 3);
	int			group = (d[3] - '0') * 10 + (d[4] - '0');
	int			serial = DqPrefix(d + 5, 4);

	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

/* AAA-GG-SSSS (dashes or spaces) with valid parts. */
static bool
DqIsSsn(const char *s, int len)
{
	char		d[9];
	char		sep;

	if (len != 11)
		return false;
	sep = s[3];
	if ((sep != '-' && sep != ' ') || s[6] != sep)
		return false;
	for (int i = 0, k = 0; i < 11; i++)
	{
		if (i == 3 || i == 6)
			continue;
		if (!IS_DIGIT(s[i]))
			return false;
		d[k++] = s[i];
	}
	return DqSsnDigitsValid(d);
}

/* Length of an assigned country calling code at the start of d (ITU-T E.164). */
static int
DqCountryCodeLength(const char *d, int n)
{
	static const int two[] = {
		20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84,
		86, 90, 91, 92, 93, 94, 95, 98
	};
	int			p2;

	if (n < 1 || d[0] == '0')
		return 0;
	if (d[0] == '1' || d[0] == '7')
		return 1;
	if (n < 2)
		return 0;
	p2 = DqPrefix(d, 2);
	for (int i = 0; i < lengthof(two); i++)
		if (two[i] == p2)
			return 2;
	/* the other codes have three digits; 2x, 3x, 4x, 5x, 6x, 8x, 9x */
	return n >= 3 ? 3 : 0;
}

/*
 * A phone number as a whole value: "+" with a country code and 8 to 15
 * digits in all, or a national number of 7 to 12 digits written with an
 * area code in parentheses, a trunk prefix 0, or in three or more groups
 * that are not a date or a thousands-grouped number.  Separators: space,
 * dash, dot, and parentheses around the area code; "(0)" after the country
 * code is the optional trunk prefix.
 */
static bool
DqIsPhone(const char *s, int len)
{
	char		d[DQ_SENS_MAX_DIGITS];
	int			n = 0;
	int			groups = 0;
	int			grouplen[8];
	bool		plus = false;
	bool		paren = false;
	bool		in_group = false;
	int			i = 0;

	if (len < 7 || len > 24)
		return false;
	if (s[0] == '+')
	{
		plus = true;
		i = 1;
	}
	for (; i < len; i++)
	{
		char		ch = s[i];

		if (IS_DIGIT(ch))
		{
			if (n >= 15)
				return false;
			if (!in_group)
			{
				if (groups == lengthof(grouplen))
					return false;
				grouplen[groups++] = 0;
				in_group = true;
			}
			grouplen[groups - 1]++;
			d[n++] = ch;
		}
		else if (ch == ' ' || ch == '-' || ch == '.')
		{
			/* single separators between digit groups (or after ")") */
			if (i == len - 1 || s[i + 1] == ' ' || s[i + 1] == '-' || s[i + 1] == '.')
				return false;
			in_group = false;
		}
		else if (ch == '(')
		{
			const char *close = memchr(s + i, ')', len - i);

			if (close == NULL || paren || close - (s + i) < 2 || close - (s + i) > 6)
				return false;
			paren = true;
			in_group = false;
		}
		else if (ch == ')')
		{
			if (!paren)
				return false;
			in_group = false;
		}
		else
			return false;
	}
	if (plus)
	{
		int			cc = DqCountryCodeLength(d, n);

		return n >= 8 && n <= 15 && cc > 0;
	}
	if (n < 7 || n > 12)
		return false;
	if (paren)
		return s[0] == '(';
	if (d[0] == '0' && groups >= 2)
		return true;
	if (groups < 3)
		return false;
	/* phone numbers do not end in a one-digit group; ISBNs do */
	if (grouplen[groups - 1] < 2)
		return false;
	/* the shape of an SSN, 3-2-4, is not a phone number's */
	if (groups == 3 && grouplen[0] == 3 && grouplen[1] == 2 && grouplen[2] == 4)
		return false;
	/* a date: 4-2-2 or 2-2-4 */
	if (groups == 3 && ((grouplen[0] == 4 && grouplen[1] == 2 && grouplen[2] == 2) ||
						(grouplen[0] == 2 && grouplen[1] == 2 && grouplen[2] == 4)))
		return false;
	/* a number grouped by thousands: 1-3 digits, then groups of 3 */
	{
		bool		thousands = grouplen[0] <= 3;

		for (int g = 1; g < groups && thousands; g++)
			thousands = grouplen[g] == 3;
		if (thousands)
			return false;
	}
	/* an address or a version: four groups of at most three digits */
	if (groups == 4 && grouplen[0] <= 3 && grouplen[1] <= 3 &&
		grouplen[2] <= 3 && grouplen[3] <= 3)
		return false;
	return true;
}

/*
 * An e-mail address: local part of 1 to 64 characters (letters, digits and
 * !#$%&'*+/=?^_`{|}~.- with no leading, trailing or doubled dot), "@", a
 * domain of two or more labels of letters, digits and inner hyphens, and
 * an alphabetic top-level domain of 2 to 24 letters; 254 bytes at most.
 */
static bool
DqIsEmail(const char *s, int len)
{
	const char *at = memchr(s, '@', len);
	int			local;
	int			labels = 0;
	int			label_len = 0;
	bool		label_alpha = true;

	if (at == NULL || len > 254)
		return false;
	local = at - s;
	if (local < 1 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (int i = 0; i < local; i++)
	{
		char		c = s[i];

		if (IS_ALNUM(c) || strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL)
			continue;
		if (c == '.' && s[i + 1] != '.')
			continue;
		return false;
	}
	for (int i = local + 1; i <= len; i++)
	{
		char		c = i < len ? s[i] : '.';

		if (c == '.')
		{
			if (label_len == 0 || label_len > 63 || s[i - 1] == '-')
				return false;
			labels++;
			if (i == len)
				break;
			label_len = 0;
			label_alpha = true;
			continue;
		}
		if (!IS_ALNUM(c) && c != '-')
			return false;
		if (c == '-' && label_len == 0)
			return false;
		if (!IS_ALPHA(c))
			label_alpha = false;
		label_len++;
	}
	/* the last label is the top-level domain */
	return labels >= 2 && label_alpha && label_len >= 2 && label_len <= 24;
}

/* IPv4: four decimal octets 0-255 without leading zeros.  *wide: one >= 32. */
static bool
DqIsIpv4(const char *s, int len, bool *wide)
{
	int			octets = 0;
	int			i = 0;

	*wide = false;
	if (len < 7 || len > 15)
		return false;
	while (octets < 4)
	{
		int			v = 0;
		int			nd = 0;

		while (i < len && IS_DIGIT(s[i]) && nd < 4)
		{
			v = v * 10 + (s[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0 || nd > 3 || v > 255 || (nd > 1 && s[i - nd] == '0'))
			return false;
		if (v >= 32)
			*wide = true;
		octets++;
		if (octets < 4)
		{
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

/*
 * IPv6: eight groups of one to four hex digits separated by ":", or fewer
 * with one "::" standing for the missing ones; the last 32 bits may be
 * written as an IPv4 address.
 */
static bool
DqIsIpv6(const char *s, int len)
{
	int			groups = 0;
	bool		compressed = false;
	int			i = 0;

	if (len < 2 || len > 45)
		return false;
	if (s[0] == ':')
	{
		if (s[1] != ':')
			return false;
		compressed = true;
		i = 2;
		if (i == len)
			return true;		/* "::" */
	}
	while (i < len)
	{
		int			start = i;
		int			nd = 0;

		while (i < len && IS_HEX(s[i]) && nd < 5)
		{
			nd++;
			i++;
		}
		if (i < len && s[i] == '.')
		{
			bool		wide;

			/* an embedded IPv4 address ends the address, worth two groups */
			if (!DqIsIpv4(s + start, len - start, &wide) || groups > 6)
				return false;
			groups += 2;
			break;
		}
		if (nd == 0 || nd > 4)
			return false;
		groups++;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':')
		{
			if (compressed)
				return false;
			compressed = true;
			i++;
			if (i == len)
				break;
		}
		else if (i == len)
			return false;		/* a trailing single ":" */
	}
	return compressed ? groups <= 7 : groups == 8;
}

/*
 * One to four words of letters separated by single spaces, each starting
 * with a capital (bytes >= 0x80 count as letters, so that names with
 * accents qualify); a word may hold one hyphen or apostrophe; lower-case
 * particles (van, de, von, ...) may stand between capitalized words.
 */
static bool
DqIsNameLike(const char *s, int len)
{
	int			words = 0;
	int			capitalized = 0;
	int			i = 0;

	if (len < 3 || len > 60)
		return false;
	while (i < len)
	{
		int			start = i;
		int			marks = 0;

		while (i < len && s[i] != ' ')
		{
			char		c = s[i];

			if (c == '-' || c == '\'')
			{
				if (i == start || i + 1 >= len || s[i + 1] == ' ' || ++marks > 1)
					return false;
			}
			else if (!IS_ALPHA(c) && !IS_HIGH(c))
				return false;
			else if (i > start && IS_UPPER(c) && s[i - 1] != '-' && s[i - 1] != '\'')
			{
				/* capitals inside a word: "McDonald" is fine, "ABC" is not */
				if (i + 1 < len && IS_UPPER(s[i + 1]))
					return false;
			}
			i++;
		}
		if (i - start < 2 && !(i - start == 1 && IS_UPPER(s[start])))
			return false;
		if (IS_UPPER(s[start]) || IS_HIGH(s[start]))
			capitalized++;
		else if (words == 0)
			return false;
		words++;
		if (words > 4)
			return false;
		if (i < len)
		{
			if (i + 1 >= len || s[i + 1] == ' ')
				return false;
			i++;
		}
	}
	return capitalized >= 1 && (words >= 2 || len >= 3);
}

/* Characters that end a token of free text on either side. */
static inline bool
DqIsPunct(char c)
{
	return c == ',' || c == ';' || c == ':' || c == '(' || c == ')' ||
		c == '<' || c == '>' || c == '"' || c == '\'' || c == '[' ||
		c == ']' || c == '!' || c == '?';
}

/*
 * Search free text for the kinds of DqSensitiveInText; returns their bits
 * (not shifted).
 */
static uint32
DqScanFreeText(const char *s, int len)
{
	uint32		found = 0;
	int			i = 0;

	while (i < len)
	{
		char		c = s[i];

		if (c == '@' && !(found & (1u << DQ_SENS_IN_EMAIL)))
		{
			int			a = i;
			int			b = i + 1;

			while (a > 0 && s[a - 1] != ' ' && !DqIsPunct(s[a - 1]))
				a--;
			while (b < len && s[b] != ' ' && !DqIsPunct(s[b]))
				b++;
			/* a sentence's full stop is not part of the domain */
			while (b > i + 1 && s[b - 1] == '.')
				b--;
			if (DqIsEmail(s + a, b - a))
				found |= 1u << DQ_SENS_IN_EMAIL;
			i = b;
			continue;
		}
		if ((IS_DIGIT(c) || c == '+') && (i == 0 || !IS_ALNUM(s[i - 1])))
		{
			/* a number, possibly grouped by single spaces, dashes, dots */
			int			b = i + 1;

			while (b < len && (IS_DIGIT(s[b]) ||
							   ((s[b] == ' ' || s[b] == '-' || s[b] == '.' ||
								 s[b] == '(' || s[b] == ')') &&
								b + 1 < len && (IS_DIGIT(s[b + 1]) || s[b + 1] == '('))))
				b++;
			/* a number glued to letters is a code, not a number */
			if (b < len && IS_ALPHA(s[b]))
			{
				i = b;
				continue;
			}
			if (DqIsCard(s + i, b - i))
				found |= 1u << DQ_SENS_IN_CARD;
			else if (DqIsSsn(s + i, b - i))
				found |= 1u << DQ_SENS_IN_SSN;
			else if (DqIsPhone(s + i, b - i))
				found |= 1u << DQ_SENS_IN_PHONE;
			i = b;
			continue;
		}
		if (IS_UPPER(c) && i + 4 <= len && IS_UPPER(s[i + 1]) &&
			IS_DIGIT(s[i + 2]) && IS_DIGIT(s[i + 3]) &&
			(i == 0 || !IS_ALNUM(s[i - 1])))
		{
			/* an IBAN, possibly in groups of four separated by spaces */
			int			b = i + 4;

			while (b < len && (IS_ALNUM(s[b]) ||
							   (s[b] == ' ' && b + 1 < len && IS_ALNUM(s[b + 1]) &&
								b - i < 42)))
				b++;
			/* the number may be followed by words: try the longest IBAN */
			for (int end = b; end > i + 14; end--)
			{
				if (end < len && IS_ALNUM(s[end]) && end != b)
					continue;
				if (DqIbanValid(s + i, end - i))
				{
					found |= 1u << DQ_SENS_IN_IBAN;
					break;
				}
			}
			i = b;
			continue;
		}
		i++;
	}
	return found;
}

/*
 * The detectors that accept s (len bytes) as a whole, and, for free text,
 * what it contains (bits shifted by DQ_SENS_IN_SHIFT, and
 * DQ_SENS_ANY_IN_TEXT when anything was found).  Leading and trailing
 * spaces do not count.
 */
uint32
DqDetectSensitive(const char *s, int len)
{
	uint32		mask = 0;
	bool		has_space;
	bool		has_digit = false;
	bool		has_at;
	bool		wide;
	char		c0;

	while (len > 0 && s[0] == ' ')
	{
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len < 3)
		return 0;

	has_space = memchr(s, ' ', len) != NULL;
	has_at = memchr(s, '@', len) != NULL;
	for (int i = 0; i < len && !has_digit; i++)
		has_digit = IS_DIGIT(s[i]);
	c0 = s[0];

	if (has_at && !has_space)
	{
		if (DqIsEmail(s, len))
			return 1u << DQ_SENS_EMAIL;
	}
	if (has_digit)
	{
		if (IS_DIGIT(c0) || c0 == '+' || c0 == '(')
		{
			if (len == 9 && c0 != '+' && c0 != '(')
			{
				bool		all = true;

				for (int i = 0; i < 9 && all; i++)
					all = IS_DIGIT(s[i]);
				if (all && DqSsnDigitsValid(s))
					mask |= 1u << DQ_SENS_SSN_DIGITS;
			}
			if (DqIsCard(s, len))
				return mask | (1u << DQ_SENS_CARD);
			if (DqIsSsn(s, len))
				return mask | (1u << DQ_SENS_SSN);
			if (DqIsIpv4(s, len, &wide))
				return mask | (1u << DQ_SENS_IPV4) | (wide ? 1u << DQ_SENS_IPV4_WIDE : 0);
			if (DqIsPhone(s, len))
				return mask | (1u << DQ_SENS_PHONE);
		}
		if (IS_UPPER(c0) && len >= 15 && DqIbanValid(s, len))
			return mask | (1u << DQ_SENS_IBAN);
	}
	if (!has_space && memchr(s, ':', len) != NULL && DqIsIpv6(s, len))
		return mask | (1u << DQ_SENS_IPV6);
	if (!has_digit && !has_at && DqIsNameLike(s, len))
		return mask | (1u << DQ_SENS_NAME_LIKE);
	if (has_space && len >= 12 && (has_digit || has_at))
	{
		uint32		in = DqScanFreeText(s, len);

		if (in != 0)
			mask |= (in << DQ_SENS_IN_SHIFT) | DQ_SENS_ANY_IN_TEXT;
	}
	return mask;
}
