# Scale-out: dq_lineage on a Citus cluster (a coordinator and two workers on
# this machine, Citus built from test/vendor/citus by the test command).
# The extension installs on the coordinator and reaches the workers; the
# profile, the validation and the sketch aggregates of a distributed table
# equal those of a local table with the same rows.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my ($coord, @workers) = DqTest::citus_cluster('citus');

is( $coord->safe_psql(
		'postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'the coordinator has two active workers');
for my $w (@workers)
{
	is( $w->safe_psql(
			'postgres',
			"SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'dq_lineage'"),
		't', 'CREATE EXTENSION dq_lineage reached worker ' . $w->name);
}

# The same rows in a distributed table and in a local one.
$coord->safe_psql(
	'postgres', q{
	CREATE TABLE public.ev (id bigint, cust int, amount numeric, kind text);
	SELECT create_distributed_table('public.ev', 'id', shard_count => 8);
	INSERT INTO public.ev
		SELECT g, g % 997, (g % 500) - 3, 'k' || (g % 7)
		  FROM generate_series(1, 20000) g;
	CREATE TABLE public.ev_local AS SELECT * FROM public.ev;
});

is( $coord->safe_psql(
		'postgres', q{
		SELECT (SELECT dq.approx_distinct(cust) FROM public.ev)
		     = (SELECT dq.approx_distinct(cust) FROM public.ev_local)}),
	't', 'approx_distinct of the distributed table equals the local one');

$coord->safe_psql('postgres',
	q{SELECT dq.profile('public.ev'), dq.profile('public.ev_local')});
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*) FROM dq.latest_profile d
		  JOIN dq.latest_profile l USING (column_name)
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'
		   AND d.row_count = l.row_count AND d.null_count = l.null_count
		   AND d.min_value = l.min_value AND d.max_value = l.max_value}),
	'4', 'the profile of the distributed table equals the local one (exact metrics)');

$coord->safe_psql(
	'postgres', q{
	SELECT dq.expect('public.ev', 'expect_column_values_to_be_between', 'amount',
		'{"min_value": 0, "max_value": 1000}');
	SELECT dq.expect('public.ev_local', 'expect_column_values_to_be_between', 'amount',
		'{"min_value": 0, "max_value": 1000}');
	SELECT dq.validate('public.ev'), dq.validate('public.ev_local');
});
is( $coord->safe_psql(
		'postgres', q{
		SELECT string_agg(table_name || ':' || success || ':' || unexpected_count, ','
		                  ORDER BY table_name)
		  FROM dq.latest_validation WHERE table_name IN ('ev', 'ev_local')}),
	'ev:false:120,ev_local:false:120',
	'the validation of the distributed table equals the local one');

$_->stop for ($coord, @workers);
done_testing();
