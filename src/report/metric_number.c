/*-------------------------------------------------------------------------
 *
 * metric_number.c
 *	  dq.metric_number(value text, type_family text): the number a profile
 *	  value stands for, so that charts and BI tools get numbers.
 *
 * Profiles keep min_value, max_value and the date/time quantiles as text,
 * since they are values of the column's type.  The chart-ready views put a
 * float8 beside them: the value itself for the numeric family, seconds
 * since 1970-01-01 00:00 UTC for dates and timestamps written in ISO form
 * (what the profiler writes under the default DateStyle), and NULL for
 * anything else: other families, NaN and infinities, values out of the
 * float8 range and text that is not in the expected form.  The function
 * never raises an error on a value, so a view over years of history cannot
 * be broken by one odd row; it is immutable because it does not depend on
 * any setting (zone-less timestamps are read as UTC).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "fmgr.h"
#include "utils/builtins.h"

#include "base/calendar.h"
#include "report/report.h"

PG_FUNCTION_INFO_V1(dq_metric_number);

/* Read exactly "ndigits" decimal digits; false when there are fewer. */
static bool
DqReadDigits(const char **p, int ndigits, int *out)
{
	int			v = 0;
	int			i;

	for (i = 0; i < ndigits; i++)
	{
		if (!isdigit((unsigned char) (*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += ndigits;
	*out = v;
	return true;
}

/* DqReadDigits, then the separator sep, which is skipped. */
static bool
DqReadDigitsThen(const char **p, int ndigits, int *out, char sep)
{
	if (!DqReadDigits(p, ndigits, out) || **p != sep)
		return false;
	(*p)++;
	return true;
}

/*
 * Seconds since 1970-01-01 00:00 UTC of an ISO date or timestamp:
 * YYYY-MM-DD, optionally followed by "T" or " " and HH:MM[:SS[.fff]] and a
 * zone (Z, +HH, +HHMM, +HH:MM, +HH:MM:SS).  Years may have more than four
 * digits.  False for anything else, "BC" dates and infinities included.
 */
bool
DqParseIsoDateTime(const char *s, double *result)
{
	const char *p = s;
	int64		year = 0;
	int			ydigits = 0;
	int			month,
				day,
				hour = 0,
				minute = 0,
				second = 0;
	double		frac = 0.0;
	int			zone = 0;
	const int	days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	while (isspace((unsigned char) *p))
		p++;
	while (isdigit((unsigned char) *p) && ydigits < 7)
	{
		year = year * 10 + (*p - '0');
		p++;
		ydigits++;
	}
	if (ydigits < 4 || *p != '-')
		return false;
	p++;
	if (!DqReadDigitsThen(&p, 2, &month, '-') || !DqReadDigits(&p, 2, &day))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1])
		return false;
	if (month == 2 && day == 29 &&
		!((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return false;

	if (*p == 'T' || (*p == ' ' && isdigit((unsigned char) p[1])))
	{
		p++;
		if (!DqReadDigitsThen(&p, 2, &hour, ':') || !DqReadDigits(&p, 2, &minute))
			return false;
		if (*p == ':')
		{
			p++;
			if (!DqReadDigits(&p, 2, &second))
				return false;
			if (*p == '.')
			{
				double		scale = 0.1;

				p++;
				if (!isdigit((unsigned char) *p))
					return false;
				while (isdigit((unsigned char) *p))
				{
					frac += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (hour > 24 || minute > 59 || second > 60 ||
			(hour == 24 && (minute != 0 || second != 0 || frac != 0.0)))
			return false;

		/* the zone */
		if (*p == 'Z')
			p++;
		else if (*p == '+' || *p == '-')
		{
			int			sign = (*p == '-') ? -1 : 1;
			int			zh,
						zm = 0,
						zs = 0;

			p++;
			if (!DqReadDigits(&p, 2, &zh))
				return false;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char) *p))
			{
				if (!DqReadDigits(&p, 2, &zm))
					return false;
				if (*p == ':')
					p++;
				if (isdigit((unsigned char) *p) && !DqReadDigits(&p, 2, &zs))
					return false;
			}
			if (zh > 15 || zm > 59 || zs > 59)
				return false;
			zone = sign * (zh * 3600 + zm * 60 + zs);
		}
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		return false;

	*result = (double) DqDaysFromCivil(year, month, day) * 86400.0 +
		hour * 3600.0 + minute * 60.0 + second + frac - zone;
	return true;
}

/*
 * A finite float8 from the text of a number (the output of an integer,
 * float or numeric type); false for anything else.
 */
bool
DqParseFiniteNumber(const char *s, double *result)
{
	const char *p = s;
	char	   *end;
	double		v;

	while (isspace((unsigned char) *p))
		p++;
	/* strtod would also take "inf", "nan" and hexadecimal: refuse them */
	if (!(isdigit((unsigned char) *p) || *p == '-' || *p == '+' || *p == '.'))
		return false;
	if ((*p == '-' || *p == '+') &&
		!(isdigit((unsigned char) p[1]) || p[1] == '.'))
		return false;
	if (strchr(p, 'x') || strchr(p, 'X'))
		return false;
	errno = 0;
	v = strtod(p, &end);
	if (end == p)
		return false;
	while (isspace((unsigned char) *end))
		end++;
	if (*end != '\0' || (errno == ERANGE && fabs(v) > 1.0) || !isfinite(v))
		return false;
	*result = v;
	return true;
}

/*
 * dq.metric_number(value text, type_family text) RETURNS float8
 */
Datum
dq_metric_number(PG_FUNCTION_ARGS)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *family = text_to_cstring(PG_GETARG_TEXT_PP(1));
	double		result;

	if (strcmp(family, "numeric") == 0)
	{
		if (DqParseFiniteNumber(value, &result))
			PG_RETURN_FLOAT8(result);
	}
	else if (strcmp(family, "datetime") == 0)
	{
		if (DqParseIsoDateTime(value, &result))
			PG_RETURN_FLOAT8(result);
	}
	PG_RETURN_NULL();
}
