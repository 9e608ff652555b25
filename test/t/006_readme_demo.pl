# The first hour of a new user: the README's SQL blocks run as written in a
# database loaded the way the demo loads it (scripts/demo-data.sql), and
# loading the demo data again survives what a user made on the demo tables
# (a view, an expectation, a watch): the rows are reloaded, the relations
# stay the same.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $root = File::Spec->catdir(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, File::Spec->updir);
my $demo_data = "$root/scripts/demo-data.sql";

my $node = DqTest::new_node('readme');
$node->safe_psql('postgres', 'CREATE DATABASE dq_demo');
$node->safe_psql('dq_demo', 'CREATE EXTENSION IF NOT EXISTS dq_lineage');

sub load_demo_data
{
	my ($ret, $stdout, $stderr) = $node->psql('dq_demo', undef,
		extra_params => [ '-f', $demo_data ],
		on_error_stop => 1);
	return ($ret, $stderr);
}

my ($ret, $stderr) = load_demo_data();
is($ret, 0, 'the demo data loads') or diag($stderr);
is($node->safe_psql('dq_demo', 'SELECT count(*) FROM demo.orders'),
	'50000', 'demo.orders has its 50,000 rows');

# The README's blocks, in order, in the demo database.
my $readme = slurp_file("$root/README.md");
my $n = 0;
while ($readme =~ /```sql\n(.*?)```/gs)
{
	my $sql = $1;
	$n++;
	my ($stdout, $err);
	my $r = $node->psql('dq_demo', $sql,
		stdout => \$stdout, stderr => \$err, on_error_stop => 1);
	is($r, 0, "README block $n runs in the demo database") or diag($err);
	unlike($err // '', qr/ERROR/, "README block $n raises no error");
}
ok($n >= 2, "the README has its SQL blocks ($n)");

# A user's objects on the demo tables, then the demo data once more.
my $oid_before = $node->safe_psql('dq_demo', q{SELECT 'demo.orders'::regclass::oid});
$node->safe_psql('dq_demo', q{
	CREATE VIEW public.my_orders AS SELECT order_id, amount FROM demo.orders;
	SELECT dq.expect('demo.customers', 'expect_column_values_to_not_be_null', 'email');
});
($ret, $stderr) = load_demo_data();
is($ret, 0, 'the demo data loads again with a user view on demo.orders')
  or diag($stderr);
is($node->safe_psql('dq_demo', 'SELECT count(*) FROM public.my_orders'),
	'50000', "the user's view survives and sees the reloaded rows");
is($node->safe_psql('dq_demo', q{SELECT 'demo.orders'::regclass::oid}),
	$oid_before, 'demo.orders is the same relation after the reload');
is( $node->safe_psql(
		'dq_demo', q{
		SELECT count(*) FROM dq.expectations
		 WHERE relid IN ('demo.orders'::regclass, 'demo.customers'::regclass)}),
	'2', "the user's expectations still belong to the demo tables");
is($node->safe_psql('dq_demo', q{SELECT count(*) FROM dq.watched_tables}),
	'1', 'the watch of demo.orders survives the reload');

$node->stop;
done_testing();
