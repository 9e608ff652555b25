# Dump and restore: a database with expectations, a job, a watch,
# profiles, validation results, violations, lineage and the history of a
# dropped table is dumped with pg_dump and restored (a) into a new
# database of the same cluster (plain format, psql) and (b) into a fresh
# cluster whose tables get other OIDs (custom format, pg_restore, decoy
# tables created first).  Every row is attached to the relation of the
# same name, and validation, change validation and lineage queries work
# on the restored database.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('dump_src');
my $tmp = PostgreSQL::Test::Utils::tempdir;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
	CREATE EXTENSION dq_lineage;
	-- tables created before the others, so that OIDs are not in name order
	CREATE TABLE public.filler_1 (x int);
	CREATE SCHEMA shop;
	CREATE TABLE shop.customers (id int PRIMARY KEY, email text);
	CREATE TABLE public.filler_2 (x int);
	CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int, amount numeric,
		status text);
	CREATE TABLE public."Odd Name" ("a b" int, c int);
	INSERT INTO shop.customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 50) g;
	INSERT INTO shop.orders SELECT g, g % 50 + 1, g % 100, 'new' FROM generate_series(1, 500) g;
	INSERT INTO public."Odd Name" SELECT g, g FROM generate_series(1, 10) g;
	SELECT dq.profile('shop.orders');
	SELECT dq.profile('shop.customers');
	SELECT dq.profile('public."Odd Name"');
	SELECT dq.expect('shop.orders', 'expect_column_values_to_not_be_null', 'customer_id');
	SELECT dq.expect('shop.orders', 'expect_column_values_to_be_between', 'amount',
		'{"min_value": 0, "max_value": 1000}');
	SELECT dq.expect('shop.customers', 'expect_column_values_to_match_regex', 'email',
		'{"regex": "@"}');
	SELECT dq.expect('public."Odd Name"', 'expect_column_pair_values_a_to_be_greater_than_b',
		params => '{"column_A": "a b", "column_B": "c", "or_equal": true}');
	SELECT dq.validate('shop.orders');
	SELECT dq.validate('shop.customers');
	SELECT dq.validate('public."Odd Name"');
	SELECT dq.schedule_validation('shop.orders', '0 3 * * *');
	-- lineage: a view, CREATE TABLE AS, INSERT ... SELECT, a manual edge
	CREATE VIEW shop.big_orders AS SELECT id, amount * 2 AS double_amount
		FROM shop.orders WHERE amount > 50;
	CREATE TABLE shop.daily AS SELECT customer_id, sum(amount) AS total
		FROM shop.orders GROUP BY 1;
	CREATE TABLE shop.emails (email text);
	INSERT INTO shop.emails SELECT email FROM shop.customers;
	SELECT dq.lineage_flush();
	SELECT dq.record_lineage('shop.customers', 'id', 'shop.daily', 'customer_id',
		'INDIRECT', 'JOIN');
	-- the history of a dropped table
	CREATE TABLE shop.gone (v int);
	INSERT INTO shop.gone VALUES (1);
	SELECT dq.expect('shop.gone', 'expect_column_values_to_not_be_null', 'v');
	SELECT dq.validate('shop.gone');
	DROP TABLE shop.gone;
});
$node->safe_psql('src', q{SELECT dq.watch('shop.orders', quarantine => true)});
$node->safe_psql('src', q{INSERT INTO shop.orders VALUES (9001, NULL, 5, 'new')});
ok(DqTest::cdc_caught_up($node, 'src'), 'the violation is recorded in the source');
is($node->safe_psql('src', 'SELECT count(*) FROM dq.violations'),
	'1', 'one violation in the source');

# What every catalog table says, with relations by name: the same text
# must come out of a restored database.
my $fingerprint_sql = q{
	SELECT 'profile_runs ' || string_agg(coalesce(relid::text, '-') || ':' || table_name
		|| ':' || columns_profiled, ' ' ORDER BY run_id) FROM dq.profile_runs
	UNION ALL
	SELECT 'column_profiles ' || string_agg(coalesce(relid::text, '-') || ':' || attnum || ':'
		|| column_name || ':' || row_count, ' ' ORDER BY run_id, attnum) FROM dq.column_profiles
	UNION ALL
	SELECT 'latest_profile ' || string_agg(schema_name || '.' || table_name || '.' || column_name
		|| ':' || coalesce(max_value, '-'), ' ' ORDER BY schema_name, table_name, attnum)
	  FROM dq.latest_profile
	UNION ALL
	SELECT 'expectations ' || string_agg(coalesce(relid::text, '-') || ':' || kind || ':'
		|| coalesce(column_name, '-') || ':' || coalesce(attnum::text, '-') || ':'
		|| coalesce(param_attnums::text, '-') || ':' || status, ' ' ORDER BY expectation_id)
	  FROM dq.expectations
	UNION ALL
	SELECT 'validation_runs ' || string_agg(coalesce(relid::text, '-') || ':' || table_name
		|| ':' || evaluated || ':' || failed, ' ' ORDER BY run_id) FROM dq.validation_runs
	UNION ALL
	SELECT 'validation_results ' || string_agg(coalesce(relid::text, '-') || ':' || expectation_id
		|| ':' || success, ' ' ORDER BY run_id, expectation_id) FROM dq.validation_results
	UNION ALL
	SELECT 'scorecard ' || string_agg(schema_name || '.' || table_name || ':' || expectations
		|| ':' || open_failures, ' ' ORDER BY schema_name, table_name) FROM dq.quality_scorecard
	UNION ALL
	SELECT 'watched ' || string_agg(relid::text, ' ' ORDER BY relid::text) FROM dq.watched_tables
	UNION ALL
	SELECT 'violations ' || string_agg(coalesce(relid::text, '-') || ':' || expectation_id
		|| ':' || operation || ':' || (row_image->>'id'), ' ' ORDER BY violation_id)
	  FROM dq.violations
	UNION ALL
	SELECT 'jobs ' || string_agg(job_name || ':' || command, ' ' ORDER BY job_name) FROM dq.jobs
	UNION ALL
	SELECT 'lineage ' || string_agg(format('%s.%s.%s>%s.%s.%s:%s:%s:%s', source_schema,
		source_table, source_column, target_schema, target_table, target_column,
		subtype, origin, dropped), ' '
		ORDER BY source_schema, source_table, source_column, target_schema, target_table,
				 target_column, subtype, origin)
	  FROM dq.column_lineage
	UNION ALL
	SELECT 'lineage_relids ' || count(*) FILTER (WHERE source_relid IS NOT NULL AND
		(source_relid::text <> quote_ident(source_schema) || '.' || quote_ident(source_table)
		 AND source_relid::text <> quote_ident(source_table)))
	  FROM dq.lineage_edges
	UNION ALL
	SELECT 'dropped ' || string_agg(schema_name || '.' || table_name || ':' || expectations_ended
		|| ':' || watch_ended, ' ') FROM dq.dropped_relations};
my $source = $node->safe_psql('src', $fingerprint_sql);
like($source, qr/^expectations .*shop\.orders:expect_column_values_to_not_be_null/m,
	'the fingerprint names relations');
like($source, qr/^validation_runs .*-:gone:1:0/m,
	'the dropped table\'s run is kept with no relation');
like($source, qr/^lineage .*shop\.orders\.amount>shop\.daily\.total:AGGREGATION:ctas/m,
	'the source has CREATE TABLE AS lineage');
like($source, qr/^lineage .*shop\.customers\.email>shop\.emails\.email:IDENTITY:insert/m,
	'the source has INSERT ... SELECT lineage');
like($source, qr/^lineage .*shop\.orders\.amount>shop\.big_orders\.double_amount:TRANSFORMATION:view/m,
	'the source has view lineage');

my $oids_sql = q{
	SELECT string_agg(c.oid::text, ',' ORDER BY c.relname) FROM pg_class c
	 WHERE c.relnamespace = 'shop'::regnamespace AND c.relkind IN ('r', 'v')};
my $source_oids = $node->safe_psql('src', $oids_sql);
my $upstream_sql = q{
	SELECT string_agg(source_column || ':' || subtype, ',' ORDER BY source_column, subtype)
	  FROM dq.upstream('shop.daily', 'total')};
my $source_upstream = $node->safe_psql('src', $upstream_sql);
is($source_upstream, 'amount:AGGREGATION,customer_id:GROUP_BY', 'dq.upstream in the source');
my $view_sql = q{
	SELECT string_agg(source_column || ':' || subtype, ',' ORDER BY source_column, subtype)
	  FROM dq.upstream('shop.big_orders', 'double_amount')};
my $source_view = $node->safe_psql('src', $view_sql);
is($source_view, 'amount:TRANSFORMATION', 'the view\'s lineage in the source');

# Checks of a restored database: same fingerprint, other OIDs, and the
# features work.
sub check_restored
{
	my ($n, $db, $label) = @_;

	isnt($n->safe_psql($db, $oids_sql), $source_oids,
		"$label: the tables have other OIDs than in the source");
	my $restored = $n->safe_psql($db, $fingerprint_sql);
	is($restored, $source, "$label: every row is attached to the relation of the same name");
	is( $n->safe_psql(
			$db, q{SELECT count(*) FROM dq.expectations e
					 JOIN pg_class c ON c.oid = e.relid
					WHERE c.relname <> e.table_name}),
		'0', "$label: no expectation names another relation than its own");
	is($n->safe_psql($db, 'SELECT count(*) FROM dq.watched_tables WHERE quarantine IS NOT NULL'),
		'0', "$label: the quarantine table (not in the dump) is forgotten");

	my $run = $n->safe_psql($db, q{SELECT dq.validate('shop.orders')});
	is( $n->safe_psql(
			$db, "SELECT evaluated || ':' || failed FROM dq.validation_runs WHERE run_id = $run"),
		'2:1', "$label: dq.validate evaluates the restored expectations");
	is( $n->safe_psql(
			$db, q{SELECT dq.validate('public."Odd Name"') > 0}),
		't', "$label: a pair expectation on quoted columns validates");
	is( $n->safe_psql($db, $upstream_sql),
		$source_upstream, "$label: dq.upstream finds the restored CREATE TABLE AS lineage");
	is( $n->safe_psql(
			$db, q{SELECT string_agg(target_table || '.' || target_column, ',' ORDER BY 1)
					 FROM dq.downstream('shop.customers', 'email')}),
		'emails.email', "$label: dq.downstream finds the restored INSERT lineage");
	is( $n->safe_psql($db, $view_sql),
		$source_view, "$label: the view's lineage is there once");
	is( $n->safe_psql(
			$db, q{SELECT count(*) FROM dq.job_status WHERE job_name = 'validate shop.orders'}),
		'1', "$label: the scheduled validation is there");
	is( $n->safe_psql(
			$db, q{SELECT count(*) FROM dq.validation_summary WHERE relation_dropped}),
		'1', "$label: the dropped table's history is kept and flagged");

	# change validation resumes on the restored watch
	$n->safe_psql($db, 'SELECT dq.cdc_start()');
	ok( DqTest::poll_until(
			$n, $db,
			q{SELECT count(*) FROM pg_replication_slots
			   WHERE slot_name = 'dq_lineage_' || (SELECT oid FROM pg_database WHERE datname = current_database())
				 AND active},
			'1'),
		"$label: the change validation worker holds a slot");
	$n->safe_psql($db, q{INSERT INTO shop.orders VALUES (9002, NULL, 5, 'new')});
	ok(DqTest::cdc_caught_up($n, $db), "$label: change validation caught up");
	is( $n->safe_psql(
			$db, q{SELECT string_agg(relid::text || ':' || (row_image->>'id'), ',' ORDER BY violation_id)
					 FROM dq.violations}),
		'shop.orders:9001,shop.orders:9002',
		"$label: the restored watch records new violations against the right table");
	$n->safe_psql($db, q{SELECT dq.unwatch('shop.orders')});
}

#
# (a) plain dump, restored with psql into a new database of the same cluster
#
my $plain = "$tmp/src.sql";
$node->command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', $plain ],
	'pg_dump (plain)');
$node->safe_psql('postgres', 'CREATE DATABASE copy_a');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('copy_a'), '-f', $plain ],
	'restore into a new database of the same cluster');
check_restored($node, 'copy_a', 'same cluster');

#
# (b) custom-format dump, restored with pg_restore into a fresh cluster
#
my $custom = "$tmp/src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $custom ],
	'pg_dump (custom format)');
$node->safe_psql('src', q{SELECT dq.unwatch('shop.orders')});

my $fresh = DqTest::new_node('dump_dst');
$fresh->safe_psql('postgres', 'CREATE DATABASE copy_b');
# decoys: the restored tables get OIDs the source's tables never had
$fresh->safe_psql('copy_b',
	join('', map { "CREATE TABLE public.decoy_$_ (x int);" } 1 .. 40));
$fresh->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $fresh->connstr('copy_b'), $custom ],
	'pg_restore into a fresh cluster');
check_restored($fresh, 'copy_b', 'fresh cluster');

$fresh->stop;
$node->stop;
done_testing();
