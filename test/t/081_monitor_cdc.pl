# Freshness and volume monitors read the change stream of watched tables:
# two tables watched at once with different activity each get their own
# freshness (the one that stops being fed gets an anomaly, the other
# not), the age is measured from the table's own last commit, exactly;
# volume counts equal the rows actually inserted, updated and deleted;
# and the counts survive a kill -9 of the change validation worker and an
# immediate shutdown (which resets the statistics counters) without a
# change counted twice.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use DqTest;

my $node = DqTest::new_node('monitor_cdc', create_extension => 1,
	extra => [ 'restart_after_crash = on', 'dq_lineage.cdc_batch_size = 500' ]);
my $db = 'postgres';

ok(DqTest::poll_until($node, $db, "SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs');

$node->safe_psql($db, q{
	CREATE TABLE busy (id bigserial PRIMARY KEY, v int);
	CREATE TABLE quiet (id bigserial PRIMARY KEY, v int);
});
$node->safe_psql($db, "SELECT dq.watch('busy')");
$node->safe_psql($db, "SELECT dq.watch('quiet')");

# Volume monitors run only when asked: each run is one exact comparison.
my $vol_busy = $node->safe_psql($db,
	q{SELECT dq.monitor('busy', 'volume', options => '{"source": "cdc", "schedule": null}')});
my $vol_quiet = $node->safe_psql($db,
	q{SELECT dq.monitor('quiet', 'volume', options => '{"schedule": null}')});
$node->safe_psql($db, "SELECT dq.run_monitor($vol_busy)");
$node->safe_psql($db, "SELECT dq.run_monitor($vol_quiet)");
is($node->safe_psql($db, qq{
	SELECT string_agg(state->>'source', ',' ORDER BY monitor_id) FROM dq.monitor_definitions
	 WHERE monitor_id IN ($vol_busy, $vol_quiet)}), 'cdc,cdc',
	'volume of a watched table reads the change stream, by default too');

my $fresh_busy = $node->safe_psql($db,
	q{SELECT dq.monitor('busy', 'freshness', options => '{"source": "cdc", "schedule": "1 second"}')});
my $fresh_quiet = $node->safe_psql($db,
	q{SELECT dq.monitor('quiet', 'freshness', options => '{"schedule": "1 second"}')});

# The metrics of the last run of a monitor, as metric=value,...
sub last_run
{
	my ($id) = @_;
	return $node->safe_psql($db, qq{
		SELECT string_agg(metric || '=' || value, ',' ORDER BY metric) FROM dq.metric_points
		 WHERE source = 'monitor' AND source_id = $id AND metric LIKE 'rows_%'
		   AND bucket = (SELECT max(bucket) FROM dq.metric_points
						  WHERE source = 'monitor' AND source_id = $id)});
}

#
# Both fed, then only busy.
#
my $fed_until = time() + 25;
my $quiet_rows = 0;
my $busy_rows = 0;
while (time() < $fed_until)
{
	$node->safe_psql($db, 'INSERT INTO busy (v) SELECT 1 FROM generate_series(1, 3)');
	$node->safe_psql($db, 'INSERT INTO quiet (v) VALUES (1)');
	$busy_rows += 3;
	$quiet_rows += 1;
	usleep(1_000_000);
}
my $before_last = $node->safe_psql($db, 'SELECT extract(epoch FROM clock_timestamp())');
$node->safe_psql($db, 'INSERT INTO quiet (v) VALUES (1)');
$quiet_rows += 1;
my $after_last = $node->safe_psql($db, 'SELECT extract(epoch FROM clock_timestamp())');
note "quiet fed for the last time between $before_last and $after_last";
# The worker records that insert a moment after its commit: a poll before
# then still measures the age from the insert before it.
$node->poll_query_until($db, qq{
	SELECT extract(epoch FROM last_commit_time) >= $before_last
	  FROM dq.cdc_table_activity WHERE relid = 'quiet'::regclass})
  or die "the last insert into quiet was not recorded";
my $recorded = $node->safe_psql($db, 'SELECT extract(epoch FROM clock_timestamp())');

my $stale = 0;
my $deadline = time() + 60;
while (!$stale && time() < $deadline)
{
	$node->safe_psql($db, 'INSERT INTO busy (v) SELECT 1 FROM generate_series(1, 3)');
	$busy_rows += 3;
	usleep(500_000);
	$stale = $node->safe_psql($db,
		"SELECT count(*) > 0 FROM dq.anomalies WHERE monitor_id = $fresh_quiet") eq 't';
}
ok($stale, 'the table that stopped being fed gets a freshness anomaly');
is($node->safe_psql($db, "SELECT count(*) FROM dq.anomalies WHERE monitor_id = $fresh_busy"),
	'0', 'the table still fed gets none');
is($node->safe_psql($db, qq{
	SELECT count(*) FROM dq.anomalies
	 WHERE monitor_id = $fresh_quiet AND bucket < to_timestamp($after_last)}),
	'0', 'no anomaly while the table was fed');

my $last_commit = $node->safe_psql($db,
	q{SELECT extract(epoch FROM last_commit_time) FROM dq.cdc_table_activity WHERE relid = 'quiet'::regclass});
ok($last_commit >= $before_last && $last_commit <= $after_last,
	"the recorded last commit of quiet is its last insert ($before_last <= $last_commit <= $after_last)");
is($node->safe_psql($db, qq{
	SELECT bool_and(abs(h.value - (extract(epoch FROM h.bucket) - $last_commit)) < 0.001)
	  FROM dq.metric_points h
	 WHERE h.source = 'monitor' AND h.source_id = $fresh_quiet AND h.metric = 'age_seconds'
	   AND h.bucket > to_timestamp($recorded)}),
	't', 'every age of quiet since its last change was recorded is measured from its own last commit');
is($node->safe_psql($db, qq{
	SELECT bool_and(h.value < 5)
	  FROM dq.metric_points h
	 WHERE h.source = 'monitor' AND h.source_id = $fresh_busy AND h.metric = 'age_seconds'
	   AND h.bucket > to_timestamp($after_last) + interval '2 seconds'}),
	't', 'busy stays fresh meanwhile: its age does not follow quiet\'s');
$node->safe_psql($db, "SELECT dq.unmonitor($fresh_busy); SELECT dq.unmonitor($fresh_quiet)");

#
# Volume: exact counts of what was inserted, updated and deleted.
#
ok(DqTest::cdc_caught_up($node), 'change validation caught up');
$node->safe_psql($db, "SELECT dq.run_monitor($vol_busy)");
$node->safe_psql($db, "SELECT dq.run_monitor($vol_quiet)");
is(last_run($vol_busy), "rows_added=$busy_rows,rows_deleted=0,rows_inserted=$busy_rows,rows_updated=0",
	"volume of busy: the $busy_rows rows inserted");
is(last_run($vol_quiet), "rows_added=$quiet_rows,rows_deleted=0,rows_inserted=$quiet_rows,rows_updated=0",
	"volume of quiet: the $quiet_rows rows inserted");

$node->safe_psql($db, q{
	UPDATE busy SET v = 2 WHERE id <= 10;
	DELETE FROM busy WHERE id IN (SELECT id FROM busy ORDER BY id DESC LIMIT 5);
	BEGIN; INSERT INTO busy (v) VALUES (7); ROLLBACK;
});
ok(DqTest::cdc_caught_up($node), 'caught up after updates and deletes');
$node->safe_psql($db, "SELECT dq.run_monitor($vol_busy)");
is(last_run($vol_busy), 'rows_added=-5,rows_deleted=5,rows_inserted=0,rows_updated=10',
	'updates and deletes counted, a rolled back insert not');

#
# Exactly once across a kill -9 of the worker and an immediate shutdown.
#
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $script = "$tmp/load.sql";
my $sql = '';
$sql .= "INSERT INTO busy (v) SELECT 1 FROM generate_series(1, " . (1 + ($_ * 37) % 200) . ");\n"
  for 1 .. 80;
PostgreSQL::Test::Utils::append_to_file($script, $sql);
my ($out, $err) = ('', '');
my $load = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr($db) . ' application_name=cdc_load', '-f', $script ],
	'>', \$out, '2>', \$err);
usleep(300_000);
my $pid = $node->safe_psql($db,
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'");
kill 'KILL', $pid if $pid ne '';
$load->finish;
ok(DqTest::poll_until($node, $db, 'SELECT 1', '1'),
	'server up after kill -9 of the worker (' . ($pid eq '' ? 'none ran' : "pid $pid") . ')');
$node->safe_psql($db, 'SELECT dq.cdc_start()');
ok(DqTest::cdc_caught_up($node), 'the worker catches up');

# an immediate shutdown throws the statistics counters away; the stream's
# counts are in a table
$node->stop('immediate');
$node->start;
$node->safe_psql($db, 'SELECT dq.cdc_start()');
$node->safe_psql($db, 'INSERT INTO busy (v) VALUES (1), (2)');
ok(DqTest::cdc_caught_up($node), 'caught up after the restart');

my $count = $node->safe_psql($db, 'SELECT count(*) FROM busy');
my $inserted = $count - ($busy_rows - 5);
is($node->safe_psql($db,
		q{SELECT rows_inserted - rows_deleted FROM dq.cdc_table_activity WHERE relid = 'busy'::regclass}),
	$count, "the stream's counts add up to the $count rows of busy");
$node->safe_psql($db, "SELECT dq.run_monitor($vol_busy)");
is(last_run($vol_busy), "rows_added=$inserted,rows_deleted=0,rows_inserted=$inserted,rows_updated=0",
	"volume after the crash: the $inserted rows inserted, each counted once");

#
# Errors: source cdc on a table no longer watched.
#
$node->safe_psql($db, "SELECT dq.unwatch('quiet')");
$node->safe_psql($db, qq{
	UPDATE dq.monitor_definitions SET options = options || '{"source": "cdc"}'
	 WHERE monitor_id = $vol_quiet});
like(DqTest::psql_error($node, $db, "SELECT dq.run_monitor($vol_quiet)") // '',
	qr/not watched by change validation/,
	'source cdc on a table no longer watched: the run fails and says why');
like(DqTest::psql_error($node, $db,
		q{SELECT dq.monitor('quiet', 'freshness', options => '{"source": "cdc"}')}) // '',
	qr/not watched by change validation/, 'dq.monitor refuses source cdc on an unwatched table');

# a dropped table's counts go with it
$node->safe_psql($db, 'DROP TABLE quiet');
is($node->safe_psql($db, 'SELECT count(*) FROM dq.cdc_table_activity'), '1',
	'the counts of a dropped table are removed');

$node->stop;
done_testing();
