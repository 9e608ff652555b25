# Loading dq_lineage: preloaded with the test settings, CREATE EXTENSION,
# its catalog entry, its GUCs and the reserved GUC prefix; and a server
# without shared_preload_libraries, where the library is loaded on demand.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my ($out, $err);

#
# A node configured like every test instance (test/dq_test.conf).
#
my $node = DqTest::new_node('main', create_extension => 1);

like(
	$node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	qr/(?:^|[\s,])dq_lineage(?:$|[\s,])/,
	'dq_lineage is in shared_preload_libraries');

# A new session that loaded nothing itself knows the GUCs: the postmaster
# loaded the library.
like(
	$node->safe_psql('postgres', 'SHOW dq_lineage.profile_top_k'),
	qr/^\d+$/,
	'dq_lineage.profile_top_k exists in a fresh session (library preloaded)');
like(
	$node->safe_psql('postgres', 'SHOW dq_lineage.profile_histogram_buckets'),
	qr/^\d+$/,
	'dq_lineage.profile_histogram_buckets exists');

is( $node->safe_psql(
		'postgres', q{
		SELECT extversion, extrelocatable, extnamespace::regnamespace
		  FROM pg_extension WHERE extname = 'dq_lineage'}),
	'0.2.0|f|dq',
	'extension dq_lineage 0.2.0 is installed in schema dq, not relocatable');

is( $node->safe_psql(
		'postgres', q{
		SELECT default_version FROM pg_available_extensions
		 WHERE name = 'dq_lineage'}),
	'0.2.0',
	'the default version is 0.2.0');

is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_namespace WHERE nspname = 'dq'"),
	'1',
	'schema dq exists');

is( $node->safe_psql(
		'postgres',
		"SET dq_lineage.profile_top_k = 3; SHOW dq_lineage.profile_top_k"),
	'3',
	'dq_lineage.profile_top_k can be set by a user');

# The prefix is reserved, so a misspelt setting is an error rather than a
# silently ignored placeholder.
$err = DqTest::psql_error($node, 'postgres',
	'SET dq_lineage.no_such_setting = 1');
ok(defined $err, 'SET dq_lineage.no_such_setting fails');
like(
	$err // '',
	qr/invalid configuration parameter name "dq_lineage\.no_such_setting"/,
	'... because the name is invalid');
like($err // '', qr/"dq_lineage" is a reserved prefix/,
	'... because dq_lineage is a reserved prefix');

$node->stop;

#
# A node without shared_preload_libraries: the extension still installs,
# and LOAD brings the GUCs.
#
my $plain = DqTest::new_node('nopreload', preload => 0);

is($plain->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'the second node preloads nothing');

$err = DqTest::psql_error($plain, 'postgres',
	'SHOW dq_lineage.profile_top_k');
like(
	$err // '',
	qr/unrecognized configuration parameter "dq_lineage\.profile_top_k"/,
	'without preloading, the GUC is unknown before the library is loaded');

my ($ret) = $plain->psql('postgres', 'CREATE EXTENSION dq_lineage');
is($ret, 0, 'CREATE EXTENSION works without preloading');

is( $plain->safe_psql(
		'postgres', "SELECT extversion FROM pg_extension WHERE extname = 'dq_lineage'"),
	'0.2.0',
	'the extension is installed at 0.2.0');

like(
	$plain->safe_psql(
		'postgres', "LOAD 'dq_lineage'; SHOW dq_lineage.profile_top_k"),
	qr/^\d+$/,
	'after LOAD, dq_lineage.profile_top_k exists');
like(
	$plain->safe_psql(
		'postgres',
		"LOAD 'dq_lineage'; SHOW dq_lineage.profile_histogram_buckets"),
	qr/^\d+$/,
	'after LOAD, dq_lineage.profile_histogram_buckets exists');

$err = DqTest::psql_error($plain, 'postgres',
	"LOAD 'dq_lineage'; SET dq_lineage.no_such_setting = 1");
like($err // '', qr/"dq_lineage" is a reserved prefix/,
	'after LOAD, the prefix is reserved too');

$plain->stop;

done_testing();
