/*-------------------------------------------------------------------------
 *
 * calendar.h
 *	  Day numbers of proleptic Gregorian dates, for any year (unlike
 *	  date2j, which stops at the limits of the date type).  The scheduler
 *	  counts cron fields with it and the HTML report reads ISO dates with
 *	  it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_CALENDAR_H
#define DQ_CALENDAR_H

#include "postgres.h"

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's method). */
static inline int64
DqDaysFromCivil(int64 y, int m, int d)
{
	int64		era;
	int64		yoe;
	int64		doy;
	int64		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

#endif							/* DQ_CALENDAR_H */
