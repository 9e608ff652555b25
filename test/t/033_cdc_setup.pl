# dq.watch on servers that are not set up for change validation: the
# library not preloaded, wal_level below logical, and (on servers with
# that setting) output_plugin_libraries without dq_lineage.  Each error
# names the setting to change.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $setup = q{CREATE EXTENSION dq_lineage; CREATE TABLE t (id int);};

my $plain = DqTest::new_node('nopreload', preload => 0);
$plain->safe_psql('postgres', $setup);
like(
	DqTest::psql_error($plain, 'postgres', "SELECT dq.watch('t')"),
	qr/requires dq_lineage to be preloaded.*HINT:.*shared_preload_libraries/s,
	'without preloading, dq.watch names shared_preload_libraries');
like(
	DqTest::psql_error($plain, 'postgres', 'SELECT dq.cdc_start()'),
	qr/shared_preload_libraries/,
	'so does dq.cdc_start');
$plain->stop;

my $replica = DqTest::new_node('replica', extra => ['wal_level = replica']);
$replica->safe_psql('postgres', $setup);
like(
	DqTest::psql_error($replica, 'postgres', "SELECT dq.watch('t')"),
	qr/requires wal_level = logical.*HINT:.*wal_level = logical/s,
	'with wal_level = replica, dq.watch names wal_level');
$replica->stop;

SKIP:
{
	my $probe = DqTest::new_node('probe', start => 0);
	skip 'this server has no output_plugin_libraries setting', 2
	  unless DqTest::has_output_plugin_libraries($probe);
	my $limited = DqTest::new_node('limited',
		extra => ["output_plugin_libraries = 'pgoutput, test_decoding'"]);
	$limited->safe_psql('postgres', $setup);
	like(
		DqTest::psql_error($limited, 'postgres', "SELECT dq.watch('t')"),
		qr/output plugin "dq_lineage" is not allowed.*HINT:.*output_plugin_libraries/s,
		'without dq_lineage in output_plugin_libraries, dq.watch names the setting');
	is( $limited->safe_psql('postgres',
			'SELECT count(*) FROM pg_replication_slots'),
		'0',
		'no slot is left behind');
	$limited->stop;
}

done_testing();
