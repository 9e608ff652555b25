# dq.profile across sessions and restarts: parallel workers really run the
# partial aggregates, history survives a crash while an interrupted
# profile leaves nothing, pg_dump keeps the history, and a server that does
# not preload the library can still profile.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('profile', create_extension => 1,
	extra => [ 'max_parallel_workers_per_gather = 2',
			   'max_parallel_workers = 4' ]);

$node->safe_psql('postgres', q{
	CREATE TABLE t AS
	  SELECT g AS id, (g % 100)::text AS label, g * 0.5 AS half
	    FROM generate_series(1, 300000) g;
	ANALYZE t;
});

# A parallel plan with launched workers computes the same profile as a
# serial one.
my $plan = $node->safe_psql('postgres', q{
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0;
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
	  SELECT dq.column_profile(id), dq.column_profile(label) FROM t;
});
like($plan, qr/Partial Aggregate/, 'plan has partial aggregates');
like($plan, qr/Workers Launched: [12]/, 'parallel workers launched');

my $serial = $node->safe_psql('postgres', q{
	SET max_parallel_workers_per_gather = 0;
	SELECT dq.profile('t');
});
my $parallel = $node->safe_psql('postgres', q{
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0;
	SET dq_lineage.scan_workers = 2;
	SELECT dq.profile('t');
});
is( $node->safe_psql('postgres', qq{
	SELECT count(*) FROM dq.column_profiles s JOIN dq.column_profiles p USING (attnum)
	 WHERE s.run_id = $serial AND p.run_id = $parallel
	   AND s.row_count = p.row_count AND s.null_count = p.null_count
	   AND s.min_value = p.min_value AND s.max_value = p.max_value
	   AND s.sum IS NOT DISTINCT FROM p.sum
	   AND s.top_values_exact = p.top_values_exact
	   AND abs(s.distinct_count - p.distinct_count) <= 0.0243 * s.distinct_count}),
	'3', 'serial and parallel profiles agree on every column');

# dq_lineage.scan_workers caps the workers of the profile's and the
# validation's scans (auto_explain shows the plans of the nested scans), and
# max_parallel_workers_per_gather is the caller's again afterwards.
foreach my $cap (1, 2)
{
	my $log_offset = -s $node->logfile;
	my $after = $node->safe_psql('postgres', qq{
		LOAD 'auto_explain';
		SET auto_explain.log_min_duration = 0;
		SET auto_explain.log_nested_statements = on;
		SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
		SET min_parallel_table_scan_size = 0;
		SET max_parallel_workers_per_gather = 2;
		SET dq_lineage.scan_workers = $cap;
		SELECT dq.profile('t');
		SELECT dq.expect('t', 'expect_column_values_to_not_be_null', 'id');
		SELECT dq.validate('t');
		SHOW max_parallel_workers_per_gather;
	});
	like($after, qr/\n2$/, "max_parallel_workers_per_gather restored (scan_workers = $cap)");
	my $log = slurp_file($node->logfile, $log_offset);
	# the plans of the two scans (other nested statements may be parallel too)
	my @planned = map { /Workers Planned: (\d+)/ ? $1 : 'none' }
	  grep { /dq\.(row_profile|expect_rows)\(/ } split(/Query Text:/, $log);
	is(scalar(@planned) >= 2 && !grep({ $_ != $cap } @planned) ? 1 : 0, 1,
		"profile and validation scans planned with $cap workers (seen: @planned)");
}

# A profile killed mid-scan leaves nothing; committed history survives a
# crash (immediate stop) and the restart.
$node->safe_psql('postgres', q{
	CREATE TABLE slow AS SELECT g AS v FROM generate_series(1, 3000000) g;
});
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM dq.profile_runs');
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, q{
	\echo started
	SET max_parallel_workers_per_gather = 0;
	SELECT dq.profile('slow');
});
ok( $node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE query LIKE '%dq.profile(''slow'')%' AND state = 'active'
	   AND pid <> pg_backend_pid()}),
	'a long profile is running');
$node->stop('immediate');
$bg->{run}->finish;
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM dq.profile_runs'),
	$before, 'the interrupted profile wrote nothing; earlier runs survived the crash');
is( $node->safe_psql('postgres', qq{
	SELECT count(*) FROM dq.column_profiles WHERE run_id IN ($serial, $parallel)}),
	'6', 'column profiles of committed runs survived');
ok($node->safe_psql('postgres', q{SELECT dq.profile('slow') > 0}) eq 't',
	'profiling works after the restart');

# pg_dump keeps the history (configuration tables) and the run id sequence.
my $dump = $node->basedir . '/dq.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ],
	'pg_dump with the extension');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ],
	'pg_restore into a new database');
is( $node->safe_psql('restored', 'SELECT count(*) FROM dq.profile_runs'),
	$node->safe_psql('postgres', 'SELECT count(*) FROM dq.profile_runs'),
	'profile runs restored');
is( $node->safe_psql('restored', 'SELECT count(*) FROM dq.column_profiles'),
	$node->safe_psql('postgres', 'SELECT count(*) FROM dq.column_profiles'),
	'column profiles restored');
ok( $node->safe_psql('restored', q{
	SELECT dq.profile('t') > max(run_id) FROM dq.profile_runs}) eq 't',
	'new run ids continue after the restored ones');
$node->stop;

# Without shared_preload_libraries the SQL functions load the library on
# demand.
my $plain = DqTest::new_node('nopreload', preload => 0, create_extension => 1);
is($plain->safe_psql('postgres', 'SHOW shared_preload_libraries'), '',
	'library not preloaded');
$plain->safe_psql('postgres', 'CREATE TABLE x AS SELECT g FROM generate_series(1, 10) g');
is( $plain->safe_psql('postgres', q{
	SELECT dq.profile('x');
	SELECT row_count || ',' || max_value FROM dq.latest_profile WHERE table_name = 'x';}),
	"1\n10,10", 'dq.profile works without preloading');
$plain->stop;

done_testing();
