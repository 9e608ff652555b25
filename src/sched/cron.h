/*-------------------------------------------------------------------------
 *
 * cron.h
 *	  Job schedules: 5-field cron expressions, @ shortcuts and intervals.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CRON_H
#define DQ_CRON_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"

typedef struct DqSchedule
{
	bool		is_interval;
	int64		interval_usec;	/* is_interval: the period */
	uint64		minutes;		/* bit n: minute n (0-59) */
	uint32		hours;			/* bit n: hour n (0-23) */
	uint32		doms;			/* bit n: day of month n (1-31) */
	uint32		months;			/* bit n: month n (1-12) */
	uint32		dows;			/* bit n: day of week n (0 = Sunday) */
	bool		dom_star;		/* day-of-month field starts with '*' */
	bool		dow_star;		/* day-of-week field starts with '*' */
} DqSchedule;

/* Parse a schedule; raises an error naming the problem if it is invalid. */
extern void DqParseSchedule(const char *text, DqSchedule *sched);

/* The time zone a schedule is evaluated in: name, or dq_lineage.timezone, or TimeZone. */
extern pg_tz *DqScheduleTimeZone(const char *name);

/*
 * First firing strictly after "after".  Interval schedules fire at
 * anchor + k * period.  Returns DT_NOEND when a cron schedule never fires
 * within five years (for example "0 0 30 2 *").
 */
extern TimestampTz DqScheduleNext(const DqSchedule *sched, TimestampTz after,
								  TimestampTz anchor, pg_tz *tz);

#endif							/* DQ_CRON_H */
