/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Job schedules: parsing and next firing time.
 *
 * A schedule is one of
 *	 - a 5-field cron expression "minute hour day-of-month month day-of-week"
 *	   with *, numbers, ranges a-b, lists, steps (*\/n, a-b/n, a/n) and the
 *	   names jan..dec and sun..sat (7 is Sunday too), evaluated in a time
 *	   zone.  As in Vixie cron, when both day fields are restricted (neither
 *	   starts with '*') a day matches if EITHER matches;
 *	 - a shortcut: @yearly (@annually), @monthly, @weekly, @daily
 *	   (@midnight), @hourly;
 *	 - an interval such as '30 seconds' or '1 hour 30 minutes' (at least
 *	   one second; months and years are refused because their length
 *	   varies: use a cron expression).
 *
 * Daylight saving changes, for cron schedules: a wall-clock time that does
 * not exist on a given day (skipped by a spring-forward change) fires once,
 * at the moment of the change; a wall-clock time that happens twice (fall
 * back) fires once, at its first occurrence.  dq.cron_next() exposes the
 * same function the scheduler uses.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "base/calendar.h"
#include "base/guc.h"
#include "sched/cron.h"

#define SCHEDULE_HINT "A schedule is a cron expression of 5 fields (minute hour day-of-month month day-of-week), a shortcut (@hourly, @daily, @weekly, @monthly, @yearly) or an interval such as '30 seconds'."

/* How far ahead a cron schedule is searched before it is declared empty. */
#define SEARCH_YEARS 5

typedef struct CronField
{
	const char *label;
	int			min;
	int			max;
	const char *const *names;	/* names for min, min+1, ... or NULL */
} CronField;

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const CronField cron_fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day of month", 1, 31, NULL},
	{"month", 1, 12, month_names},
	{"day of week", 0, 7, dow_names},
};

/* detail: a full sentence saying what is wrong */
static void
schedule_error(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid schedule \"%s\"", text),
			 errdetail("%s", detail),
			 errhint(SCHEDULE_HINT)));
}

/* Parse one number or name of a field at *p; advances *p. */
static int
parse_value(const char *text, const CronField *f, const char **p)
{
	const char *s = *p;
	char		token[16];
	int			len = 0;

	if (isdigit((unsigned char) *s))
	{
		long		v = 0;

		while (isdigit((unsigned char) *s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		if (isdigit((unsigned char) *s) || v < f->min || v > f->max)
		{
			char		range[32];

			snprintf(range, sizeof(range), "%d-%d", f->min, f->max);
			schedule_error(text, psprintf("The %s field has a value outside %s.",
										  f->label, range));
		}
		*p = s;
		return (int) v;
	}
	while (isalpha((unsigned char) *s) && len < (int) sizeof(token) - 1)
		token[len++] = pg_tolower((unsigned char) *s++);
	token[len] = '\0';
	if (len > 0 && f->names != NULL)
	{
		for (int i = 0; f->names[i] != NULL; i++)
			if (strcmp(token, f->names[i]) == 0)
			{
				*p = s;
				return f->min + i;
			}
	}
	schedule_error(text, psprintf("The %s field has an unexpected item near \"%s\".",
									  f->label, *p));
	return 0;					/* keep compiler quiet */
}

/* Parse one comma-separated field into a bit mask. */
static uint64
parse_field(const char *text, const CronField *f, const char *field)
{
	const char *p = field;
	uint64		mask = 0;

	for (;;)
	{
		const char *item = p;
		int			lo,
					hi,
					step = 1;

		if (*p == '*')
		{
			lo = f->min;
			hi = f->max;
			p++;
		}
		else
		{
			lo = hi = parse_value(text, f, &p);
			if (*p == '-')
			{
				p++;
				hi = parse_value(text, f, &p);
				if (hi < lo)
					schedule_error(text, psprintf("The %s field has a decreasing range near \"%s\".",
													  f->label, field));
			}
		}
		if (*p == '/')
		{
			long		v = 0;

			p++;
			if (!isdigit((unsigned char) *p))
				schedule_error(text, psprintf("The %s field has a step without a number near \"%s\".",
												  f->label, field));
			while (isdigit((unsigned char) *p) && v < 1000)
				v = v * 10 + (*p++ - '0');
			if (v < 1 || v > f->max)
				schedule_error(text, psprintf("The %s field has a step out of range near \"%s\".",
												  f->label, field));
			step = (int) v;
			/* "a/n" means a, a+n, ... up to the field's maximum */
			if (lo == hi && *item != '*')
				hi = f->max;
		}
		for (int v = lo; v <= hi; v += step)
			mask |= UINT64CONST(1) << v;
		if (*p == ',')
		{
			p++;
			continue;
		}
		if (*p != '\0')
			schedule_error(text, psprintf("The %s field has an unexpected item near \"%s\".",
											  f->label, p));
		break;
	}
	return mask;
}

/* Parse an interval with the datetime input routines (no error thrown). */
static bool
parse_interval(const char *str, int64 *usec)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype = 0;
	struct pg_itm_in itm;
	int			dterr;

	memset(&itm, 0, sizeof(itm));
	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
						  MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm);
	if (dterr == DTERR_BAD_FORMAT)
	{
		char	   *copy = pstrdup(str);

		dterr = DecodeISO8601Interval(copy, &dtype, &itm);
	}
	if (dterr != 0 || dtype != DTK_DELTA)
		return false;
	if (itm.tm_mon != 0 || itm.tm_year != 0)
		return false;
	*usec = itm.tm_usec + (int64) itm.tm_mday * USECS_PER_DAY;
	return true;
}

void
DqParseSchedule(const char *text, DqSchedule *sched)
{
	static const struct
	{
		const char *name;
		const char *expansion;
	}			shortcuts[] = {
		{"@yearly", "0 0 1 1 *"},
		{"@annually", "0 0 1 1 *"},
		{"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"},
		{"@daily", "0 0 * * *"},
		{"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"},
	};
	char	   *copy;
	char	   *fields[6] = {NULL};
	int			nfields = 0;
	char	   *p;
	char	   *start;

	memset(sched, 0, sizeof(*sched));
	while (isspace((unsigned char) *text))
		text++;
	if (*text == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schedule must not be empty"),
				 errhint(SCHEDULE_HINT)));

	copy = pstrdup(text);
	/* trim trailing blanks */
	p = copy + strlen(copy);
	while (p > copy && isspace((unsigned char) p[-1]))
		*--p = '\0';

	if (copy[0] == '@')
	{
		for (int i = 0; i < (int) lengthof(shortcuts); i++)
			if (pg_strcasecmp(copy, shortcuts[i].name) == 0)
			{
				DqParseSchedule(shortcuts[i].expansion, sched);
				return;
			}
		schedule_error(text, psprintf("\"%s\" is not a known shortcut.",
										  copy));
	}

	for (p = copy; *p != '\0' && nfields < 6;)
	{
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char) *p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		fields[nfields++] = start;
	}

	if (nfields == 5 && (fields[0][0] == '*' || isdigit((unsigned char) fields[0][0])) &&
		strspn(fields[0], "0123456789*,/-") == strlen(fields[0]))
	{
		uint64		masks[5];

		for (int i = 0; i < 5; i++)
			masks[i] = parse_field(text, &cron_fields[i], fields[i]);
		sched->minutes = masks[0];
		sched->hours = (uint32) masks[1];
		sched->doms = (uint32) masks[2];
		sched->months = (uint32) masks[3];
		/* 7 is Sunday too */
		sched->dows = (uint32) ((masks[4] | (masks[4] >> 7)) & 0x7F);
		sched->dom_star = fields[2][0] == '*';
		sched->dow_star = fields[4][0] == '*';
		return;
	}

	if (parse_interval(text, &sched->interval_usec))
	{
		if (sched->interval_usec < USECS_PER_SEC)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid schedule \"%s\"", text),
					 errdetail("An interval schedule must be at least 1 second."),
					 errhint(SCHEDULE_HINT)));
		sched->is_interval = true;
		return;
	}
	if (nfields == 5)
		schedule_error(text, psprintf("The minute field has an unexpected item near \"%s\".",
									   fields[0]));
	schedule_error(text, "It is neither a cron expression of 5 fields nor an interval without months or years.");
}

pg_tz *
DqScheduleTimeZone(const char *name)
{
	if (name == NULL || name[0] == '\0')
		name = dq_timezone;
	if (name == NULL || name[0] == '\0')
		return session_timezone;
	return DqTimeZoneByName(name, "Use a name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.");
}

static void
civil_from_days(int64 z, int *y, int *m, int *d)
{
	int64		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

/* UTC offset (seconds east) of tz at instant t (seconds since epoch). */
static int64
gmtoff_at(pg_time_t t, pg_tz *tz)
{
	struct pg_tm *tm = pg_localtime(&t, tz);

	return tm ? tm->tm_gmtoff : 0;
}

/*
 * The instant at which the wall-clock time "wall" (seconds since epoch as
 * if it were UTC) happens in tz: the first occurrence if it happens twice,
 * the moment the clock jumps over it if it does not happen at all.
 */
static pg_time_t
wall_to_instant(pg_time_t wall, pg_tz *tz)
{
	int64		off_a = gmtoff_at(wall - SECS_PER_DAY, tz);
	int64		off_b = gmtoff_at(wall + SECS_PER_DAY, tz);
	pg_time_t	ia = wall - off_a;
	pg_time_t	ib = wall - off_b;
	bool		va = ia + gmtoff_at(ia, tz) == wall;
	bool		vb = ib + gmtoff_at(ib, tz) == wall;
	pg_time_t	lo,
				hi;

	if (va && vb)
		return Min(ia, ib);
	if (va)
		return ia;
	if (vb)
		return ib;

	/* In a gap: the first instant whose wall-clock time is past "wall". */
	lo = Min(ia, ib);
	hi = Max(ia, ib);
	while (hi - lo > 1)
	{
		pg_time_t	mid = lo + (hi - lo) / 2;

		if (mid + gmtoff_at(mid, tz) > wall)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static TimestampTz
cron_next(const DqSchedule *s, TimestampTz after, pg_tz *tz)
{
	pg_time_t	after_sec = timestamptz_to_time_t(after);
	pg_time_t	wall;
	pg_time_t	limit;

	/* timestamptz_to_time_t truncates toward zero; we want floor */
	if (after < 0 && after % USECS_PER_SEC != 0)
		after_sec--;
	wall = after_sec + gmtoff_at(after_sec, tz);
	wall = wall - ((wall % 60) + 60) % 60 + 60;
	limit = wall + (pg_time_t) SEARCH_YEARS * 366 * SECS_PER_DAY;

	while (wall < limit)
	{
		int64		days = wall >= 0 ? wall / SECS_PER_DAY : -((-wall + SECS_PER_DAY - 1) / SECS_PER_DAY);
		int64		secs = wall - days * SECS_PER_DAY;
		int			y,
					m,
					d;
		int			hour = (int) (secs / 3600);
		int			minute = (int) (secs % 3600 / 60);
		int			dow = (int) (((days + 4) % 7 + 7) % 7);
		bool		dom_ok,
					dow_ok,
					day_ok;

		civil_from_days(days, &y, &m, &d);
		if (!(s->months & (1u << m)))
		{
			if (m == 12)
				wall = DqDaysFromCivil(y + 1, 1, 1) * SECS_PER_DAY;
			else
				wall = DqDaysFromCivil(y, m + 1, 1) * SECS_PER_DAY;
			continue;
		}
		dom_ok = (s->doms & (1u << d)) != 0;
		dow_ok = (s->dows & (1u << dow)) != 0;
		if (s->dom_star || s->dow_star)
			day_ok = dom_ok && dow_ok;
		else
			day_ok = dom_ok || dow_ok;
		if (!day_ok)
		{
			wall = (days + 1) * SECS_PER_DAY;
			continue;
		}
		if (!(s->hours & (1u << hour)))
		{
			wall = days * SECS_PER_DAY + (hour + 1) * 3600;
			continue;
		}
		if (s->minutes & (UINT64CONST(1) << minute))
		{
			pg_time_t	inst = wall_to_instant(wall, tz);

			if (inst > after_sec)
				return time_t_to_timestamptz(inst);
		}
		wall += 60;
	}
	return DT_NOEND;
}

TimestampTz
DqScheduleNext(const DqSchedule *sched, TimestampTz after, TimestampTz anchor,
			   pg_tz *tz)
{
	if (sched->is_interval)
	{
		int64		k;

		if (after < anchor)
			return anchor;
		k = (after - anchor) / sched->interval_usec + 1;
		return anchor + k * sched->interval_usec;
	}
	return cron_next(sched, after, tz);
}

/*
 * dq.cron_next(schedule text, after timestamptz, timezone text, anchor timestamptz)
 *		The first time after "after" at which the schedule fires.
 */
PG_FUNCTION_INFO_V1(dq_cron_next);
Datum
dq_cron_next(PG_FUNCTION_ARGS)
{
	DqSchedule	sched;
	TimestampTz after;
	TimestampTz anchor;
	TimestampTz next;
	pg_tz	   *tz;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("schedule must not be NULL"),
				 errhint(SCHEDULE_HINT)));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the time to start from must not be NULL")));
	DqParseSchedule(text_to_cstring(PG_GETARG_TEXT_PP(0)), &sched);
	tz = DqScheduleTimeZone(PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)));
	after = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(after))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the time to start from must be finite")));
	anchor = (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ? PG_GETARG_TIMESTAMPTZ(3) : after;
	next = DqScheduleNext(&sched, after, anchor, tz);
	if (TIMESTAMP_NOT_FINITE(next))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(next);
}
