# Stored row values of change validation follow the visibility rules of
# profiles and results (docs/security.md): a role that row-level security
# restricts on the watched table sees no violation rows (they carry row
# images), the table's owner and roles that see every row do; quarantined
# copies and broken-rule messages likewise.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('cdcvis', create_extension => 1);

$node->safe_psql(
	'postgres', q{
	CREATE ROLE owner_role;
	CREATE ROLE restricted;
	CREATE ROLE plain_reader;
	GRANT CREATE ON SCHEMA public TO owner_role;
	SET ROLE owner_role;
	CREATE TABLE public.accounts (id int PRIMARY KEY, region text, secret text);
	ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
	CREATE POLICY own_region ON public.accounts FOR SELECT TO restricted
		USING (region = 'north');
	GRANT SELECT ON public.accounts TO restricted;
	CREATE TABLE public.open_table (id int PRIMARY KEY, note text);
	GRANT SELECT ON public.open_table TO plain_reader, restricted;
	SELECT dq.expect('public.accounts', 'expect_column_values_to_not_be_null', 'secret');
	SELECT dq.expect('public.open_table', 'expect_column_values_to_not_be_null', 'note');
	RESET ROLE;
});
$node->safe_psql('postgres', q{SELECT dq.watch('public.accounts', quarantine => true)});
$node->safe_psql('postgres', q{SELECT dq.watch('public.open_table')});
$node->safe_psql(
	'postgres', q{
	INSERT INTO public.accounts VALUES (1, 'south', NULL), (2, 'north', 'x'), (3, 'south', NULL);
	INSERT INTO public.open_table VALUES (1, NULL);
});
ok(DqTest::cdc_caught_up($node), 'change validation caught up');

is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM dq.violations v JOIN pg_class c ON c.oid = v.relid
		               WHERE c.relname = 'accounts'}),
	'2', 'two violations recorded on the table with row-level security');
is( $node->safe_psql(
		'postgres', q{SET ROLE owner_role;
		SELECT count(*) FROM dq.violations v WHERE v.relid = 'public.accounts'::regclass}),
	'2', "the table's owner sees its violations");
is( $node->safe_psql(
		'postgres', q{SET ROLE restricted;
		SELECT count(*) FROM dq.violations v WHERE v.row_image ->> 'region' = 'south'}),
	'0', 'a role that RLS restricts sees no violation row (their images show hidden rows)');
is( $node->safe_psql(
		'postgres', q{SET ROLE restricted;
		SELECT count(*) FROM dq.violations v WHERE v.relid = 'public.open_table'::regclass}),
	'1', 'the same role sees the violations of a table without row-level security');
is( $node->safe_psql(
		'postgres', q{SET ROLE plain_reader;
		SELECT count(*) FROM dq.violations}),
	'1', 'a reader of one table sees only its violations');
my $q = $node->safe_psql('postgres',
	q{SELECT quarantine::regclass FROM dq.watched_tables WHERE relid = 'public.accounts'::regclass});
ok($q ne '', "the quarantine table exists ($q)");
is($node->safe_psql('postgres', "SELECT count(*) FROM $q"),
	'2', 'the quarantine table holds the violating rows');
is($node->safe_psql('postgres', "SET ROLE restricted; SELECT count(*) FROM $q"),
	'0', 'a role that RLS restricts sees no quarantined row');
is($node->safe_psql('postgres', "SET ROLE owner_role; SELECT count(*) FROM $q"),
	'2', "the table's owner sees the quarantined rows");

$node->stop;
done_testing();
