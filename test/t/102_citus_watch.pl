# Scale-out: change validation of Citus tables.  A watch the cluster
# cannot honour is refused with an error, never accepted and left
# silently unchecked.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my ($coord, @workers) = DqTest::citus_cluster('cwatch');

$coord->safe_psql(
	'postgres', q{
	CREATE TABLE public.ev (id bigint, amount numeric);
	SELECT create_distributed_table('public.ev', 'id', shard_count => 4);
	CREATE TABLE public.ref (id int PRIMARY KEY, name text);
	SELECT create_reference_table('public.ref');
	SELECT dq.expect('public.ev', 'expect_column_values_to_be_between', 'amount',
		'{"min_value": 0}');
});

my $err = DqTest::psql_error($coord, 'postgres', q{SELECT dq.watch('public.ev')});
like($err, qr/cannot watch distributed table "ev": change validation of Citus tables is not supported/,
	'dq.watch refuses a distributed table');
$err = DqTest::psql_error($coord, 'postgres', q{SELECT dq.watch('public.ref')});
like($err, qr/cannot watch reference table "ref": change validation of Citus tables is not supported/,
	'dq.watch refuses a reference table');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM dq.watched_tables'),
	'0', 'a refused watch leaves nothing behind');

$_->stop for ($coord, @workers);
done_testing();
