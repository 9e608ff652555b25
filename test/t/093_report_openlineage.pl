# The data-quality facets of dq.openlineage_events validate against the
# OpenLineage schemas of DataQualityMetricsInputDatasetFacet 1-0-2 and
# DataQualityAssertionsDatasetFacet 1-1-0 (a local copy of the parts used,
# test/report/openlineage-quality.schema.json): every event, every facet
# alone, with numeric, text, date, boolean and NULL-only columns, NaN and
# infinities, dropped tables and column privileges.

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
	File::Spec->updir, 'report', 'validate_quality.py');
if (system('/usr/bin/python3', '-c', 'import jsonschema') != 0)
{
	plan skip_all => 'python3 with jsonschema (Debian: python3-jsonschema) is not installed';
}

my $node = DqTest::new_node('olquality', create_extension => 1);
$node->safe_psql('postgres', q{
	CREATE TABLE orders (id int, amount numeric, price float8, status text,
	                     created date, at timestamptz, paid boolean, nothing int, blob bytea,
	                     ref int);
	INSERT INTO orders
	  SELECT g, g * 1.25, CASE g WHEN 1 THEN 'NaN'::float8 WHEN 2 THEN 'Infinity'::float8 ELSE g END,
	         CASE WHEN g % 4 = 0 THEN 'open' ELSE 'done' END,
	         date '2024-01-01' + g, timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',
	         g % 2 = 0, NULL, '\x00ff', g
	    FROM generate_series(1, 500) g;
	INSERT INTO orders (id, amount) VALUES (1000, 'NaN'), (1001, 1e30);
	SELECT dq.profile('orders');
	SELECT dq.profile('orders', exact => true);
	SELECT dq.expect('orders', 'expect_column_values_to_not_be_null', 'status');
	SELECT dq.expect('orders', 'expect_column_values_to_be_between', 'amount',
	                 '{"min_value": 0, "max_value": 1000}', mostly => 0.5, severity => 'warn');
	SELECT dq.expect('orders', 'expect_column_pair_values_to_be_equal', NULL,
	                 '{"column_A": "id", "column_B": "ref"}');
	SELECT dq.validate('orders');
	CREATE TABLE empty_t (v int);
	SELECT dq.profile('empty_t');
	SELECT dq.validate('empty_t');
	CREATE TABLE gone (v int);
	INSERT INTO gone VALUES (1);
	SELECT dq.profile('gone');
	DROP TABLE gone;
	CREATE VIEW big AS SELECT id, amount FROM orders WHERE amount > 100;
});

sub validate
{
	my ($kind, $sql, $name) = @_;
	my $docs = $node->safe_psql('postgres', $sql);
	my ($out, $err);
	IPC::Run::run([ '/usr/bin/python3', $validator, $kind ], \$docs, \$out, \$err);
	my $n = () = $docs =~ /\n/g;
	is($out, 'ok ' . ($n + 1) . "\n", $name) or diag("$out$err");
}

is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM dq.openlineage_events() e
		 WHERE e -> 'inputs' -> 0 -> 'inputFacets' ?| ARRAY['dataQualityMetrics', 'dataQualityAssertions']}),
	'6', 'a data-quality event per profile and validation run');
validate('event', 'SELECT e FROM dq.openlineage_events() e', 'every RunEvent validates');
validate('event', 'SELECT e FROM dq.openlineage_events(legacy => true) e',
	'every legacy RunEvent validates');
validate('metrics', 'SELECT dq.openlineage_metrics_facet(run_id) FROM dq.profile_runs',
	'every dataQualityMetrics facet validates');
validate('assertions', 'SELECT dq.openlineage_assertions_facet(run_id) FROM dq.validation_runs',
	'every dataQualityAssertions facet validates');

# the profile maps onto the facet one to one
is( $node->safe_psql('postgres', q{
		SELECT f -> 'columnMetrics' -> 'amount' ->> 'nullCount' = p.null_count::text
		   AND f -> 'columnMetrics' -> 'amount' ->> 'distinctCount' = p.distinct_count::text
		   AND f -> 'columnMetrics' -> 'amount' ->> 'count' = (p.row_count - p.null_count)::text
		   AND (f ->> 'rowCount')::bigint = p.row_count
		  FROM dq.profile_runs r, dq.openlineage_metrics_facet(r.run_id) f, dq.column_profiles p
		 WHERE p.run_id = r.run_id AND p.column_name = 'amount'
		 ORDER BY r.run_id DESC LIMIT 1}),
	't', 'counts are the profile\'s');
is( $node->safe_psql('postgres', q{
		SELECT string_agg(k, ',' ORDER BY k)
		  FROM dq.profile_runs r, dq.openlineage_metrics_facet(r.run_id) f,
		       jsonb_object_keys(f -> 'columnMetrics' -> 'status') k
		 WHERE r.run_id = (SELECT max(run_id) FROM dq.profile_runs WHERE table_name = 'orders')}),
	'count,distinctCount,nullCount', 'a text column has counts only (min and max are numbers)');
is( $node->safe_psql('postgres', q{
		SELECT f -> 'columnMetrics' -> 'price' ? 'max', f -> 'columnMetrics' -> 'id' ->> 'min',
		       f -> 'columnMetrics' -> 'id' -> 'quantiles' ->> '0.5'
		  FROM dq.profile_runs r, dq.openlineage_metrics_facet(r.run_id) f
		 WHERE r.run_id = (SELECT max(run_id) FROM dq.profile_runs WHERE table_name = 'orders')}),
	'f|1|251', 'no NaN as a number (the max of price is NaN); min and quantiles of a number column');
is( $node->safe_psql('postgres', q{
		SELECT string_agg(a ->> 'assertion' || ':' || coalesce(a ->> 'column', '-') || ':'
		                  || (a ->> 'success') || ':' || (a ->> 'severity'), ' ' ORDER BY a ->> 'assertion')
		  FROM dq.validation_runs r, dq.openlineage_assertions_facet(r.run_id) f,
		       jsonb_array_elements(f -> 'assertions') a
		 WHERE r.table_name = 'orders'}),
	'expect_column_pair_values_to_be_equal:-:false:error expect_column_values_to_be_between:amount:true:warn expect_column_values_to_not_be_null:status:false:error',
	'an assertion per expectation, with its column (none for a pair), success and severity');

# a role with column privileges sees only its columns, and only the
# assertions of expectations on them (docs/security.md)
$node->safe_psql('postgres', q{
	CREATE ROLE bi_user;
	GRANT SELECT (id, status) ON orders TO bi_user;
});
is( $node->safe_psql('postgres', q{
		SET ROLE bi_user;
		SELECT string_agg(k, ',' ORDER BY k)
		  FROM dq.openlineage_quality_events() e,
		       jsonb_object_keys(e -> 'inputs' -> 0 -> 'inputFacets' -> 'dataQualityMetrics' -> 'columnMetrics') k
		 WHERE e -> 'job' ->> 'name' LIKE 'dq_lineage.profile.public.orders'}),
	'id,id,status,status', 'column privileges: only the readable columns, in both runs');
is( $node->safe_psql('postgres', q{
		SET ROLE bi_user;
		SELECT jsonb_array_length(e -> 'inputs' -> 0 -> 'inputFacets' -> 'dataQualityAssertions' -> 'assertions')
		  FROM dq.openlineage_quality_events() e
		 WHERE e -> 'job' ->> 'name' = 'dq_lineage.validate.public.orders'}),
	'1', 'only the assertions of the columns it may read (status), as dq.latest_validation shows them');
validate('event', 'SET ROLE bi_user; SELECT e FROM dq.openlineage_quality_events() e',
	'what a reader sees still validates');

# the validator catches a facet that does not follow the schema
my ($out, $err);
IPC::Run::run([ '/usr/bin/python3', $validator, 'metrics' ],
	\'{"_producer": "https://x", "_schemaURL": "https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet", "columnMetrics": {"c": {"min": "abc", "quantiles": {"p50": 1}}}}',
	\$out, \$err);
like($out, qr/'abc' is not of type 'number'/, 'validator catches a text min');
like($out, qr/quantile key 'p50' is not a fraction/, 'validator catches a quantile key');
IPC::Run::run([ '/usr/bin/python3', $validator, 'assertions' ],
	\'{"_producer": "https://x", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet", "assertions": [{"assertion": "x"}]}',
	\$out, \$err);
like($out, qr/'success' is a required property/, 'validator catches an assertion without success');

$node->stop;
done_testing();
