# Lineage capture across sessions and restarts: edges are durable and a
# crash loses only the occurrence counters not yet flushed; a server that
# does not preload the library still captures DDL but not DML; capture works
# with compute_query_id = off.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('lineage', create_extension => 1);

$node->safe_psql('postgres', q{
	CREATE TABLE src (id int, amount numeric);
	CREATE TABLE dst (id int, amount numeric);
	INSERT INTO src SELECT g, g FROM generate_series(1, 10) g;
	CREATE VIEW v AS SELECT id, amount * 2 AS doubled FROM src;
});

my $edges = q{SELECT string_agg(format('%s.%s>%s.%s %s %s', source_table, source_column,
	target_table, COALESCE(target_column, '*'), subtype, occurrences), ', '
	ORDER BY target_table, target_column, source_column)
	FROM dq.column_lineage WHERE target_table IN ('dst', 'v')};

# Several sessions run the same statement: the edges are written once.
for my $i (1 .. 3)
{
	$node->safe_psql('postgres',
		'INSERT INTO dst SELECT id, amount FROM src WHERE id > 5');
}
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'dst'}),
	'3', 'three sessions, edges written once');
is($node->safe_psql('postgres', $edges),
	'src.amount>dst.amount IDENTITY 3, src.id>dst.id IDENTITY 3, src.id>dst.* FILTER 3, '
	  . 'src.amount>v.doubled TRANSFORMATION 1, src.id>v.id IDENTITY 1',
	'occurrences from shared memory before a flush');

# Flushed counters survive a crash; pending ones are lost, edges are not.
$node->safe_psql('postgres', 'SELECT dq.lineage_flush()');
$node->safe_psql('postgres',
	'INSERT INTO dst SELECT id, amount FROM src WHERE id > 5');
is( $node->safe_psql('postgres',
		q{SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'dst'}),
	'4', 'pending counter shown');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', $edges),
	'src.amount>dst.amount IDENTITY 3, src.id>dst.id IDENTITY 3, src.id>dst.* FILTER 3, '
	  . 'src.amount>v.doubled TRANSFORMATION 1, src.id>v.id IDENTITY 1',
	'after a crash: every edge, the counters of the last flush');
$node->safe_psql('postgres',
	'INSERT INTO dst SELECT id, amount FROM src WHERE id > 5');
is( $node->safe_psql('postgres',
		q{SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'dst'}),
	'4', 'counting resumes after the restart');

# Without compute_query_id the statement is identified by its edges.
$node->safe_psql('postgres', q{
	CREATE TABLE dst2 (id int);
	SET compute_query_id = off;
	INSERT INTO dst2 SELECT id FROM src;
	INSERT INTO dst2 SELECT id FROM src;
});
is( $node->safe_psql('postgres',
		q{SELECT count(*) || ' ' || max(occurrences) FROM dq.column_lineage WHERE target_table = 'dst2'}),
	'1 2', 'compute_query_id = off: captured and counted');

# An error inside the capture (here: edges table made unwritable) is a
# WARNING; the user's statement succeeds.
$node->safe_psql('postgres', q{
	CREATE TABLE dst3 (id int);
	ALTER TABLE dq.lineage_edges ADD CONSTRAINT no_dst3 CHECK (target_table <> 'dst3' AND source_table <> 'dst3');
});
my ($ret, $out, $err) = $node->psql('postgres',
	'INSERT INTO dst3 SELECT id FROM src; SELECT count(*) FROM dst3');
is($ret, 0, 'statement succeeds although its lineage cannot be written');
is($out, '10', 'rows inserted');
like($err, qr/WARNING:  could not record lineage of a statement/, 'capture failure warned');
($ret, $out, $err) = $node->psql('postgres', 'CREATE VIEW v3 AS SELECT id FROM dst3');
is($ret, 0, 'CREATE VIEW succeeds although its lineage cannot be written');
like($err, qr/WARNING:  could not record lineage of CREATE VIEW/, 'DDL capture failure warned');
$node->safe_psql('postgres', 'ALTER TABLE dq.lineage_edges DROP CONSTRAINT no_dst3');

# A hot standby: capture attempts no write; reading lineage works, DML
# fails as it must (read-only), and a SELECT with a view is fine.
$node->backup('lineage_backup');
my $standby = PostgreSQL::Test::Cluster->new('lineage_standby');
$standby->init_from_backup($node, 'lineage_backup', has_streaming => 1);
$standby->start;
$node->safe_psql('postgres', 'CREATE VIEW v4 AS SELECT id FROM src');
$node->wait_for_catchup($standby);
is( $standby->safe_psql('postgres',
		q{SELECT count(*) FROM dq.column_lineage WHERE target_table = 'v4'}),
	'1', 'standby reads the primary\'s lineage');
($ret, $out, $err) = $standby->psql('postgres', 'INSERT INTO dst SELECT id, amount FROM src');
like($err, qr/cannot execute INSERT in a read-only transaction/, 'DML on the standby fails as usual');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM v4'), '10', 'queries on the standby work');
$standby->stop;
$node->stop;

# Not preloaded: DDL capture (event triggers) works, DML capture does not,
# and nothing fails.
my $plain = DqTest::new_node('plain', preload => 0);
$plain->safe_psql('postgres', q{
	CREATE EXTENSION dq_lineage;
	CREATE TABLE src (id int);
	CREATE TABLE dst (id int);
	CREATE VIEW v AS SELECT id FROM src;
	INSERT INTO dst SELECT id FROM src;
	SELECT dq.lineage_flush();
});
is( $plain->safe_psql('postgres',
		q{SELECT string_agg(origin || ' ' || target_table, ',') FROM dq.column_lineage}),
	'view v', 'without preloading: views captured, INSERT ... SELECT not');
is($plain->safe_psql('postgres', 'SELECT count(*) FROM dq.lineage_pending()'),
	'0', 'no pending counters without preloading');
$plain->stop;

done_testing();
