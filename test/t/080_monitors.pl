# Monitors end to end, on the scheduler: a table fed every second stops
# being fed and its freshness monitor records an anomaly within one poll
# interval plus the learned tolerance, announced by NOTIFY dq_anomaly; a
# column dropped under a view records a schema change naming the view's
# column as impacted; freshness and volume monitors of many tables run in
# one scheduled pass without a sequential scan of any of them; a monitor
# of a dropped table stops and its job goes on; pg_dump and restore keep
# the monitors and the metric history.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use DqTest;

my $node = DqTest::new_node('monitors', create_extension => 1);
my $db = 'postgres';

ok(DqTest::poll_until($node, $db, "SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs');

#
# Freshness: fed every second, then not any more.
#
$node->safe_psql($db, q{
	CREATE TABLE feed (id bigserial PRIMARY KEY, v int);
	SELECT dq.monitor('feed', 'freshness', options => '{"schedule": "1 second"}');
});
my $interval = 1;

# Each insert comes from its own connection: a backend's statistics reach
# the shared counters at the latest when it exits.
my $fed_until = time() + 25;
while (time() < $fed_until)
{
	$node->safe_psql($db, 'INSERT INTO feed (v) VALUES (1)');
	usleep(1_000_000);
}
my $last_change = $node->safe_psql($db,
	'SELECT extract(epoch FROM clock_timestamp())');
note "feeding stopped at $last_change";

ok(DqTest::poll_until($node, $db,
		q{SELECT count(*) > 0 FROM dq.anomalies WHERE table_name = 'feed' AND kind = 'freshness'},
		't', 60),
	'a stale table gets a freshness anomaly');
my ($delay, $upper, $training) = split /\|/, $node->safe_psql($db, qq{
	SELECT round((extract(epoch FROM a.bucket) - $last_change)::numeric, 2), round(a.upper::numeric, 2),
		   (SELECT count(*) FROM dq.metric_points h
			 WHERE h.source = 'monitor' AND h.source_id = a.monitor_id AND h.bucket < a.bucket)
	  FROM dq.anomalies a WHERE a.table_name = 'feed' AND a.kind = 'freshness'
	 ORDER BY a.bucket LIMIT 1});
note "first freshness anomaly ${delay}s after the last change; tolerance (band) ${upper}s; "
  . "$training points of training";
# one poll interval plus the tolerance, plus a second for the scheduler to
# start the poll's worker on a busy machine
ok($delay <= $interval + $upper + 1,
	"the anomaly came within one interval plus the tolerance ($delay <= $interval + $upper + 1)");
is($node->safe_psql($db, q{
	SELECT count(*) FROM dq.anomalies a
	 WHERE a.table_name = 'feed' AND a.kind = 'freshness'
	   AND a.bucket < to_timestamp(} . $last_change . q{)}), '0',
	'no freshness anomaly while the table was fed');
# A staleness is one anomaly: later polls of the unchanged table record the
# age without raising another; the first change ends the episode.
ok(DqTest::poll_until($node, $db, qq{
	SELECT count(*) >= 4 FROM dq.metric_points h JOIN dq.monitors m ON m.monitor_id = h.source_id
	 WHERE h.source = 'monitor' AND m.table_name = 'feed' AND h.bucket > to_timestamp($last_change)},
		't', 60),
	'the age is still recorded at every poll');
is($node->safe_psql($db, q{
	SELECT count(*) FROM dq.anomalies WHERE table_name = 'feed' AND kind = 'freshness'}), '1',
	'one anomaly for one staleness');
$node->safe_psql($db, 'INSERT INTO feed (v) VALUES (1)');
ok(DqTest::poll_until($node, $db, q{
	SELECT m.state->'stale_since' = 'null' FROM dq.monitor_definitions m
	 WHERE m.relid = 'feed'::regclass AND m.kind = 'freshness'},
		't', 60),
	'the next change ends the staleness');
is($node->safe_psql($db, q{
	SELECT string_agg(DISTINCT r.status, ',') FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name LIKE 'monitors %'}), 'succeeded',
	'the monitors job ran as its owner and succeeded every time');
$node->safe_psql($db, q{SELECT dq.unmonitor('feed')});
is($node->safe_psql($db, q{SELECT count(*) FROM dq.jobs WHERE job_name LIKE 'monitors %'}),
	'0', 'the job went with the last monitor of its schedule');

#
# NOTIFY dq_anomaly with a JSON payload.
#
my $notified = $node->safe_psql($db, q{
	CREATE TABLE spiky (created_at timestamptz NOT NULL, v numeric);
	CREATE INDEX ON spiky (created_at);
	INSERT INTO spiky SELECT '2024-01-01 00:00+00'::timestamptz + d * interval '1 day' + r * interval '1 minute',
						  CASE WHEN d = 20 THEN 500 ELSE 100 END + r % 7
					   FROM generate_series(0, 29) d, generate_series(0, 99) r;
	LISTEN dq_anomaly;
	SELECT dq.run_monitor(dq.monitor('spiky', 'column', 'v',
		'{"watermark": "created_at", "metrics": ["mean"], "schedule": null}'));
	SELECT 'done';
});
my ($payload) = $notified =~ /Asynchronous notification "dq_anomaly" with payload "(\{.*\})" received/;
ok(defined $payload, 'the anomaly was announced by NOTIFY dq_anomaly');
like($payload // '', qr/"kind": "column"/, 'the payload names the kind');
like($payload // '', qr/"table": "spiky"/, 'the payload names the table');
like($payload // '', qr/"metric": "mean", "schema": "public"/, 'the payload names the metric and schema');
like($payload // '', qr/"anomaly_id": \d+/, 'the payload has the anomaly id');

#
# Schema: a column dropped under a view.
#
$node->safe_psql($db, q{
	CREATE TABLE orders (id int PRIMARY KEY, amount numeric, note text);
	CREATE VIEW big_orders AS SELECT id, amount * 2 AS double_amount FROM orders WHERE amount > 100;
	SELECT dq.monitor('orders', 'schema', options => '{"schedule": "1 second"}');
	ALTER TABLE orders DROP COLUMN amount CASCADE;
});
is($node->safe_psql($db, q{
	SELECT c.change || ' ' || c.column_name || ' by ' || c.changed_by || ': '
		   || string_agg(i ->> 'table' || '.' || coalesce(i ->> 'column', '*'), ', '
						 ORDER BY i ->> 'table', coalesce(i ->> 'column', '*'))
	  FROM dq.schema_changes c, jsonb_array_elements(c.impacted) i
	 WHERE c.table_name = 'orders' GROUP BY c.change_id, c.change, c.column_name, c.changed_by}),
	'column_dropped amount by ' . $node->safe_psql($db, 'SELECT current_user')
	  . ': big_orders.*, big_orders.double_amount',
	"the dropped column's schema change names the view's column as impacted");
is($node->safe_psql($db, q{
	SELECT severity || ' ' || (detail -> 'impacted' -> 0 ->> 'table')
	  FROM dq.anomalies WHERE table_name = 'orders' AND kind = 'schema'}),
	'error big_orders', 'and is an anomaly of severity error');

#
# Freshness and volume of 100 tables in one scheduled pass, without a
# sequential scan of any of them.
#
$node->safe_psql($db, q{
	SELECT dq.unmonitor('orders');
	CREATE SCHEMA many;
	SELECT format('CREATE TABLE many.t%s (id int PRIMARY KEY, v int); INSERT INTO many.t%s SELECT g, g FROM generate_series(1, 10) g',
				  g, g) FROM generate_series(1, 100) g \gexec
});
# counters flushed before they are read
$node->safe_psql($db, 'SELECT pg_stat_force_next_flush()');
my $seq_before = $node->safe_psql($db,
	q{SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = 'many'});
$node->safe_psql($db, q{
	SELECT count(dq.monitor(c.oid::regclass, k, options => '{"schedule": "2 seconds"}'))
	  FROM pg_class c, (VALUES ('freshness'), ('volume')) x(k)
	 WHERE c.relnamespace = 'many'::regnamespace AND c.relkind = 'r'});
ok(DqTest::poll_until($node, $db, q{
	SELECT count(*) >= 3 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name LIKE 'monitors % 2 seconds' AND r.status = 'succeeded'}, 't', 60),
	'the scheduled pass over 200 monitors ran three times');
is($node->safe_psql($db, q{
	SELECT count(*) FROM dq.monitor_definitions
	 WHERE schedule = '2 seconds' AND last_run_at IS NOT NULL AND last_error IS NULL}), '200',
	'every monitor ran without error');
is($node->safe_psql($db, q{
	SELECT count(DISTINCT source_id) FROM dq.metric_points
	 WHERE source = 'monitor' AND metric IN ('age_seconds', 'rows_inserted')
	   AND relid IN (SELECT oid FROM pg_class WHERE relnamespace = 'many'::regnamespace)}), '200',
	'every monitor recorded its metric');
$node->safe_psql($db, 'SELECT pg_stat_force_next_flush()');
is($node->safe_psql($db,
		q{SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = 'many'}),
	$seq_before, 'no sequential scan of the monitored tables');

#
# A monitor of a dropped table stops and says why; its job goes on.
#
$node->safe_psql($db, 'DROP TABLE many.t1');
is($node->safe_psql($db, q{
	SELECT string_agg(DISTINCT status, ',') FROM dq.monitors
	 WHERE table_name = 't1' AND schema_name = 'many'}),
	'stopped: relation many.t1 was dropped by ' . $node->safe_psql($db, 'SELECT current_user'),
	'monitors of a dropped table stop and say why');
my $runs = $node->safe_psql($db, q{
	SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name LIKE 'monitors % 2 seconds'});
ok(DqTest::poll_until($node, $db, qq{
	SELECT count(*) > $runs + 1 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name LIKE 'monitors % 2 seconds' AND r.status = 'succeeded'},
		't', 60),
	'the job goes on after the drop');
is($node->safe_psql($db, q{
	SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name LIKE 'monitors % 2 seconds' AND r.status = 'failed'}), '0',
	'and never failed');

#
# pg_dump and restore: the monitors' history is dumped; that of profiles is
# derived again when the profiles are restored (dumping it too would make
# the restore fail on duplicate keys).
#
$node->safe_psql($db, q{
	INSERT INTO many.t2 VALUES (-1, 1), (-2, 2), (-3, NULL);
	SELECT dq.profile('many.t2');
});
my $profile_metrics = $node->safe_psql($db,
	q{SELECT count(*) FROM dq.metric_points WHERE source = 'profile'});
ok($profile_metrics > 0, 'the profile fed the metric history');
my $dump = $node->basedir . '/monitors.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr($db) ],
	'pg_dump with monitors');
$node->safe_psql($db, 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ],
	'pg_restore into a new database');
is($node->safe_psql('restored',
		q{SELECT count(*) FROM dq.metric_points WHERE source = 'profile'}),
	$profile_metrics, 'the metrics of the restored profiles are there once');
ok($node->safe_psql('restored', q{
	SELECT count(*) FILTER (WHERE source = 'monitor') > 0
	   AND (SELECT count(*) FROM dq.monitor_definitions) > 0
	  FROM dq.metric_points}) eq 't',
	'monitors and their history were restored');

$node->stop;
done_testing();
