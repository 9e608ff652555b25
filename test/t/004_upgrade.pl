# Upgrades: a database filled under the released 0.1.0 install script is
# updated with ALTER EXTENSION dq_lineage UPDATE, keeps every expectation,
# job, watch, profile, result and lineage edge, and works afterwards; and
# the updated extension has exactly the objects (tables and their columns,
# functions and their bodies, views, comments, privileges, policies,
# triggers, event triggers) of a fresh install of the current version.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('upgrade');
my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'dq_lineage'");

$node->safe_psql('postgres', 'CREATE DATABASE filled');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');

#
# Fill every catalog table under 0.1.0.
#
$node->safe_psql(
	'filled', q{
	CREATE EXTENSION dq_lineage VERSION '0.1.0';
	CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int,
		amount numeric, email text);
	INSERT INTO public.orders
		SELECT g, g % 50, (g % 1000) - 5, 'u' || g || '@example.com'
		  FROM generate_series(1, 2000) g;
	SELECT dq.profile('public.orders');
	SELECT dq.expect('public.orders', 'expect_column_values_to_not_be_null', 'customer_id');
	SELECT dq.expect('public.orders', 'expect_column_values_to_be_between', 'amount',
		'{"min_value": 0, "max_value": 100000}', mostly => 0.99);
	SELECT dq.validate('public.orders');
	SELECT dq.schedule('nightly-orders', '0 3 * * *', $$SELECT dq.validate('public.orders')$$);
	CREATE VIEW public.big_orders AS SELECT id, amount * 2 AS double_amount
		FROM public.orders WHERE amount > 100;
	CREATE TABLE public.daily AS SELECT customer_id, sum(amount) AS total
		FROM public.orders GROUP BY 1;
});
$node->safe_psql('filled', q{SELECT dq.watch('public.orders')});
$node->safe_psql('filled',
	q{INSERT INTO public.orders VALUES (5001, NULL, -1, 'x')});
ok(DqTest::cdc_caught_up($node, 'filled'), 'violations recorded under 0.1.0');

my $counts_sql = q{
	SELECT (SELECT count(*) FROM dq.profile_runs) || ',' ||
	       (SELECT count(*) FROM dq.column_profiles) || ',' ||
	       (SELECT count(*) FROM dq.expectations) || ',' ||
	       (SELECT count(*) FROM dq.validation_runs) || ',' ||
	       (SELECT count(*) FROM dq.validation_results) || ',' ||
	       (SELECT count(*) FROM dq.jobs) || ',' ||
	       (SELECT count(*) FROM dq.watched_tables) || ',' ||
	       (SELECT count(*) FROM dq.violations) || ',' ||
	       (SELECT count(*) FROM dq.lineage_edges)};
my $before = $node->safe_psql('filled', $counts_sql);
unlike($before, qr/(^|,)0(,|$)/, "every catalog table has rows under 0.1.0 ($before)");

#
# Update.
#
$node->safe_psql('filled', 'ALTER EXTENSION dq_lineage UPDATE');
is( $node->safe_psql('filled',
		"SELECT extversion FROM pg_extension WHERE extname = 'dq_lineage'"),
	$current, "ALTER EXTENSION UPDATE reaches $current");
is($node->safe_psql('filled', $counts_sql), $before,
	'every row of every catalog table survived the update');

#
# Everything still works on the updated database.
#
is( $node->safe_psql(
		'filled', q{
		SELECT count(*) FROM dq.expectations e
		  JOIN pg_class c ON c.oid = e.relid WHERE c.relname = 'orders'}),
	'2', 'expectations are still attached to public.orders');
is( $node->safe_psql(
		'filled', q{SELECT (dq.validate('public.orders') IS NOT NULL)::text}),
	'true', 'dq.validate runs after the update');
is( $node->safe_psql(
		'filled', q{
		SELECT count(*) FROM dq.latest_validation WHERE table_name = 'orders'}),
	'2', 'the new validation has a result per expectation');
is( $node->safe_psql(
		'filled', q{SELECT (dq.profile('public.orders') IS NOT NULL)::text}),
	'true', 'dq.profile runs after the update');
is( $node->safe_psql(
		'filled',
		q{SELECT count(*) FROM dq.upstream('public.daily', 'total')
		   WHERE source_column = 'amount'}),
	'1', 'lineage captured under 0.1.0 is still found by dq.upstream');
is( $node->safe_psql(
		'filled', q{SELECT count(*) FROM dq.job_status WHERE job_name = 'nightly-orders'}),
	'1', 'the scheduled job is still there');
$node->safe_psql('filled',
	q{INSERT INTO public.orders VALUES (5002, NULL, 5, 'y')});
ok(DqTest::cdc_caught_up($node, 'filled'), 'change validation caught up after the update');
is( $node->safe_psql(
		'filled', q{
		SELECT count(*) FROM dq.violations v
		 WHERE v.row_image->>'id' = '5002'}),
	'1', 'change validation goes on after the update');

#
# The updated extension equals a fresh install of the current version.
#
$node->safe_psql('fresh', 'CREATE EXTENSION dq_lineage');

my $objects_sql = q{
	WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'dq_lineage'),
	members AS (
		SELECT d.classid, d.objid, d.objsubid
		  FROM pg_depend d, ext
		 WHERE d.refclassid = 'pg_extension'::regclass
		   AND d.refobjid = ext.oid AND d.deptype = 'e')
	SELECT 'member ' || pg_describe_object(classid, objid, objsubid)
	  FROM members
	UNION ALL
	SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' '
	       || format_type(a.atttypid, a.atttypmod)
	       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
	       || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
	       || coalesce(' comment ' || col_description(c.oid, a.attnum), '')
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
	UNION ALL
	SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text
	       || ' acl ' || coalesce(c.relacl::text, '-')
	       || ' options ' || coalesce(c.reloptions::text, '-')
	       || ' rls ' || c.relrowsecurity::text
	       || coalesce(' comment ' || obj_description(c.oid, 'pg_class'), '')
	       || CASE WHEN c.relkind IN ('v', 'm') THEN ' view ' || pg_get_viewdef(c.oid) ELSE '' END
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	SELECT 'constraint ' || con.conrelid::regclass || ' ' || pg_get_constraintdef(con.oid)
	  FROM pg_constraint con JOIN members m
	    ON m.classid = 'pg_class'::regclass AND m.objid = con.conrelid
	UNION ALL
	SELECT 'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \S+ ', 'INDEX ')
	  FROM pg_index i JOIN members m
	    ON m.classid = 'pg_class'::regclass AND m.objid = i.indrelid
	UNION ALL
	SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text
	       || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
	       || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
	       || ' ' || p.polroles::text
	  FROM pg_policy p JOIN members m
	    ON m.classid = 'pg_class'::regclass AND m.objid = p.polrelid
	UNION ALL
	SELECT 'trigger ' || t.tgrelid::regclass || ' ' || pg_get_triggerdef(t.oid)
	  FROM pg_trigger t JOIN members m
	    ON m.classid = 'pg_class'::regclass AND m.objid = t.tgrelid
	 WHERE NOT t.tgisinternal
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' returns '
	       || pg_get_function_result(p.oid)
	       || ' ' || p.prokind::text || ' ' || p.provolatile::text || ' ' || p.proparallel::text
	       || ' strict ' || p.proisstrict::text || ' definer ' || p.prosecdef::text
	       || ' config ' || coalesce(p.proconfig::text, '-')
	       || ' acl ' || coalesce(p.proacl::text, '-')
	       || coalesce(' comment ' || obj_description(p.oid, 'pg_proc'), '')
	       || ' body ' || md5(p.prosrc)
	  FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	UNION ALL
	SELECT 'event trigger ' || e.evtname || ' ' || e.evtevent || ' '
	       || e.evtfoid::regproc::text || ' ' || coalesce(e.evttags::text, '-')
	  FROM members m JOIN pg_event_trigger e
	    ON m.classid = 'pg_event_trigger'::regclass AND e.oid = m.objid
	UNION ALL
	SELECT 'schema ' || n.nspname || ' acl ' || coalesce(n.nspacl::text, '-')
	       || coalesce(' comment ' || obj_description(n.oid, 'pg_namespace'), '')
	  FROM pg_namespace n WHERE n.nspname LIKE 'dq%'
	UNION ALL
	SELECT 'config dump ' || cfg::regclass || ' ' || coalesce(cond, '-')
	  FROM pg_extension e,
	       unnest(e.extconfig, e.extcondition) AS u(cfg, cond)
	 WHERE e.extname = 'dq_lineage'
	ORDER BY 1};

my $fresh = $node->safe_psql('fresh', $objects_sql);
my $updated = $node->safe_psql('filled', $objects_sql);
my @fresh = split /\n/, $fresh;
my @updated = split /\n/, $updated;
my %in_fresh = map { $_ => 1 } @fresh;
my %in_updated = map { $_ => 1 } @updated;
my @missing = grep { !$in_updated{$_} } @fresh;
my @extra = grep { !$in_fresh{$_} } @updated;
ok(scalar(@fresh) > 100, 'the object list of a fresh install is complete (' . scalar(@fresh) . ' lines)');
is(join("\n", @missing), '', 'the update creates every object of a fresh install');
is(join("\n", @extra), '', 'the update leaves nothing a fresh install does not have');

$node->stop;
done_testing();
