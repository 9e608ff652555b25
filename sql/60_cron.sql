-- dq.cron_next: the schedule arithmetic the scheduler itself uses
\set VERBOSITY default
SET TimeZone = 'UTC';
-- steps, ranges with steps, lists, names
SELECT s, dq.cron_next(s, '2026-01-01 00:58:30+00', 'UTC') AS next
  FROM unnest(ARRAY['*/7 * * * *', '1-5/2 * * * *', '10,20,30 * * * *', '5/20 * * * *',
					'0 9 * * mon-fri', '0 9 * * MON-FRI', '0 0 * jan,jul *', '0 0 * * 7',
					'0 0 * * 0', '15 14 1 * *', '@hourly', '@daily', '@weekly',
					'@monthly', '@yearly', '@annually', '@midnight', '* * * * *']) AS s;
-- each step of */7 within an hour, and its wrap to the next hour
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('*/7 * * * *', '2026-01-01 00:00:00+00', 'UTC')
	UNION ALL
	SELECT n + 1, dq.cron_next('*/7 * * * *', at, 'UTC') FROM t WHERE n < 10)
SELECT string_agg(to_char(at, 'HH24:MI'), ' ' ORDER BY n) FROM t;
-- 1-5/2 fires at minutes 1, 3, 5 only
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('1-5/2 * * * *', '2026-01-01 00:00:00+00', 'UTC')
	UNION ALL
	SELECT n + 1, dq.cron_next('1-5/2 * * * *', at, 'UTC') FROM t WHERE n < 5)
SELECT string_agg(to_char(at, 'HH24:MI'), ' ' ORDER BY n) FROM t;
-- day of month AND day of week both restricted: either matches (Vixie cron)
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('0 0 13 * 5', '2026-04-01 00:00:00+00', 'UTC')
	UNION ALL
	SELECT n + 1, dq.cron_next('0 0 13 * 5', at, 'UTC') FROM t WHERE n < 5)
SELECT string_agg(to_char(at, 'Dy DD Mon'), ', ' ORDER BY n) FROM t;
-- one of them is '*': only the other restricts
SELECT dq.cron_next('0 0 13 * *', '2026-02-01+00', 'UTC') AS dom_only,
	   dq.cron_next('0 0 * * 5', '2026-02-01+00', 'UTC') AS dow_only,
	   dq.cron_next('0 0 */2 * 5', '2026-02-01+00', 'UTC') AS star_step_dom;
-- February 29: the next leap day
SELECT dq.cron_next('0 12 29 2 *', '2026-01-01+00', 'UTC') AS leap_day,
	   dq.cron_next('0 12 29 2 *', '2028-02-29 12:00+00', 'UTC') AS after_leap_day;
-- a schedule that never fires gives NULL
SELECT dq.cron_next('0 0 30 2 *', '2026-01-01+00', 'UTC') AS february_30;
-- time zones: 09:00 in New York and in Tokyo
SELECT dq.cron_next('0 9 * * *', '2026-06-01 00:00+00', 'America/New_York') AS new_york,
	   dq.cron_next('0 9 * * *', '2026-06-01 00:00+00', 'Asia/Tokyo') AS tokyo;
-- DST, Europe/Berlin, spring forward on 2026-03-29 (02:00 CET -> 03:00 CEST):
-- 02:30 does not exist that day and fires once at the change (01:00 UTC)
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('30 2 * * *', '2026-03-27 12:00+00', 'Europe/Berlin')
	UNION ALL
	SELECT n + 1, dq.cron_next('30 2 * * *', at, 'Europe/Berlin') FROM t WHERE n < 3)
SELECT n, at, at AT TIME ZONE 'Europe/Berlin' AS berlin FROM t;
-- every 15 minutes across the gap: no run repeated, none at a wall time that does not exist
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('*/15 * * * *', '2026-03-29 00:20+00', 'Europe/Berlin')
	UNION ALL
	SELECT n + 1, dq.cron_next('*/15 * * * *', at, 'Europe/Berlin') FROM t WHERE n < 5)
SELECT string_agg(to_char(at, 'HH24:MI') || 'Z', ' ' ORDER BY n) FROM t;
-- fall back on 2026-10-25 (03:00 CEST -> 02:00 CET): 02:30 happens twice, fires once (the first)
WITH RECURSIVE t(n, at) AS (
	SELECT 1, dq.cron_next('30 2 * * *', '2026-10-24 12:00+00', 'Europe/Berlin')
	UNION ALL
	SELECT n + 1, dq.cron_next('30 2 * * *', at, 'Europe/Berlin') FROM t WHERE n < 3)
SELECT n, at, at AT TIME ZONE 'Europe/Berlin' AS berlin FROM t;
-- intervals: sub-minute, anchored
SELECT dq.cron_next('30 seconds', '2026-01-01 00:00:10+00') AS plain,
	   dq.cron_next('30 seconds', '2026-01-01 00:00:10+00', NULL, '2026-01-01 00:00:00+00') AS anchored,
	   dq.cron_next('1 hour 30 minutes', '2026-01-01 00:00:00+00') AS longer,
	   dq.cron_next('PT2S', '2026-01-01 00:00:00+00') AS iso8601,
	   dq.cron_next('1 day', '2026-01-01 00:00:00+00', NULL, '2025-12-31 06:00:00+00') AS daily;
-- dq_lineage.timezone is the default zone; TimeZone when it is empty
SELECT dq.cron_next('0 9 * * *', '2026-06-01 00:00+00') AS utc_default;
-- bad input
SELECT dq.cron_next('61 * * * *', now());
SELECT dq.cron_next('* * * *', now());
SELECT dq.cron_next('* * 0 * *', now());
SELECT dq.cron_next('0 24 * * *', now());
SELECT dq.cron_next('5-1 * * * *', now());
SELECT dq.cron_next('*/0 * * * *', now());
SELECT dq.cron_next('* * * foo *', now());
SELECT dq.cron_next('@reboot', now());
SELECT dq.cron_next('every minute', now());
SELECT dq.cron_next('1 month', now());
SELECT dq.cron_next('500 milliseconds', now());
SELECT dq.cron_next('  ', now());
SELECT dq.cron_next(NULL, now());
SELECT dq.cron_next('@daily', NULL);
SELECT dq.cron_next('@daily', now(), 'Mars/Olympus');
SELECT dq.cron_next('@daily', 'infinity');
RESET TimeZone;
