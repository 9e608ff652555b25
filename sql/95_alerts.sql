-- Alerts: routes and their bad input, alerts raised by validation results,
-- violations and job runs in the same transaction, deduplication,
-- acknowledge / resolve / snooze, dq.raise_alert, visibility.
-- (Delivery itself is asynchronous: the TAP test 085_alerts.pl covers it;
-- here only the queued deliveries are looked at, never their status.)
\set VERBOSITY terse
SET TimeZone = 'UTC';
CREATE TABLE alert_orders (id int PRIMARY KEY, amount int, email text);
INSERT INTO alert_orders
	SELECT g, CASE WHEN g % 10 = 0 THEN -g ELSE g END, 'u' || g || '@example.org'
	  FROM generate_series(1, 50) g;
SELECT dq.expect('alert_orders', 'expect_column_values_to_be_between', 'amount',
				 '{"min_value": 0}') AS e_amount \gset
SELECT dq.expect('alert_orders', 'expect_column_values_to_not_be_null', 'email',
				 severity => 'warn', name => 'email present') AS e_email \gset

-- routes (none may reach a receiver: the hosts below do not resolve)
SELECT dq.alert_route('r_notify', '{"relation": "public.alert_*"}', 'notify', 'dq_regress_alerts') > 0 AS created;
SELECT dq.alert_route('r_hook', '{"source": ["validation", "job"], "min_severity": "error"}',
					  'webhook', 'https://hooks.example.invalid/dq?token=abc',
					  '{"timeout_ms": 2000, "max_attempts": 1000,
						"headers": {"Authorization": "Bearer xyz"}}') AS r_hook \gset
SELECT dq.alert_route('r_slack', '{"severity": "warn"}', 'slack',
					  'https://hooks.slack.invalid/services/T0/B0/XXXX', '{"max_attempts": 1000}') > 0 AS created;
SELECT dq.alert_route('r_pd', '{"source": "monitor"}', 'pagerduty', 'R0UT1NGKEY0123456789abcdef012345',
					  '{"url": "https://events.pagerduty.invalid/v2/enqueue", "max_attempts": 1000}') > 0 AS created;
SELECT name, channel, match, options, owner = current_user AS mine, enabled
  FROM dq.alert_routes ORDER BY name;
-- the same name again replaces the route
SELECT dq.alert_route('r_hook', '{"source": ["validation", "job"], "min_severity": "error"}',
					  'webhook', 'https://hooks.example.invalid/dq?token=abc',
					  '{"timeout_ms": 3000, "max_attempts": 1000}') = :r_hook AS same_route;
SELECT options FROM dq.alert_routes WHERE name = 'r_hook';

-- bad input: every call fails with a SQLSTATE and writes nothing
\set VERBOSITY default
SELECT dq.alert_route('bad', '{}', 'email', 'ops@example.org');
SELECT dq.alert_route('bad', '{}', 'webhook', 'not a url');
SELECT dq.alert_route('bad', '{}', 'webhook', 'http://');
SELECT dq.alert_route('bad', '{}', 'webhook', 'ftp://files.example.org/secret-token-123');
SELECT dq.alert_route('bad', '{}', 'slack', 'file:///etc/passwd');
SELECT dq.alert_route('bad', '{"colour": "red"}', 'notify', 'c');
SELECT dq.alert_route('bad', '{"source": "nosuch"}', 'notify', 'c');
SELECT dq.alert_route('bad', '{"severity": []}', 'notify', 'c');
SELECT dq.alert_route('bad', '{"min_severity": ["warn"]}', 'notify', 'c');
SELECT dq.alert_route('bad', '{"relation": 5}', 'notify', 'c');
SELECT dq.alert_route('bad', '{"owner": "regress_no_such_role"}', 'notify', 'c');
SELECT dq.alert_route('bad', '[]', 'notify', 'c');
SELECT dq.alert_route('bad', '{}', 'notify', 'c', '{"retries": 3}');
SELECT dq.alert_route('bad', '{}', 'notify', 'c', '{"headers": {}}');
SELECT dq.alert_route('bad', '{}', 'webhook', 'https://x.example.invalid', '{"timeout_ms": 0}');
SELECT dq.alert_route('bad', '{}', 'webhook', 'https://x.example.invalid', '{"max_attempts": "3"}');
SELECT dq.alert_route('bad', '{}', 'webhook', 'https://x.example.invalid', '{"headers": {"X-A": "a\nb"}}');
SELECT dq.alert_route('bad', '{}', 'webhook', 'https://x.example.invalid', '{"headers": {"bad header": "x"}}');
SELECT dq.alert_route('bad', '{}', 'pagerduty', 'not a key!');
SELECT dq.alert_route('bad', '{}', 'pagerduty', 'KEY', '{"url": "gopher://pd.example.invalid/"}');
SELECT dq.alert_route('bad', '{}', 'notify', '');
SELECT dq.alert_route(NULL, '{}', 'notify', 'c');
SELECT dq.alert_route('bad', '{}', NULL, 'c');
SELECT dq.alert_route('', '{}', 'notify', 'c');
-- allowed hosts: an ordinary role cannot make the server POST anywhere
SET dq_lineage.alert_allowed_hosts = 'hooks.example.invalid, *.slack.invalid';
SELECT dq.alert_route('bad', '{}', 'webhook', 'http://169.254.169.254/latest/meta-data/?token=x');
SELECT dq.alert_route('bad', '{}', 'slack', 'https://slack.invalid/x');
SELECT dq.alert_route('ok_sub', '{}', 'slack', 'https://a.b.slack.invalid/x') > 0 AS allowed;
SELECT dq.drop_alert_route('ok_sub');
SET dq_lineage.alert_allowed_hosts = 'a host';
RESET dq_lineage.alert_allowed_hosts;
\set VERBOSITY terse
SELECT count(*) AS written FROM dq.alert_routes WHERE name IN ('bad', 'ok_sub');

-- a failing validation raises one alert per failing expectation, and queues
-- one delivery per matching route
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT source, source_key = 'expectation:' || :e_amount AS key_ok, severity, state, title,
	   occurrences, body->'sample' AS sample, body->'unexpected_count' AS unexpected,
	   body->'expected' AS expected, relid = 'alert_orders'::regclass AS relid_ok,
	   column_name, owner = current_user AS owner_ok
  FROM dq.alerts WHERE relid = 'alert_orders'::regclass ORDER BY alert_id;
SELECT alert_id AS a_amount FROM dq.alerts
 WHERE source_key = 'expectation:' || :e_amount AND state = 'open' \gset
SELECT route_name, channel, event, idempotency_key ~ ('^dq-[0-9]+-[0-9]+-' || :a_amount || '-trigger-1$') AS key_ok
  FROM dq.alert_deliveries WHERE alert_id = :a_amount ORDER BY route_name;
-- the same failure four more times: one open alert with count 5, nothing more queued
SELECT count(*) AS runs FROM (SELECT dq.validate('alert_orders') FROM generate_series(1, 4)) v;
SELECT state, occurrences, notifications FROM dq.alerts WHERE alert_id = :a_amount;
SELECT count(*) AS deliveries FROM dq.alert_deliveries WHERE alert_id = :a_amount;
-- a warn expectation: its severity, its name in the title
UPDATE alert_orders SET email = NULL WHERE id = 3;
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT severity, title FROM dq.alerts WHERE source_key = 'expectation:' || :e_email;
SELECT d.route_name FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
 WHERE a.source_key = 'expectation:' || :e_email ORDER BY 1;
-- a rolled-back failure leaves nothing behind
SELECT occurrences AS occ_before FROM dq.alerts WHERE alert_id = :a_amount \gset
BEGIN;
UPDATE alert_orders SET amount = -1000 WHERE id = 1;
SELECT dq.validate('alert_orders', raise_on_failure => true);
ROLLBACK;
SELECT occurrences = :occ_before AS unchanged FROM dq.alerts WHERE alert_id = :a_amount;

-- acknowledge
SELECT dq.ack_alert(:a_amount) AS acked, dq.ack_alert(:a_amount) AS again;
SELECT state, acknowledged_by = current_user AS by_me FROM dq.alerts WHERE alert_id = :a_amount;
SELECT route_name, event, idempotency_key ~ '-acknowledge-1$' AS key_ok
  FROM dq.alert_deliveries WHERE alert_id = :a_amount AND event <> 'trigger' ORDER BY 1;
-- the check passes: resolved, and a resolve for each route that had the alert
UPDATE alert_orders SET amount = abs(amount);
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT state, resolution, resolved_by, resolved_at IS NOT NULL AS resolved_at
  FROM dq.alerts WHERE alert_id = :a_amount;
SELECT route_name, event FROM dq.alert_deliveries WHERE alert_id = :a_amount ORDER BY delivery_id;
\set VERBOSITY sqlstate
SELECT dq.ack_alert(:a_amount);
\set VERBOSITY terse
SELECT dq.resolve_alert(:a_amount) AS resolved;
-- the next failure opens a new alert
UPDATE alert_orders SET amount = -1 WHERE id = 1;
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT count(*) AS alerts, count(*) FILTER (WHERE state = 'open') AS open
  FROM dq.alerts WHERE source_key = 'expectation:' || :e_amount;
SELECT alert_id AS a2 FROM dq.alerts
 WHERE source_key = 'expectation:' || :e_amount AND state = 'open' \gset

-- snooze: nothing more is sent before the end; the first failure after it notifies again
SELECT dq.snooze_alert(:a2, now() - interval '1 hour');
SELECT dq.snooze_alert(:a2, 'infinity');
SELECT dq.snooze_alert(:a2, now() + interval '1 hour');
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT state, occurrences, notifications, snoozed_until > now() AS snoozed
  FROM dq.alerts WHERE alert_id = :a2;
SELECT snoozed FROM dq.open_alerts WHERE alert_id = :a2;
SELECT dq.snooze_alert(:a2, NULL);
SELECT dq.validate('alert_orders') > 0 AS validated;
SELECT state, occurrences, notifications, snoozed_until FROM dq.alerts WHERE alert_id = :a2;
SELECT route_name, idempotency_key ~ '-trigger-2$' AS second_round
  FROM dq.alert_deliveries WHERE alert_id = :a2 AND event = 'trigger' ORDER BY delivery_id;
-- resolve by hand
SELECT dq.resolve_alert(:a2) AS resolved, dq.resolve_alert(:a2) AS again;
SELECT state, resolution, resolved_by = current_user AS by_me FROM dq.alerts WHERE alert_id = :a2;
\set VERBOSITY sqlstate
SELECT dq.snooze_alert(:a2, now() + interval '1 hour');
\set VERBOSITY terse
SELECT dq.ack_alert(-1);
SELECT dq.resolve_alert(NULL);

-- violations (as the change validation worker records them): one alert per
-- table and expectation while they keep coming
INSERT INTO dq.violations (expectation_id, relid, schema_name, table_name, operation, lsn,
						   change_seq, xid, commit_time, unexpected)
SELECT :e_amount, 'alert_orders'::regclass, 'public', 'alert_orders', 'INSERT', '0/10'::pg_lsn,
	   g, 1000, now(), jsonb_build_object('amount', -g)
  FROM generate_series(1, 30) g;
INSERT INTO dq.violations (expectation_id, relid, schema_name, table_name, operation, lsn,
						   change_seq, xid, commit_time, unexpected)
SELECT :e_amount, 'alert_orders'::regclass, 'public', 'alert_orders', 'UPDATE', '0/20'::pg_lsn,
	   g, 1001, now(), jsonb_build_object('amount', -g)
  FROM generate_series(31, 40) g;
SELECT source, state, title, occurrences, body->'violations' AS last_batch, body->'sample' AS sample
  FROM dq.alerts WHERE source = 'violation' ORDER BY alert_id;
-- after a quiet window (dq_lineage.alert_violation_window, 5 minutes) a new burst is a new alert
INSERT INTO dq.violations (expectation_id, relid, schema_name, table_name, operation, lsn,
						   change_seq, xid, commit_time, unexpected)
VALUES (:e_amount, 'alert_orders'::regclass, 'public', 'alert_orders', 'INSERT', '0/30',
		1, 1002, now() + interval '10 minutes', '{"amount": -7}');
SELECT state, resolution, occurrences FROM dq.alerts WHERE source = 'violation' ORDER BY alert_id;

-- job runs: a failed run raises its job's alert, a successful run resolves it
INSERT INTO dq.jobs (job_name, schedule, command, owner, superuser, enabled)
VALUES ('alert job', '0 0 1 1 *', 'SELECT 1/0', current_user::regrole, true, false)
RETURNING job_id AS job \gset
INSERT INTO dq.job_runs (job_id, scheduled_at, status) VALUES (:job, now(), 'starting')
RETURNING run_id AS run1 \gset
UPDATE dq.job_runs SET status = 'running' WHERE run_id = :run1;
SELECT count(*) AS job_alerts FROM dq.alerts WHERE source = 'job';
UPDATE dq.job_runs SET status = 'failed', ended_at = now(), sqlstate = '22012',
	   message = E'division by zero\nCONTEXT: SQL statement' WHERE run_id = :run1;
INSERT INTO dq.job_runs (job_id, scheduled_at, ended_at, status, sqlstate, message)
VALUES (:job, now(), now(), 'failed', '22012', 'division by zero');
SELECT source, source_key = 'job:' || :job AS key_ok, severity, state, title, occurrences,
	   body->>'sqlstate' AS sqlstate, body->>'job_name' AS job_name, relid, owner = current_user AS owner_ok
  FROM dq.alerts WHERE source = 'job';
INSERT INTO dq.job_runs (job_id, scheduled_at, ended_at, status)
VALUES (:job, now(), now(), 'succeeded');
SELECT state, resolution FROM dq.alerts WHERE source = 'job';
SELECT route_name, event FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
 WHERE a.source = 'job' ORDER BY delivery_id;

-- a disabled route takes no new alerts
SELECT dq.set_alert_route_enabled('r_pd', false) AS disabled;
SELECT dq.raise_alert('monitor', 'paused:alert_orders', 'warn', 'while r_pd is disabled') AS m0 \gset
SELECT route_name FROM dq.alert_deliveries WHERE alert_id = :m0 ORDER BY 1;
SELECT dq.set_alert_route_enabled('r_pd', true) AS enabled,
	   dq.set_alert_route_enabled('nosuch', true) AS missing;
SELECT dq.clear_alert('monitor', 'paused:alert_orders') AS cleared;

-- monitors raise their own alerts
SELECT dq.raise_alert('monitor', 'freshness:alert_orders', 'warn', 'alert_orders not updated for 49 hours',
					  '{"age_hours": 49}', 'alert_orders') AS m1 \gset
SELECT dq.raise_alert('monitor', 'freshness:alert_orders', 'critical', 'alert_orders not updated for 73 hours',
					  '{"age_hours": 73}', 'alert_orders') = :m1 AS same_alert;
SELECT source, severity, title, body, occurrences, relid = 'alert_orders'::regclass AS relid_ok
  FROM dq.alerts WHERE alert_id = :m1;
SELECT route_name, channel FROM dq.alert_deliveries WHERE alert_id = :m1 ORDER BY 1;
SELECT dq.clear_alert('monitor', 'freshness:alert_orders') AS cleared,
	   dq.clear_alert('monitor', 'freshness:alert_orders') AS again;
SELECT dq.raise_alert('anomaly', 'row_count:alert_orders', 'error', 'row count dropped', column_name => 'amount');
SELECT dq.raise_alert('anomaly', 'row_count:alert_orders', 'error', 'row count dropped',
					  rel => 'alert_orders', column_name => 'nosuch');
SELECT dq.raise_alert('validation', 'x', 'error', 'forged');
SELECT dq.raise_alert('monitor', 'x', 'fatal', 'wrong severity');
SELECT dq.raise_alert('monitor', 'x', 'error', 'body', '[1, 2]');
SELECT dq.raise_alert('monitor', '', 'error', 'empty key');
SELECT dq.raise_alert('monitor', 'x', 'error', NULL);
SELECT dq.raise_alert('nosuch', 'x', 'error', 'unknown source');
SELECT dq.clear_alert('job', 'job:1');

-- who sees what: alerts about a relation to roles that may read it, routes
-- to their owners only; writes go through the functions
CREATE ROLE regress_alert_user;
SET ROLE regress_alert_user;
SELECT count(*) AS alerts_seen FROM dq.alerts;
SELECT count(*) AS routes_seen FROM dq.alert_routes;
SELECT count(*) AS deliveries_seen FROM dq.alert_deliveries;
SELECT dq.raise_alert('monitor', 'x', 'error', 'not granted');
-- (messages name the owner: the role running the test)
\set VERBOSITY sqlstate
SELECT dq.drop_alert_route('r_hook');
SELECT dq.alert_route('r_hook', '{}', 'notify', 'mine');
SELECT dq.set_alert_route_enabled('r_hook', false);
SELECT dq.ack_alert(:m1);
\set VERBOSITY terse
INSERT INTO dq.alerts (source, source_key, severity, title) VALUES ('monitor', 'x', 'error', 'forged');
UPDATE dq.alert_routes SET target = 'https://attacker.invalid/';
SET dq_lineage.alert_allowed_hosts = '';
SELECT dq.alert_route('user_route', '{}', 'notify', 'user_channel') > 0 AS created;
SELECT name, target, owner = current_user AS mine FROM dq.alert_routes;
RESET ROLE;
-- a route gets only the alerts its owner may see
SELECT dq.raise_alert('monitor', 'volume:alert_orders', 'error', 'volume dropped', rel => 'alert_orders') AS m2 \gset
SELECT count(*) AS user_deliveries FROM dq.alert_deliveries WHERE route_name = 'user_route';
GRANT SELECT ON alert_orders TO regress_alert_user;
SELECT dq.raise_alert('monitor', 'volume2:alert_orders', 'error', 'volume dropped again', rel => 'alert_orders') AS m3 \gset
SELECT count(*) AS user_deliveries FROM dq.alert_deliveries WHERE route_name = 'user_route';
SET ROLE regress_alert_user;
SELECT title FROM dq.alerts WHERE source = 'monitor' AND state = 'open' ORDER BY alert_id;
SELECT dq.ack_alert(:m3) AS acked;
SELECT dq.drop_alert_route('user_route') AS dropped, dq.drop_alert_route('user_route') AS again;
RESET ROLE;

-- clean up
SELECT dq.drop_alert_route(name) FROM dq.alert_routes ORDER BY name;
DELETE FROM dq.job_runs WHERE job_id = :job;
DELETE FROM dq.jobs WHERE job_id = :job;
DELETE FROM dq.violations WHERE relid = 'alert_orders'::regclass;
REVOKE ALL ON alert_orders FROM regress_alert_user;
DROP ROLE regress_alert_user;
DROP TABLE alert_orders;
