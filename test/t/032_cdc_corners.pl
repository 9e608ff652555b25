# Change validation corners: unchanged TOAST values, ALTER TABLE while
# changes are in flight, TRUNCATE, partitioned tables, a table without a
# primary key, custom SQL row conditions, column pairs, two watched
# databases, and a 1,000,000-row transaction that spills to disk.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('corners', create_extension => 1);

sub caught_up
{
	return DqTest::cdc_caught_up($node, @_);
}

sub violations
{
	my ($where, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT count(*) FROM dq.violations v JOIN dq.expectations e USING (expectation_id) WHERE $where");
}

#
# Unchanged TOAST values are skipped, not failed.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, qty int, body text);
	ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
	SELECT dq.expect('docs', 'expect_column_values_to_not_be_null', 'body');
	SELECT dq.expect('docs', 'expect_column_value_lengths_to_be_between', 'body',
		'{"min_value": 1000}');
	SELECT dq.expect('docs', 'expect_column_values_to_be_between', 'qty', '{"max_value": 10}');
	SELECT dq.watch('docs');
	INSERT INTO docs SELECT g, 1, repeat('x', 5000) FROM generate_series(1, 10) g;
	UPDATE docs SET qty = 2;
	UPDATE docs SET qty = 99 WHERE id = 1;
});
ok(caught_up(), 'caught up after updates of TOASTed rows');
is(violations("v.relid = 'docs'::regclass AND e.column_name = 'body'"),
	'0', 'UPDATEs that leave a TOASTed value unchanged are not violations');
is($node->safe_psql('postgres', 'SELECT toast_skipped >= 20 FROM dq.cdc_status'),
	't', 'the checks of unchanged TOAST values are counted as skipped');
is( $node->safe_psql(
		'postgres',
		"SELECT row_image->>'qty', row_image->'unchanged_toast' IS NULL, row_image ? 'body' FROM dq.violations WHERE relid = 'docs'::regclass"),
	'99|t|f',
	'the row image leaves the unchanged TOAST value out');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM dq.violations WHERE relid = 'docs'::regclass AND unexpected::text = '99'"),
	'1',
	'a real violation in such an UPDATE is recorded');

#
# ALTER TABLE ADD/RENAME/DROP COLUMN while changes are in flight.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, qty int, tag text);
	SELECT dq.expect('items', 'expect_column_values_to_be_between', 'qty', '{"min_value": 0}');
	SELECT dq.watch('items');
});
# two sessions: one transaction spans the DDL of the other
$node->safe_psql(
	'postgres', q{
	BEGIN;
	INSERT INTO items VALUES (1, -1, 'a');
	ALTER TABLE items ADD COLUMN extra int;
	INSERT INTO items VALUES (2, -2, 'b', 7);
	ALTER TABLE items RENAME COLUMN qty TO quantity;
	INSERT INTO items VALUES (3, -3, 'c', 8);
	ALTER TABLE items DROP COLUMN tag;
	INSERT INTO items VALUES (4, -4, 9);
	COMMIT;
	INSERT INTO items VALUES (5, -5, 10);
});
ok(caught_up(), 'caught up after ALTER TABLE in flight');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(unexpected::text, ',' ORDER BY change_seq, lsn) FROM dq.violations WHERE relid = 'items'::regclass"),
	'-1,-5,-2,-3,-4',
	'every row is checked with the shape it had, across ADD, RENAME and DROP COLUMN')
  or diag $node->safe_psql('postgres', "SELECT lsn, change_seq, unexpected, row_image FROM dq.violations WHERE relid = 'items'::regclass");
is( $node->safe_psql(
		'postgres',
		"SELECT row_image->>'quantity', row_image ? 'tag' FROM dq.violations WHERE relid = 'items'::regclass AND unexpected::text = '-4'"),
	'-4|f',
	'the row image has the columns of the row at the time of the change');

#
# TRUNCATE counts as a change and violates no row-level expectation.
#
my $before = $node->safe_psql('postgres', 'SELECT changes_checked FROM dq.cdc_status');
$node->safe_psql('postgres', "TRUNCATE items; INSERT INTO items VALUES (6, -6, 11)");
ok(caught_up(), 'caught up after TRUNCATE');
is( $node->safe_psql('postgres', "SELECT changes_checked - $before FROM dq.cdc_status"),
	'2', 'TRUNCATE and the following INSERT are counted');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM dq.violations WHERE unexpected::text = '-6'"),
	'1', 'changes after a TRUNCATE are still validated');
is($node->safe_psql('postgres', 'SELECT last_error FROM dq.cdc_status'),
	'', 'no worker error so far');

#
# Partitioned tables: changes of a partition count for the parent's
# expectations, and for the partition's own.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE events (id int, region text, amount int) PARTITION BY LIST (region);
	CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
	CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
	SELECT dq.expect('events', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}');
	SELECT dq.expect('events_us', 'expect_column_values_to_be_between', 'amount', '{"max_value": 100}');
	SELECT dq.watch('events');
	INSERT INTO events VALUES (1, 'eu', -1), (2, 'us', -2), (3, 'us', 500), (4, 'eu', 500);
});
ok(caught_up(), 'caught up after inserts into partitions');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(v.relid::regclass || ':' || e.table_name || ':' || v.unexpected, ',' ORDER BY v.change_seq, e.table_name) "
		  . "FROM dq.violations v JOIN dq.expectations e USING (expectation_id) WHERE e.table_name LIKE 'events%'"),
	'events_eu:events:-1,events_us:events:-2,events_us:events_us:500',
	'partition changes are checked against the parent\'s and the partition\'s expectations');

#
# A table without a primary key; DELETE has no old row to check.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE nokey (a int, b int);
	SELECT dq.expect('nokey', 'expect_column_pair_values_a_to_be_greater_than_b', NULL,
		'{"column_A": "a", "column_B": "b"}');
	SELECT dq.watch('nokey');
	INSERT INTO nokey VALUES (2, 1), (1, 2);
	UPDATE nokey SET b = 5 WHERE a = 2;
	DELETE FROM nokey;
});
ok(caught_up(), 'caught up on a table without a primary key');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(operation || ' ' || unexpected::text, ',' ORDER BY lsn, change_seq) FROM dq.violations WHERE relid = 'nokey'::regclass"),
	'INSERT [1, 2],UPDATE [2, 5]',
	'INSERT and UPDATE of a table without a primary key are validated; DELETE is not an error');

#
# Custom SQL row conditions, evaluated by the worker as the owner.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE shipments (id int PRIMARY KEY, ordered date, shipped date);
	SELECT dq.expect('shipments', 'expect_row_condition', NULL,
		'{"row_condition": "shipped >= ordered"}');
	SELECT dq.watch('shipments');
	INSERT INTO shipments VALUES (1, '2024-01-02', '2024-01-03'), (2, '2024-01-05', '2024-01-01'),
		(3, '2024-01-05', NULL);
});
ok(caught_up(), 'caught up on a table with a row condition');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(row_image->>'id', ',') FROM dq.violations WHERE relid = 'shipments'::regclass"),
	'2',
	'a row failing the row condition is recorded; NULL means not tested');

# a condition that fails with an error on some rows is reported and
# skipped; validation goes on
$node->safe_psql(
	'postgres', q{
	CREATE TABLE ratios (id int, d int);
	SELECT dq.expect('ratios', 'expect_row_condition', NULL,
		'{"row_condition": "100 / d > 1"}');
	SELECT dq.expect('ratios', 'expect_column_values_to_be_between', 'd', '{"min_value": 0}');
	SELECT dq.watch('ratios');
	INSERT INTO ratios VALUES (1, 0), (2, -1);
	INSERT INTO ratios VALUES (3, 500);
});
ok(caught_up(), 'caught up after a row condition that raises an error');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(row_image->>'id' || ':' || e.kind, ',' ORDER BY v.violation_id) FROM dq.violations v JOIN dq.expectations e USING (expectation_id) WHERE v.relid = 'ratios'::regclass"),
	'2:expect_column_values_to_be_between,2:expect_row_condition,3:expect_row_condition',
	'a row the condition raises an error on is skipped; the other rows and checks go on');
like(slurp_file($node->logfile), qr/WARNING:  row_condition of expectation \d+ could not be evaluated on 1 of 3 changed rows: division by zero/,
	'the failing condition is reported once per batch');

#
# Quarantine: violating rows are copied, one row per change, without the
# table's constraints; DROP EXTENSION removes the quarantine table too.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE qt (id int PRIMARY KEY, qty int NOT NULL, s text);
	SELECT dq.expect('qt', 'expect_column_values_to_be_between', 'qty', '{"min_value": 0}');
	SELECT dq.expect('qt', 'expect_column_values_to_not_be_null', 's');
	SELECT dq.watch('qt', quarantine => true);
	INSERT INTO qt VALUES (1, -1, NULL), (2, 1, 'ok'), (3, -3, 'x');
});
ok(caught_up(), 'caught up on a quarantined table');
my $qt = 'dq.quarantine_' . $node->safe_psql('postgres', "SELECT 'qt'::regclass::oid");
is( $node->safe_psql(
		'postgres',
		"SELECT id, qty, coalesce(s, 'NULL'), cardinality(dq_violation_ids) FROM $qt ORDER BY id"),
	"1|-1|NULL|2\n3|-3|x|1",
	'the violating rows are copied to the quarantine table with their violations');
is( $node->safe_psql(
		'postgres',
		"SELECT w.quarantine::regclass::text FROM dq.watched_tables w WHERE relid = 'qt'::regclass"),
	$qt, 'dq.watched_tables names the quarantine table');

#
# Two watched databases: a slot and a worker each.
#
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql(
	'other', q{
	CREATE EXTENSION dq_lineage;
	CREATE TABLE t (x int);
	SELECT dq.expect('t', 'expect_column_values_to_be_between', 'x', '{"max_value": 0}');
	SELECT dq.watch('t');
	INSERT INTO t VALUES (1), (0), (2);
});
ok(caught_up('other'), 'the second database catches up');
is($node->safe_psql('other', 'SELECT count(*) FROM dq.violations'),
	'2', 'the second database records its own violations');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), count(DISTINCT active_pid) FROM pg_replication_slots WHERE plugin = 'dq_lineage'"),
	'2|2',
	'one slot and one worker per watched database');

# DROP DATABASE drops the database's slot (PostgreSQL refuses to drop a
# database that has one) and its worker
$node->safe_psql('postgres', 'DROP DATABASE other');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_replication_slots WHERE plugin = 'dq_lineage'"),
	'1',
	'DROP DATABASE of a watched database drops its slot');

#
# 1,000,000 rows in one transaction: decoding spills to disk
# (logical_decoding_work_mem is 64kB) and the worker's memory stays
# bounded; exactly the 10 violating rows are recorded.
#
$node->safe_psql(
	'postgres', q{
	CREATE TABLE big (id int, v int);
	SELECT dq.expect('big', 'expect_column_values_to_be_between', 'v', '{"min_value": 0}');
	SELECT dq.watch('big');
	INSERT INTO big SELECT g, CASE WHEN g % 100000 = 0 THEN -1 ELSE 1 END FROM generate_series(1, 1000000) g;
});
ok(caught_up(), 'caught up after a 1,000,000-row transaction');
is($node->safe_psql('postgres', "SELECT count(*) FROM dq.violations WHERE relid = 'big'::regclass"),
	'10', 'exactly the 10 violating rows of the big transaction are recorded');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT spill_txns > 0 FROM pg_stat_replication_slots WHERE slot_name = 'dq_lineage_' || (SELECT oid FROM pg_database WHERE datname = 'postgres')",
		't'),
	'the big transaction was spilled to disk, not held in memory');
# the worker's own memory: its largest resident set stays far below the
# size of the transaction's changes
my $wpid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM dq.cdc_status");
my $status = slurp_file("/proc/$wpid/status");
my ($hwm) = $status =~ /VmHWM:\s+(\d+) kB/;
ok($hwm < 200_000, "the worker's peak resident memory ($hwm kB) stays bounded");

$node->safe_psql('postgres', 'DROP EXTENSION dq_lineage');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_class WHERE relname LIKE 'quarantine%'"),
	'0', 'DROP EXTENSION removes the quarantine tables');

$node->stop;
done_testing();
