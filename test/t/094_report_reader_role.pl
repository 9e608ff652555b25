# dq_reader is shared by every database of the cluster: the first CREATE
# EXTENSION creates it, the next ones (other databases, or after a DROP
# EXTENSION, which leaves it) find it and grant it their own views; it
# stays NOLOGIN; a BI user granted it reads the views of every database
# where the extension is, and nothing else; once the extension is gone
# everywhere, the role can be dropped.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('reader');

is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'dq_reader'}),
	'0', 'no dq_reader before the extension');
$node->safe_psql('postgres', 'CREATE DATABASE db1');
$node->safe_psql('postgres', 'CREATE DATABASE db2');

my ($ret, $out, $err) = $node->psql('db1', 'CREATE EXTENSION dq_lineage');
is($ret, 0, 'CREATE EXTENSION in db1');
is($err, '', 'without a message');
is( $node->safe_psql('postgres',
		q{SELECT rolcanlogin, rolsuper, shobj_description(oid, 'pg_authid') IS NOT NULL
		    FROM pg_roles WHERE rolname = 'dq_reader'}),
	'f|f|t', 'it created dq_reader, NOLOGIN, with a comment');

($ret, $out, $err) = $node->psql('db2', 'CREATE EXTENSION dq_lineage');
is($ret, 0, 'CREATE EXTENSION in db2 finds the role');
is($err, '', 'and says nothing about it');

my $grants = q{SELECT has_table_privilege('dq_reader', 'dq.metric_history', 'SELECT')
	              AND has_table_privilege('dq_reader', 'dq.table_scorecard', 'SELECT')
	              AND has_function_privilege('dq_reader', 'dq.report_html(regclass, timestamptz)', 'EXECUTE')};
is($node->safe_psql('db1', $grants), 't', 'dq_reader reads the views of db1');
is($node->safe_psql('db2', $grants), 't', 'and of db2');

# a BI user: the role and a login
$node->safe_psql('postgres', q{
	CREATE ROLE grafana LOGIN;
	GRANT dq_reader TO grafana;
});
for my $db ('db1', 'db2')
{
	$node->safe_psql($db, q{
		CREATE TABLE t (v int);
		INSERT INTO t SELECT generate_series(1, 10);
		SELECT dq.profile('t');
		-- what a cautious DBA may do: PUBLIC reads nothing of dq
		REVOKE SELECT ON ALL TABLES IN SCHEMA dq FROM PUBLIC;
		GRANT SELECT ON t TO grafana;
	});
	is( $node->safe_psql($db,
			q{SET ROLE grafana; SELECT count(*) FROM dq.metric_history WHERE table_name = 't' AND metric = 'row_count'}),
		'1', "the BI user reads the metric history in $db through dq_reader");
	like(DqTest::psql_error($node, $db, q{SET ROLE grafana; INSERT INTO dq.jobs (job_name, schedule, command, owner, superuser) VALUES ('x', '@hourly', 'SELECT 1', 'grafana', false)}),
		qr/permission denied/, "and writes nothing in $db");
}

# DROP EXTENSION leaves the role (other databases use it) and its grants
# there; CREATE EXTENSION again grants it the new objects
$node->safe_psql('db1', 'DROP EXTENSION dq_lineage CASCADE');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'dq_reader'}),
	'1', 'DROP EXTENSION leaves dq_reader');
is($node->safe_psql('db2', $grants), 't', 'db2 keeps its grants');
($ret, $out, $err) = $node->psql('db1', 'CREATE EXTENSION dq_lineage');
is($ret, 0, 'CREATE EXTENSION again in db1');
is($node->safe_psql('db1', $grants), 't', 'grants the new objects to the existing role');

# the role cannot go while databases grant it something ...
like(DqTest::psql_error($node, 'postgres', 'DROP ROLE dq_reader'),
	qr/role "dq_reader" cannot be dropped because some objects depend on it/,
	'dq_reader cannot be dropped while the extension is installed');
# ... and can once the extension is gone everywhere
$node->safe_psql('db1', 'DROP EXTENSION dq_lineage CASCADE');
$node->safe_psql('db2', 'DROP EXTENSION dq_lineage CASCADE');
$node->safe_psql($_, 'DROP TABLE t') for ('db1', 'db2');
$node->safe_psql('postgres', 'DROP ROLE grafana');
($ret, $out, $err) = $node->psql('postgres', 'DROP ROLE dq_reader');
is($ret, 0, 'DROP ROLE dq_reader once no database has the extension') or diag($err);

# a dq_reader made by the DBA beforehand is used as it is
$node->safe_psql('postgres', q{CREATE ROLE dq_reader NOLOGIN; COMMENT ON ROLE dq_reader IS 'ours'});
$node->safe_psql('db1', 'CREATE EXTENSION dq_lineage');
is( $node->safe_psql('postgres',
		q{SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'dq_reader'}),
	'ours', 'an existing dq_reader is kept as it is');
is($node->safe_psql('db1', $grants), 't', 'and granted the views');

$node->stop;
done_testing();
