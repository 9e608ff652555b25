# Scale-out: profiles, validations, checks and the sketch aggregates of a
# Citus distributed table are computed on the shards and merged on the
# coordinator (the plans show worker_partial_agg, no row is gathered), and
# their results equal those of a local table with the same rows: exact
# metrics exactly, sketches within their stated error.  Scheduled
# validations of a distributed table run from the coordinator's
# scheduler; lineage names the distributed tables, never their shards.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my ($coord, @workers) =
  DqTest::citus_cluster('cpush', extra => ['dq_lineage.scheduler_naptime = 1s']);

# The same rows in a distributed table and a local one: scalar types that
# are profiled on the shards, a domain, and an enum and an array, whose
# columns are gathered (their values are not portable between nodes).
$coord->safe_psql(
	'postgres', q{
	CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
	CREATE DOMAIN public.pct AS numeric CHECK (VALUE BETWEEN 0 AND 100);
	CREATE TABLE public.ev (id bigint, cust int, c2 int, amount numeric, kind text,
		f float4, ts timestamptz, b boolean, email varchar(40), u uuid, p public.pct,
		m public.mood, tags int[]);
	SELECT create_distributed_table('public.ev', 'id', shard_count => 8);
	INSERT INTO public.ev
		SELECT g, g % 997, g % 991, CASE WHEN g % 13 = 0 THEN NULL ELSE (g % 500) - 3 END,
			   'k' || (g % 7), g / 7.0, '2024-01-01'::timestamptz + g * interval '1 minute',
			   g % 3 = 0, CASE WHEN g % 50 = 0 THEN 'bad' ELSE 'u' || g || '@x.org' END,
			   md5(g::text)::uuid, g % 101, (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::public.mood,
			   ARRAY[g % 5]
		  FROM generate_series(1, 20000) g;
	CREATE TABLE public.ev_local AS SELECT * FROM public.ev;
});

# --- the sketch aggregates -------------------------------------------------
my $plan = $coord->safe_psql(
	'postgres', q{
	EXPLAIN (VERBOSE, COSTS OFF)
	SELECT dq.approx_distinct(cust), dq.approx_quantiles(amount::float8, ARRAY[0.5]),
		   dq.approx_top_k(kind, 3) FROM public.ev});
like($plan, qr/worker_partial_agg\('dq\.approx_distinct_pushdown\(bigint\)'::regprocedure, dq\.value_hash\(cust\)\)/,
	'approx_distinct runs on the shards');
like($plan, qr/worker_partial_agg\('dq\.approx_quantiles_pushdown/, 'approx_quantiles runs on the shards');
like($plan, qr/worker_partial_agg\('dq\.approx_top_k_pushdown/, 'approx_top_k runs on the shards');
unlike($plan, qr/Query: SELECT (cust|amount|kind) AS/, 'no column is gathered for the sketches');
like($coord->safe_psql('postgres', q{
	SET dq_lineage.citus_pushdown = off;
	EXPLAIN (VERBOSE, COSTS OFF) SELECT dq.approx_distinct(cust) FROM public.ev}),
	qr/Query: SELECT cust AS approx_distinct/,
	'with dq_lineage.citus_pushdown off the rows are gathered');

is( $coord->safe_psql(
		'postgres', q{
		SELECT (SELECT dq.approx_distinct(cust) FROM public.ev) = (SELECT dq.approx_distinct(cust) FROM public.ev_local),
			   (SELECT dq.approx_distinct(id) FROM public.ev) = (SELECT dq.approx_distinct(id) FROM public.ev_local),
			   (SELECT dq.approx_distinct(m) FROM public.ev),
			   (SELECT dq.approx_top_k(kind, 3) FROM public.ev) = (SELECT dq.approx_top_k(kind, 3) FROM public.ev_local),
			   (SELECT dq.approx_top_k(m, 1) -> 0 ->> 'count' FROM public.ev)}),
	't|t|3|t|6667',
	'distinct counts and top values of the shards equal those of one node (the same sketch)');
# quantiles: KLL rank error under 1% at 99% confidence; 500 distinct values
is( $coord->safe_psql(
		'postgres', q{
		SELECT bool_and(abs(d - e) <= 0.02 * 500)
		  FROM unnest((SELECT dq.approx_quantiles(amount::float8, ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]) FROM public.ev),
		              (SELECT percentile_disc(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]) WITHIN GROUP (ORDER BY amount::float8)
		                 FROM public.ev_local)) AS q(d, e)}),
	't', 'quantiles of the shards are within the sketch error of the exact ones');

# --- dq.profile ---------------------------------------------------------------
# Citus logs the commands it sends to the workers: the profile sends the
# twins for the scalar columns and gathers only the enum and array columns.
my ($ret, $out, $err) = $coord->psql(
	'postgres', q{
	SET citus.log_remote_commands = on;
	SELECT dq.profile('public.ev');
	RESET citus.log_remote_commands;
	SELECT dq.profile('public.ev_local');});
is($ret, 0, 'dq.profile of the distributed table ran');
like($err, qr/worker_partial_agg\('dq\.row_profile_pushdown\(text\[\],record\)'::regprocedure, ROW\('\{/,
	'the profile runs dq.row_profile_pushdown on the shards');
like($err, qr/ROW\(id, cust, c2, amount, kind, f, ts, b, email, u, \(?p\)?::numeric\)/,
	'every scalar column is profiled on the shards, the domain as its base type');
like($err, qr/SELECT '\{0,0\}'::oid\[\] AS b0, m AS b0, tags AS b0 FROM public\.ev_\d+ ev/,
	'only the enum and array columns are gathered');
unlike($err, qr/\b(id|cust|c2|amount|kind|f|ts|b|email|u|p) AS (b0|worker_column)/,
	'no scalar column is gathered');

# every exact metric equals the local table's; quantile-based ones are
# within the sketch's error; float moments within rounding
my $exact = q{row_count null_count null_fraction distinct_count distinct_method min_value max_value
	sum zero_count negative_count nan_count infinity_count min_length max_length mean_length
	empty_count type_family};
my $keys = join(', ', map { "'$_'" } split(/\s+/, $exact));
is( $coord->safe_psql(
		'postgres', qq{
		SELECT string_agg(d.column_name || '.' || k, ', ' ORDER BY d.column_name, k)
		  FROM dq.latest_profile d JOIN dq.latest_profile l USING (column_name),
			   unnest(ARRAY[$keys]) k
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'
		   AND to_jsonb(d) -> k IS DISTINCT FROM to_jsonb(l) -> k}),
	'', 'every exact metric of the profile equals the local one');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*), bool_and(d.top_values = l.top_values)
		  FROM dq.latest_profile d JOIN dq.latest_profile l USING (column_name)
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'
		   AND d.column_name IN ('kind', 'b', 'm', 'tags')}),
	'4|t', 'top values equal while the sketch holds every value');
is( $coord->safe_psql(
		'postgres', q{
		SELECT bool_and(abs(d.mean - l.mean) <= 1e-9 * abs(l.mean)
						AND abs(d.stddev - l.stddev) <= 1e-9 * l.stddev)
		  FROM dq.latest_profile d JOIN dq.latest_profile l USING (column_name)
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local' AND l.mean IS NOT NULL}),
	't', 'means and standard deviations agree to rounding');
is( $coord->safe_psql(
		'postgres', q{
		SELECT bool_and(abs((d.quantiles ->> 'p50')::float8 - (l.quantiles ->> 'p50')::float8)
						<= 0.02 * ((l.quantiles ->> 'p99')::float8 - (l.quantiles ->> 'p01')::float8))
		  FROM dq.latest_profile d JOIN dq.latest_profile l USING (column_name)
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'
		   AND d.column_name IN ('id', 'cust', 'amount', 'f')}),
	't', 'medians agree within the quantile sketch error');

# exact distinct counts and an empty distributed table
$coord->safe_psql(
	'postgres', q{
	SELECT dq.profile('public.ev', exact => true), dq.profile('public.ev_local', exact => true);
	CREATE TABLE public.nothing (a int, t text, m public.mood);
	SELECT create_distributed_table('public.nothing', 'a');
	SELECT dq.profile('public.nothing');});
is( $coord->safe_psql(
		'postgres', q{
		SELECT bool_and(d.distinct_count = l.distinct_count AND d.distinct_method = 'exact')
		  FROM dq.latest_profile d JOIN dq.latest_profile l USING (column_name)
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'}),
	't', 'exact distinct counts equal');
is( $coord->safe_psql(
		'postgres', q{
		SELECT string_agg(column_name || ':' || row_count || ':' || distinct_count, ',' ORDER BY attnum)
		  FROM dq.latest_profile WHERE table_name = 'nothing'}),
	'a:0:0,t:0:0,m:0:0', 'an empty distributed table profiles as an empty local one');

# --- dq.validate and dq.check -----------------------------------------------
$coord->safe_psql(
	'postgres', q{
	SELECT dq.expect(t, 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 1000}'),
		   dq.expect(t, 'expect_column_values_to_not_be_null', 'amount'),
		   dq.expect(t, 'expect_column_values_to_match_regex', 'email', '{"regex": "@"}'),
		   dq.expect(t, 'expect_column_values_to_be_in_set', 'kind',
					 '{"value_set": ["k1", "k2", "k3", "k4", "k5", "k6"]}', mostly => 0.5),
		   dq.expect(t, 'expect_column_pair_values_a_to_be_greater_than_b', NULL,
					 '{"column_A": "cust", "column_B": "c2"}'),
		   dq.expect(t, 'expect_column_mean_to_be_between', 'amount', '{"min_value": 0, "max_value": 1000}'),
		   dq.expect(t, 'expect_column_median_to_be_between', 'cust', '{"min_value": 0, "max_value": 1000}'),
		   dq.expect(t, 'expect_column_values_to_be_unique', 'cust')
	  FROM (VALUES ('public.ev'::regclass), ('public.ev_local'::regclass)) v(t);
});
($ret, $out, $err) = $coord->psql(
	'postgres', q{
	SET citus.log_remote_commands = on;
	SELECT dq.validate('public.ev');
	RESET citus.log_remote_commands;
	SELECT dq.validate('public.ev_local');});
is($ret, 0, 'dq.validate of the distributed table ran');
like($err, qr/worker_partial_agg\('dq\.expect_rows_pushdown\(text\)'::regprocedure, dq\.expect_row_outcomes\(/,
	'the row-level rules are evaluated on the shards');
unlike($err, qr/SELECT (amount|email|kind|cust|c2) AS worker_column_1, (amount|email|kind|cust|c2) AS worker_column_2/,
	'the rows are not gathered for the row-level rules');
is( $coord->safe_psql(
		'postgres', q{
		SELECT string_agg(d.kind, ', ' ORDER BY d.kind)
		  FROM dq.latest_validation d JOIN dq.latest_validation l
			ON l.kind = d.kind AND l.column_name IS NOT DISTINCT FROM d.column_name
		 WHERE d.table_name = 'ev' AND l.table_name = 'ev_local'
		   AND (d.success IS DISTINCT FROM l.success
				OR d.unexpected_count IS DISTINCT FROM l.unexpected_count
				OR (d.result -> 'result') - 'partial_unexpected_list' - 'partial_unexpected_counts'
					 - 'partial_unexpected_index_list'
				   IS DISTINCT FROM (l.result -> 'result') - 'partial_unexpected_list'
					 - 'partial_unexpected_counts' - 'partial_unexpected_index_list')}),
	'', 'every validation result equals the local one (the listed unexpected values aside)');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*), sum(unexpected_count) = (SELECT sum(unexpected_count) FROM dq.latest_validation
												  WHERE table_name = 'ev_local'),
			   sum(unexpected_count) FILTER (WHERE kind = 'expect_column_values_to_be_between')
		  FROM dq.latest_validation WHERE table_name = 'ev'}),
	'8|t|111', 'eight results, with the expected unexpected counts');
is( $coord->safe_psql(
		'postgres', q{
		SELECT jsonb_array_length(d.result -> 'result' -> 'partial_unexpected_list'),
			   (SELECT bool_and(v::text::numeric < 0)
				  FROM jsonb_array_elements(d.result -> 'result' -> 'partial_unexpected_list') v)
		  FROM dq.latest_validation d
		 WHERE d.table_name = 'ev' AND d.kind = 'expect_column_values_to_be_between'}),
	'20|t', 'the first unexpected values are listed, 20 of them, all unexpected');
is( $coord->safe_psql(
		'postgres', q{
		SELECT (dq.check('public.ev', 'expect_column_values_to_match_regex', 'email', '{"regex": "@"}') -> 'result')
				 - 'partial_unexpected_list'
			 = (dq.check('public.ev_local', 'expect_column_values_to_match_regex', 'email', '{"regex": "@"}') -> 'result')
				 - 'partial_unexpected_list',
			   (SELECT count(*) || ':' || bool_and(v = '"bad"')
				  FROM jsonb_array_elements(
					dq.check('public.ev', 'expect_column_values_to_match_regex', 'email',
							 '{"regex": "@", "result_format": "COMPLETE"}') -> 'result' -> 'unexpected_list') v)}),
	't|400:true',
	'dq.check counts on the shards as on one node; COMPLETE lists every unexpected value');

# --- a reference table keeps working as before ------------------------------
$coord->safe_psql(
	'postgres', q{
	CREATE TABLE public.ref AS SELECT g AS id, 'r' || (g % 10) AS name FROM generate_series(1, 100) g;
	SELECT create_reference_table('public.ref');
	SELECT dq.profile('public.ref');
	SELECT dq.expect('public.ref', 'expect_column_values_to_not_be_null', 'name');
	SELECT dq.validate('public.ref');});
is( $coord->safe_psql(
		'postgres', q{
		SELECT (SELECT row_count || ':' || distinct_count FROM dq.latest_profile
				 WHERE table_name = 'ref' AND column_name = 'name'),
			   (SELECT success || ':' || element_count FROM dq.latest_validation WHERE table_name = 'ref')}),
	'100:10|true:100', 'profile and validation of a reference table');

# --- the scheduler validates the distributed table from the coordinator ------
$coord->safe_psql('postgres',
	q{SELECT dq.schedule('validate-ev', '1 second', $$SELECT dq.validate('public.ev')$$)});
ok( DqTest::poll_until(
		$coord, 'postgres', q{
		SELECT count(*) > 0 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		 WHERE j.job_name = 'validate-ev' AND r.status = 'succeeded'}, 't'),
	'a scheduled validation of the distributed table succeeds');
$coord->safe_psql('postgres', q{SELECT dq.alter_job('validate-ev', enabled => false)});
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*) >= 2
			   AND bool_and(r.unexpected_count = (SELECT sum(unexpected_count) FROM dq.latest_validation
												   WHERE table_name = 'ev_local'))
		  FROM (SELECT v.run_id, sum(unexpected_count) AS unexpected_count
				  FROM dq.validation_results v JOIN dq.validation_runs USING (run_id)
				 WHERE table_name = 'ev' GROUP BY 1) r}),
	't', 'the scheduled runs recorded the same results');

# --- lineage names the distributed tables -----------------------------------
$coord->safe_psql(
	'postgres', q{
	CREATE VIEW public.ev_view AS SELECT id, amount * 2 AS doubled FROM public.ev;
	CREATE TABLE public.ev_daily AS SELECT cust, sum(amount) AS total FROM public.ev GROUP BY cust;
	CREATE TABLE public.ev_copy (id bigint, amount numeric);
	SELECT create_distributed_table('public.ev_copy', 'id', colocate_with => 'public.ev');
	INSERT INTO public.ev_copy SELECT id, amount FROM public.ev;});
is( $coord->safe_psql(
		'postgres', q{
		SELECT string_agg(DISTINCT source_table || '.' || source_column || '->' || target_table || '.' || target_column,
						  ', ')
		  FROM dq.column_lineage
		 WHERE target_table IN ('ev_view', 'ev_daily', 'ev_copy')
		   AND source_column IN ('amount', 'cust')}),
	'ev.amount->ev_copy.amount, ev.amount->ev_daily.total, ev.amount->ev_view.doubled, ev.cust->ev_daily.cust',
	'lineage of a view, CREATE TABLE AS and INSERT ... SELECT over distributed tables names them');
# Citus hides its shards from pg_class, and so from dq.column_lineage,
# unless asked to show them.
for my $w (@workers)
{
	is( $w->safe_psql(
			'postgres', q{
			SET citus.show_shards_for_app_name_prefixes = '*';
			SELECT count(*) FROM dq.column_lineage
			 WHERE source_table ~ '_[0-9]+$' OR target_table ~ '_[0-9]+$'}),
		'0', 'no lineage between shards is recorded on ' . $w->name);
}

$_->stop for ($coord, @workers);
done_testing();
