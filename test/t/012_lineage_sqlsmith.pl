# Random SQL (Debian's sqlsmith) against a database with lineage capture on:
# the server never crashes.  Short form; bench/lineage_overhead/fuzz.sh runs
# the long form.  sqlsmith connects over the node's Unix socket only.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $queries = $ENV{DQ_SQLSMITH_QUERIES} // 1000;
if (system('sh', '-c', 'command -v sqlsmith >/dev/null') != 0)
{
	plan skip_all => 'sqlsmith is not installed';
}

my $node = DqTest::new_node('sqlsmith', create_extension => 1);
$node->safe_psql('postgres', q{
	ALTER DATABASE postgres SET statement_timeout = '2s';
	CREATE TABLE a (id int PRIMARY KEY, x text, y numeric);
	CREATE TABLE b (id int, x text, z int);
	INSERT INTO a SELECT g, g::text, g FROM generate_series(1, 100) g;
	INSERT INTO b SELECT g, g::text, g FROM generate_series(1, 100) g;
	CREATE VIEW va AS SELECT a.id, b.x, a.y + b.z AS s FROM a JOIN b USING (id);
	CREATE MATERIALIZED VIEW mb AS SELECT x, count(*) AS n FROM b GROUP BY x;
});

my $conninfo = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';
my ($out, $err);
my $ok = IPC::Run::run(
	[ 'sqlsmith', "--target=$conninfo", "--max-queries=$queries", '--seed=4242',
	  '--verbose' ],
	'<', \undef, '>', \$out, '2>', \$err,
	IPC::Run::timeout(600));
like($err, qr/queries: $queries/, "sqlsmith ran $queries queries")
  or diag(substr($err, -2000));
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC/,
	'no backend crashed');
ok($node->safe_psql('postgres', 'SELECT count(*) FROM dq.column_lineage') > 0,
	'lineage readable afterwards');
$node->stop;
done_testing();
