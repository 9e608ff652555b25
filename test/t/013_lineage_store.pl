# The lineage store across sessions: the shared counter table is sized by
# dq_lineage.lineage_counters and reports what it could not count (view and
# log); another session's statement cache is revalidated when edges are
# deleted by hand or the extension is dropped and created again.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('lineage_store', create_extension => 1,
	extra => [ 'dq_lineage.lineage_counters = 64', 'dq_lineage.scheduler = off' ]);

is($node->safe_psql('postgres', 'SHOW dq_lineage.lineage_counters'),
	'64', 'setting read at start');
is($node->safe_psql('postgres',
		'SELECT counters_max || \',\' || executions_lost FROM dq.lineage_counter_status'),
	'64,0', 'status: size and nothing lost');

# 80 distinct captured statements, none flushed: 16 cannot be counted.
my $sql = "CREATE TABLE src (id int); INSERT INTO src VALUES (1);\n";
$sql .= "CREATE TABLE d$_ (id int);\n" for 1 .. 80;
$node->safe_psql('postgres', $sql);
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', "INSERT INTO d$_ SELECT id FROM src;") for 1 .. 80;
is( $node->safe_psql('postgres',
		'SELECT counters_used || \',\' || executions_lost || \',\' || overflows || \',\' || (last_overflow IS NOT NULL) FROM dq.lineage_counter_status'),
	'64,16,16,true', 'the table holds 64 statements; 16 executions lost');
my $log = slurp_file($node->logfile, $log_offset);
my $n = () = $log =~ /lineage counter table is full \(64 statements\)/g;
is($n, 1, 'the first loss is logged once');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.column_lineage WHERE target_table LIKE 'd%'}),
	'80', 'every statement\'s edges are recorded all the same');

# A flush empties the table and re-arms the log message.
$node->safe_psql('postgres', 'SELECT dq.lineage_flush()');
is($node->safe_psql('postgres', 'SELECT counters_used FROM dq.lineage_counter_status'),
	'0', 'flush empties the table');
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', "INSERT INTO d$_ SELECT id FROM src;") for 1 .. 70;
$log = slurp_file($node->logfile, $log_offset);
like($log, qr/lineage counter table is full/, 'logged again after a flush');
is( $node->safe_psql('postgres',
		q{SELECT sum(occurrences) FROM dq.column_lineage WHERE target_table LIKE 'd%'}),
	'128', '64 counted in each round; 16 and 6 lost');
$node->safe_psql('postgres', 'SELECT dq.lineage_flush()');

# Another session's cache: edges deleted by hand are written again by its
# next execution; so are they after DROP EXTENSION and CREATE EXTENSION.
my $session = $node->background_psql('postgres');
$session->query_safe('INSERT INTO d1 SELECT id FROM src');
$node->safe_psql('postgres', q{DELETE FROM dq.lineage_edges WHERE target_table = 'd1'});
$session->query_safe('INSERT INTO d1 SELECT id FROM src');
is( $node->safe_psql('postgres',
		q{SELECT source_table || '.' || source_column || '>' || target_column FROM dq.column_lineage WHERE target_table = 'd1'}),
	'src.id>id', 'edges deleted by another session are written again');
$node->safe_psql('postgres',
	'DROP EXTENSION dq_lineage CASCADE; CREATE EXTENSION dq_lineage');
$session->query_safe('INSERT INTO d1 SELECT id FROM src');
is( $node->safe_psql('postgres',
		q{SELECT source_table || '.' || source_column || '>' || target_column FROM dq.column_lineage WHERE target_table = 'd1'}),
	'src.id>id', 'after DROP and CREATE EXTENSION the edges are written again');
# a rolled-back delete changes nothing, and a second run writes nothing more
$node->safe_psql('postgres', q{BEGIN; DELETE FROM dq.lineage_edges; ROLLBACK});
$session->query_safe('INSERT INTO d1 SELECT id FROM src');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'd1'}),
	'1', 'one edge row');
$session->quit;

$node->stop;
done_testing();
