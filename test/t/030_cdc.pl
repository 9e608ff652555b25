# Change validation: 100,000 inserted rows in transactions of varying size,
# of which exactly 1,000 violate, are recorded exactly once; an
# expectation added mid-stream applies from its commit on; unwatch drops
# the slot and rewatch starts again; NOTIFY; the status view.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('cdc', create_extension => 1);

# Wait until the worker has confirmed the WAL written so far.
sub caught_up
{
	return DqTest::cdc_caught_up($node, @_);
}

$node->safe_psql(
	'postgres', q{
	CREATE TABLE orders (id int PRIMARY KEY, qty int, price numeric(10,2),
		status text, code text, note text);
	SELECT dq.expect('orders', 'expect_column_values_to_be_between', 'qty',
		'{"min_value": 0, "max_value": 1000}');
	SELECT dq.expect('orders', 'expect_column_values_to_be_in_set', 'status',
		'{"value_set": ["new", "paid", "shipped"]}');
});

$node->safe_psql('postgres', "SELECT dq.watch('orders')");
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_replication_slots WHERE plugin = 'dq_lineage'"),
	'1',
	'dq.watch creates the slot of the database');
ok( DqTest::poll_until(
		$node, 'postgres', 'SELECT worker_pid IS NOT NULL FROM dq.cdc_status',
		't'),
	'dq.watch starts the worker');

# A listener for the dq_violation notifications, in its own session.
my ($lin, $lout, $lerr) = ('', '', '');
my $listener = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-f', '-' ],
	'<', \$lin, '>', \$lout, '2>', \$lerr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$lin .= "LISTEN dq_violation;\n";
$listener->pump while length $lin;

# 100,000 rows in transactions of 1 to 5,000 rows; rows whose id is a
# multiple of 100 violate: every 200th has qty -1, the others status 'lost'.
srand(42);
my $next = 1;
my @stmts;
while ($next <= 100_000)
{
	my $n = 1 + int(rand(5000));
	my $last = $next + $n - 1;
	$last = 100_000 if $last > 100_000;
	push @stmts,
	  "INSERT INTO orders SELECT g, CASE WHEN g % 200 = 0 THEN -1 ELSE g % 1000 END, g / 100.0, "
	  . "CASE WHEN g % 100 = 0 AND g % 200 <> 0 THEN 'lost' ELSE 'new' END, 'c' || g, NULL "
	  . "FROM generate_series($next, $last) g;";
	$next = $last + 1;
}
$node->safe_psql('postgres', join("\n", @stmts));
ok(caught_up(), 'the worker catches up with 100,000 inserted rows');

is( $node->safe_psql(
		'postgres', q{
	SELECT count(*), count(DISTINCT (row_image->>'id')),
		   count(*) FILTER (WHERE (row_image->>'id')::int % 100 = 0)
	  FROM dq.violations}),
	'1000|1000|1000',
	'exactly the 1,000 violating rows are recorded, each once');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FROM dq.violations v JOIN dq.expectations e USING (expectation_id)
	 WHERE (e.kind = 'expect_column_values_to_be_between') = ((row_image->>'id')::int % 200 = 0)
	   AND v.operation = 'INSERT' AND v.commit_time <= v.detected_at
	   AND v.table_name = 'orders'}),
	'1000',
	'each violation names the expectation it failed, the operation and the table');
is( $node->safe_psql(
		'postgres', q{
	SELECT unexpected::text FROM dq.violations WHERE row_image->>'id' = '200'}),
	'-1',
	'the offending value is recorded');
is( $node->safe_psql(
		'postgres', q{SELECT changes_checked, violations_found, last_error IS NULL FROM dq.cdc_status}),
	'100000|1000|t',
	'dq.cdc_status counts the changes and the violations');

# the notifications arrive (one per violation); psql prints them after
# the result of its next command
$lin .= "SELECT 'done';\nSELECT 'end';\n";
$listener->pump until $lout =~ /^end$/m;
my $nnotify = () = $lout =~ /Asynchronous notification "dq_violation" with payload "\{"violation_id" : \d+/g;
is($nnotify, 1000, 'one dq_violation notification per violation')
  or diag "listener output: " . substr($lout, 0, 500) . "\nstderr: $lerr";
$lin .= "\\q\n";
$listener->finish;

# UPDATE is checked too; DELETE is counted only
$node->safe_psql('postgres',
	"UPDATE orders SET qty = 5000 WHERE id = 1; DELETE FROM orders WHERE id = 2");
ok(caught_up(), 'caught up after an UPDATE and a DELETE');
is( $node->safe_psql(
		'postgres',
		"SELECT operation, row_image->>'qty' FROM dq.violations WHERE row_image->>'id' = '1'"),
	'UPDATE|5000',
	'an UPDATE that violates is recorded');

# a DELETE is checked by the expectations that ask for it, on the old row
$node->safe_psql('postgres', q{
	ALTER TABLE orders REPLICA IDENTITY FULL;
	SELECT dq.expect('orders', 'expect_row_condition', NULL,
		'{"row_condition": "status <> ''paid''", "cdc_operations": ["DELETE"]}');
	UPDATE orders SET status = 'paid' WHERE id = 3;
	DELETE FROM orders WHERE id IN (3, 4);
});
ok(caught_up(), 'caught up after DELETEs checked by a row condition');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(operation || ' ' || (row_image->>'id'), ',') FROM dq.violations v JOIN dq.expectations e USING (expectation_id) WHERE e.kind = 'expect_row_condition'"),
	'DELETE 3',
	'a DELETE of a row its condition forbids deleting is recorded, only that one');
$node->safe_psql('postgres', q{
	SELECT dq.drop_expectation(expectation_id) FROM dq.expectations WHERE kind = 'expect_row_condition';
	ALTER TABLE orders REPLICA IDENTITY DEFAULT;
});

# an expectation added mid-stream applies to changes committed after it
$node->safe_psql('postgres',
	"INSERT INTO orders SELECT g, 1, 1, 'new', 'bad code', NULL FROM generate_series(200001, 200010) g");
$node->safe_psql('postgres',
	q{SELECT dq.expect('orders', 'expect_column_values_to_match_regex', 'code', '{"regex": "^c[0-9]+$"}')});
$node->safe_psql('postgres',
	"INSERT INTO orders SELECT g, 1, 1, 'new', 'bad code', NULL FROM generate_series(200011, 200015) g");
ok(caught_up(), 'caught up after an expectation was added');
is( $node->safe_psql(
		'postgres',
		"SELECT min((row_image->>'id')::int), max((row_image->>'id')::int), count(*) FROM dq.violations WHERE (row_image->>'id')::int > 200000"),
	'200011|200015|5',
	'an expectation added mid-stream applies from its commit on, not before');

# a disabled expectation is not checked
$node->safe_psql('postgres',
	q{SELECT dq.set_expectation_enabled(expectation_id, false) FROM dq.expectations WHERE kind = 'expect_column_values_to_match_regex'});
$node->safe_psql('postgres',
	"INSERT INTO orders VALUES (200016, 1, 1, 'new', 'bad code', NULL)");
ok(caught_up(), 'caught up after disabling');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM dq.violations WHERE row_image->>'id' = '200016'"),
	'0', 'a disabled expectation is not checked');

# unwatch drops the slot; changes meanwhile are not validated; rewatch
is($node->safe_psql('postgres', "SELECT dq.unwatch('orders')"), 't', 'dq.unwatch returns true');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_replication_slots WHERE plugin = 'dq_lineage'"),
	'0',
	'unwatching the last table drops the slot');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'", '0'),
	'the worker is gone');
is($node->safe_psql('postgres', "SELECT dq.unwatch('orders')"), 'f', 'unwatching again returns false');
$node->safe_psql('postgres', "INSERT INTO orders VALUES (300001, -5, 1, 'new', 'c1', NULL)");
$node->safe_psql('postgres', "SELECT dq.watch('orders')");
$node->safe_psql('postgres', "INSERT INTO orders VALUES (300002, -5, 1, 'new', 'c1', NULL)");
ok(caught_up(), 'caught up after rewatch');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(row_image->>'id', ',') FROM dq.violations WHERE (row_image->>'id')::int > 300000"),
	'300002',
	'after rewatch, changes from the new watch on are validated');

# row images: off by GUC
$node->append_conf('postgresql.conf', 'dq_lineage.capture_row_images = off');
$node->reload;
# the worker keeps its decoding context; a new worker reads the new value
$node->safe_psql('postgres',
	"SELECT pg_terminate_backend(worker_pid) FROM dq.cdc_status");
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'", '0'),
	'worker terminated');
$node->safe_psql('postgres', 'SELECT dq.cdc_start()');
$node->safe_psql('postgres', "INSERT INTO orders VALUES (300003, -5, 1, 'new', 'c1', NULL)");
ok(caught_up(), 'caught up with row images off');
is( $node->safe_psql(
		'postgres',
		"SELECT row_image IS NULL, unexpected::text FROM dq.violations ORDER BY violation_id DESC LIMIT 1"),
	't|-5',
	'dq_lineage.capture_row_images = off stores no row image');

# lag: with the worker stopped, WAL beyond dq_lineage.cdc_max_lag shows
$node->append_conf('postgresql.conf', 'dq_lineage.cdc_max_lag = 1MB');
$node->reload;
$node->safe_psql('postgres', "SELECT pg_terminate_backend(worker_pid) FROM dq.cdc_status");
ok( DqTest::poll_until(
		$node, 'postgres', "SELECT worker_pid IS NULL FROM dq.cdc_status", 't'),
	'worker stopped');
$node->safe_psql('postgres', "CREATE TABLE filler AS SELECT g, repeat('x', 100) AS t FROM generate_series(1, 20000) g");
is( $node->safe_psql('postgres', "SELECT lag_bytes > 1024 * 1024, lag_exceeded FROM dq.cdc_status"),
	't|t',
	'dq.cdc_status shows the lag beyond dq_lineage.cdc_max_lag');
$node->safe_psql('postgres', 'SELECT dq.cdc_start()');
ok(caught_up(), 'the restarted worker catches up');
is($node->safe_psql('postgres', "SELECT lag_exceeded FROM dq.cdc_status"),
	'f', 'and the lag is gone');

# DROP EXTENSION drops the slot (when it commits: the worker, woken,
# finds the extension gone and drops it) and stops the worker
$node->safe_psql('postgres', 'DROP EXTENSION dq_lineage CASCADE');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_replication_slots", '0'),
	'DROP EXTENSION drops the slot');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'", '0'),
	'DROP EXTENSION stops the worker');

$node->stop;
done_testing();
