# The OpenLineage JSON of dq_lineage validates against the RunEvent 2-0-2 /
# ColumnLineageDatasetFacet 1-2-0 schema (a local copy of the parts used,
# test/openlineage/), and every transformation has a valid type/subtype.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $validator = File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, 'openlineage', 'validate.py');
if (system('/usr/bin/python3', '-c', 'import jsonschema') != 0)
{
	plan skip_all => 'python3 with jsonschema (Debian: python3-jsonschema) is not installed';
}

my $node = DqTest::new_node('openlineage', create_extension => 1);
$node->safe_psql('postgres', q{
	CREATE TABLE orders (id int, customer_id int, amount numeric, status text, created date);
	CREATE TABLE customers (id int, name text, email text, region text);
	CREATE VIEW enriched AS
	  SELECT o.id, c.name, md5(c.email) AS email_hash,
	         CASE WHEN o.status = 'paid' THEN o.amount END AS paid,
	         sum(o.amount) OVER (PARTITION BY c.region ORDER BY o.created) AS running
	    FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.amount > 0;
	CREATE TABLE daily AS
	  SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders
	   GROUP BY customer_id ORDER BY 1;
	CREATE TABLE report (name text, total numeric);
	INSERT INTO report SELECT e.name, sum(e.paid) FROM enriched e GROUP BY e.name;
	SELECT dq.record_lineage('orders', 'amount', 'report', 'total', 'DIRECT', 'AGGREGATION', true);
});
# COPY runs: the client as the other dataset, a query's columns in the file
$node->safe_psql('postgres', qq{COPY customers FROM STDIN;\n1\tAnn\ta\@x\teu\n\\.\n});
$node->safe_psql('postgres', q{
	COPY (SELECT o.id, md5(c.email) AS h FROM orders o JOIN customers c ON c.id = o.customer_id
	       WHERE o.amount > 0) TO STDOUT;
	COPY orders (id, amount) TO PROGRAM 'cat > /dev/null';
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dq.openlineage_copy_events()'),
	'3', 'three COPY runs as events');

sub validate
{
	my ($kind, $sql, $name) = @_;
	my $docs = $node->safe_psql('postgres', $sql);
	my ($out, $err);
	IPC::Run::run([ '/usr/bin/python3', $validator, $kind ], \$docs, \$out, \$err);
	my $n = () = $docs =~ /\n/g;
	is($out, 'ok ' . ($n + 1) . "\n", $name) or diag("$out$err");
}

validate('event', 'SELECT e FROM dq.openlineage_events() e',
	'RunEvents validate');
validate('event', 'SELECT e FROM dq.openlineage_events(legacy => true) e',
	'legacy RunEvents validate');
validate('event', 'SELECT e FROM dq.openlineage_copy_events() e',
	'COPY RunEvents validate');
validate('event', 'SELECT e FROM dq.openlineage_copy_events(legacy => true) e',
	'legacy COPY RunEvents validate');
validate('facet',
	q{SELECT dq.openlineage_facet(c.oid) FROM pg_class c
	   WHERE c.relname IN ('enriched', 'daily', 'report')},
	'column-lineage facets validate');
validate('facet',
	q{SELECT dq.openlineage_facet(c.oid, legacy => true) FROM pg_class c
	   WHERE c.relname IN ('enriched', 'daily', 'report')},
	'legacy column-lineage facets validate');

# The legacy form copies dataset-level inputs into every field.
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM jsonb_array_elements(
	  dq.openlineage_facet('enriched', legacy => true) -> 'fields' -> 'name' -> 'inputFields') f
	 WHERE f ->> 'field' IN ('customer_id', 'amount')}),
	'2', 'legacy: JOIN and FILTER inputs inside a field');
is( $node->safe_psql('postgres',
		q{SELECT dq.openlineage_facet('enriched', legacy => true) ? 'dataset'}),
	'f', 'legacy: no dataset key');

# The validator rejects a wrong subtype (it does check).
my ($out, $err);
IPC::Run::run([ '/usr/bin/python3', $validator, 'facet' ],
	\'{"_producer": "https://x", "_schemaURL": "https://y", "fields": {"a": {"inputFields": [{"namespace": "n", "name": "s.t", "field": "c", "transformations": [{"type": "DIRECT", "subtype": "JOIN"}]}]}}}',
	\$out, \$err);
like($out, qr/invalid type\/subtype DIRECT\/JOIN/, 'validator catches a bad subtype');

$node->stop;
done_testing();
