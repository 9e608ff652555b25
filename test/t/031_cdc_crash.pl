# Change validation is exactly once under crashes: trials that each run an
# insert load, kill -9 a backend (the worker or the loading session) at a
# random moment so that the server goes through crash recovery, restart
# the worker, and check that every committed violating row is recorded
# exactly once, and every committed row counted once in the table's
# activity.  DQ_CDC_CRASH_TRIALS sets the number of trials (default
# 20).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use DqTest;

my $trials = $ENV{DQ_CDC_CRASH_TRIALS} // 20;
my $seed = $ENV{DQ_CDC_CRASH_SEED} // time();
note "seed $seed, $trials trials";
srand($seed);

my $node = DqTest::new_node('crash', create_extension => 1,
	extra => [ 'restart_after_crash = on', 'dq_lineage.cdc_batch_size = 500' ]);

$node->safe_psql(
	'postgres', q{
	CREATE TABLE orders (id int PRIMARY KEY, qty int, note text);
	SELECT dq.expect('orders', 'expect_column_values_to_be_between', 'qty',
		'{"min_value": 0}');
	SELECT dq.watch('orders');
});

sub server_up
{
	return DqTest::poll_until($node, 'postgres', 'SELECT 1', '1');
}

sub caught_up
{
	return DqTest::cdc_caught_up($node);
}

# Deterministic first: after an immediate shutdown the slot's confirmed
# position goes back to what was last saved to disk, behind the recorded
# progress; the worker must skip what it already recorded.
$node->safe_psql('postgres',
	"INSERT INTO orders SELECT g, CASE WHEN g % 50 = 0 THEN -1 ELSE 1 END, 'first' FROM generate_series(1, 1000) g");
ok(caught_up(), 'caught up before the immediate shutdown');
# The scheduler would restart the worker at once and let it catch up
# before the check below: keep it off until the check is made.
$node->append_conf('postgresql.conf', 'dq_lineage.scheduler = off');
$node->stop('immediate');
$node->start;
is( $node->safe_psql(
		'postgres',
		"SELECT s.confirmed_flush_lsn < c.processed_lsn FROM pg_replication_slots s, dq.cdc_state c"),
	't',
	'after the crash the slot is behind the recorded progress');
$node->safe_psql('postgres', 'SELECT dq.cdc_start()');
ok(caught_up(), 'caught up after the restart');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), count(DISTINCT row_image->>'id') FROM dq.violations"),
	'20|20',
	'the transactions already recorded are skipped, not recorded twice');
$node->safe_psql('postgres', 'ALTER SYSTEM SET dq_lineage.scheduler = on; SELECT pg_reload_conf()');

my $next_id = 1001;
my $tmp = PostgreSQL::Test::Utils::tempdir;
for my $trial (1 .. $trials)
{
	# a load of transactions of 1 to 300 rows; every 50th row violates
	my $script = "$tmp/load_$trial.sql";
	my $sql = '';
	for (1 .. 60)
	{
		my $n = 1 + int(rand(300));
		my $last = $next_id + $n - 1;
		$sql .= "INSERT INTO orders SELECT g, CASE WHEN g % 50 = 0 THEN -1 ELSE 1 END, 'trial $trial' "
		  . "FROM generate_series($next_id, $last) g;\n";
		$next_id = $last + 1;
	}
	PostgreSQL::Test::Utils::append_to_file($script, $sql);

	my ($out, $err) = ('', '');
	my $load = IPC::Run::start(
		[
			'psql', '-XAtq', '-d', $node->connstr('postgres') . ' application_name=cdc_load',
			'-f', $script
		],
		'>', \$out, '2>', \$err);

	usleep(int(rand(600_000)));
	my $victim = rand() < 0.5 ? 'worker' : 'load';
	my $pid = $node->safe_psql(
		'postgres',
		$victim eq 'worker'
		? "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'"
		: "SELECT pid FROM pg_stat_activity WHERE application_name = 'cdc_load'");
	if ($pid eq '')
	{
		# the load may be over, or the worker between two starts
		$pid = $node->safe_psql('postgres',
			"SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'");
	}
	if ($pid ne '')
	{
		kill 'KILL', $pid;
	}
	$load->finish;
	ok(server_up(), "trial $trial: server up after kill -9 of the $victim ("
		  . ($pid eq '' ? 'nothing to kill' : "pid $pid") . ')');

	# what the scheduler does on its next pass
	$node->safe_psql('postgres', 'SELECT dq.cdc_start()');
	ok(caught_up(), "trial $trial: the worker catches up");
	is( $node->safe_psql(
			'postgres', q{
		SELECT (SELECT count(*) FROM orders WHERE qty = -1) = count(*)
			   AND count(*) = count(DISTINCT row_image->>'id')
			   AND bool_and(o.qty = -1)
		  FROM dq.violations v JOIN orders o ON o.id = (v.row_image->>'id')::int}),
		't',
		"trial $trial: every committed violating row recorded exactly once");
	is( $node->safe_psql(
			'postgres', q{
		SELECT a.rows_inserted = (SELECT count(*) FROM orders)
		  FROM dq.cdc_table_activity a WHERE a.relid = 'orders'::regclass}),
		't',
		"trial $trial: every committed row counted exactly once in dq.cdc_table_activity");
}

my $summary = $node->safe_psql('postgres',
	"SELECT count(*), (SELECT count(*) FROM orders WHERE qty = -1) FROM dq.violations");
note "violations recorded / expected: $summary";

$node->stop;
done_testing();
