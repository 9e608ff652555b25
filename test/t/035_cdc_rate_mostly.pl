# Change validation, what an analyst reads beside the violations:
# dq.cdc_status.changes_per_second reflects the last minute (a burst shows
# at once, then the rate decays to 0 once the worker is idle for a
# minute), and each violation carries its expectation's kind, severity
# and mostly (change validation is per row: a NULL under a mostly 0.99
# not-null expectation is recorded, with mostly beside it).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('cdc_rate', create_extension => 1);

$node->safe_psql(
	'postgres', q{
	CREATE TABLE events (id int PRIMARY KEY, qty int, note text);
	SELECT dq.expect('events', 'expect_column_values_to_not_be_null', 'note',
		mostly => 0.99, severity => 'warn', name => 'note mostly set');
	SELECT dq.expect('events', 'expect_column_values_to_be_between', 'qty',
		'{"min_value": 0}', name => 'qty not negative');
	SELECT dq.watch('events');
});
ok( DqTest::poll_until(
		$node, 'postgres', 'SELECT worker_pid IS NOT NULL FROM dq.cdc_status',
		't'),
	'the worker runs');

# A burst of 6,000 rows in one transaction: one pass sees all of them.
$node->safe_psql('postgres',
	    "INSERT INTO events SELECT g, CASE WHEN g % 1000 = 0 THEN -1 ELSE g END, "
	  . "CASE WHEN g % 100 = 0 THEN NULL ELSE 'x' END FROM generate_series(1, 6000) g"
);
ok(DqTest::cdc_caught_up($node), 'the worker validated the burst');
is( $node->safe_psql('postgres',
		'SELECT changes_checked, changes_per_second > 0 FROM dq.cdc_status'),
	'6000|t',
	'right after a burst the rate over the last minute is above 0');
my $rate = $node->safe_psql('postgres',
	'SELECT changes_per_second FROM dq.cdc_status');
cmp_ok($rate, '<=', 6000 / 60 + 0.001,
	'the rate is at most the burst spread over the minute');

# Idle: within a minute and a little, the rate goes down to 0 by itself.
ok( DqTest::poll_until(
		$node, 'postgres',
		'SELECT changes_per_second FROM dq.cdc_status', '0', 120),
	'idle for a minute, the rate decays to 0');
# and it stays there: the worker's own write of the rate is no change
ok(DqTest::cdc_caught_up($node), 'the worker is caught up while idle');
is($node->safe_psql('postgres', 'SELECT changes_per_second FROM dq.cdc_status'),
	'0', 'the rate stays 0 while idle');

# 100 more rows raise it again.
$node->safe_psql('postgres',
	"INSERT INTO events SELECT g, 1, 'x' FROM generate_series(6001, 6100) g");
ok(DqTest::cdc_caught_up($node), 'the worker validated 100 more rows');
ok( DqTest::poll_until(
		$node, 'postgres',
		'SELECT changes_per_second > 0 FROM dq.cdc_status', 't', 30),
	'100 more rows raise the rate again');

# Each violation shows its expectation's kind, severity and mostly.
is( $node->safe_psql(
		'postgres', q{
	SELECT kind, severity, coalesce(mostly::text, 'NULL'), count(*)
	  FROM dq.violations GROUP BY 1, 2, 3 ORDER BY 1}),
	"expect_column_values_to_be_between|error|NULL|6\n"
	  . "expect_column_values_to_not_be_null|warn|0.99|60",
	'violations carry kind, severity and mostly; every NULL under mostly 0.99 is recorded (per row)'
);

# The values are those of the expectation when the violation was recorded.
$node->safe_psql('postgres',
	"SELECT dq.alter_expectation(e.expectation_id, severity => 'error') "
	  . "FROM dq.expectations e WHERE e.name = 'note mostly set'");
$node->safe_psql('postgres',
	"INSERT INTO events VALUES (7000, 1, NULL)");
ok(DqTest::cdc_caught_up($node), 'the worker validated the new NULL');
is( $node->safe_psql(
		'postgres', q{
	SELECT severity, count(*) FROM dq.violations
	 WHERE kind = 'expect_column_values_to_not_be_null' GROUP BY 1 ORDER BY 1}),
	"error|1\nwarn|60",
	'a changed severity applies to violations recorded after the change');

# The BI view over the violations still works.
is( $node->safe_psql('postgres',
		'SELECT sum(violations) FROM dq.violations_per_hour'),
	'67', 'dq.violations_per_hour counts every violation');

$node->stop;
done_testing();
