# The HTML report of demo-like data, rendered by headless Chromium (Debian's
# chromium package): it loads without a console message, has its sections
# and SVG charts (queried in the DOM through the DevTools protocol,
# test/report/cdp.py), the search box filters the index, the lineage graph
# runs left to right, and markup in names and values shows as text
# instead of running.  scripts/report.sh writes the file; the file and a
# screenshot of it are kept in tmp_check/log/ (092_report.html,
# 092_report-screenshot.png; docs/report-screenshot.png is one such).

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Spec;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $root = File::Spec->catdir(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, File::Spec->updir);
my $cdp = "$root/test/report/cdp.py";

if (!grep { -x "$_/chromium" } split /:/, $ENV{PATH} // '')
{
	plan skip_all => 'chromium is not installed (Debian: apt-get install chromium)';
}

my $node = DqTest::new_node('report', create_extension => 1);
my $psql = $node->config_data('--bindir') . '/psql';

# the demo data set, then what a few days of use would leave behind
$node->command_ok([ $psql, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host,
	'-p', $node->port, '-d', 'postgres', '-f', "$root/scripts/demo-data.sql" ],
	'demo data loaded');
$node->safe_psql('postgres', q{
	SELECT dq.profile('demo.orders');
	SELECT dq.profile('demo.customers');
	UPDATE demo.orders SET email = NULL WHERE order_id % 17 = 0;
	SELECT dq.profile('demo.orders');
	SELECT dq.apply_suggestions('demo.customers');
	SELECT dq.expect('demo.orders', 'expect_column_values_to_be_between', 'amount',
	                 '{"min_value": 0, "max_value": 100000}', mostly => 0.999);
	SELECT dq.expect('demo.orders', 'expect_column_values_to_not_be_null', 'email',
	                 severity => 'warn');
	SELECT dq.expect('demo.orders', 'expect_column_values_to_match_regex', 'email',
	                 '{"regex": "^[^<>]*$"}', name => 'no markup in e-mail addresses');
	SELECT dq.validate('demo.orders');
	SELECT dq.validate('demo.customers');
	UPDATE demo.orders SET amount = abs(amount) WHERE amount < 0;
	SELECT dq.validate('demo.orders');
	CREATE VIEW demo.paid_orders AS
	  SELECT order_id, customer_id, amount, created_at FROM demo.orders
	   WHERE status IN ('paid', 'shipped', 'delivered');
	CREATE VIEW demo.customer_orders AS
	  SELECT c.customer_id, c.full_name, c.country, o.order_id, o.amount
	    FROM demo.customers c JOIN demo.paid_orders o ON o.customer_id = c.customer_id;
	CREATE TABLE demo.daily_revenue AS
	  SELECT created_at::date AS day, sum(amount) AS revenue, count(*) AS orders
	    FROM demo.paid_orders GROUP BY 1;
	SELECT dq.profile('demo.daily_revenue');
	CREATE TABLE demo."<script>window.__xss = 3</script>" (
	  id int, "<img src=x onerror=window.__xss=4>" text);
	INSERT INTO demo."<script>window.__xss = 3</script>" VALUES
	  (1, '<script>window.__xss = 1</script>'),
	  (2, '</td></tr></table><script>window.__xss = 2</script>');
	SELECT dq.profile('demo."<script>window.__xss = 3</script>"');
	SELECT dq.expect('demo."<script>window.__xss = 3</script>"',
	                 'expect_column_values_to_match_regex', '<img src=x onerror=window.__xss=4>',
	                 '{"regex": "^[a-z]"}', name => '<b onmouseover=window.__xss=5>x</b>');
	SELECT dq.validate('demo."<script>window.__xss = 3</script>"');
});
# change validation: violations recorded by the worker
# Monitors: 30 days of events up to today, 100 a day, whose amounts are ten
# times larger on one day (a column monitor flags its mean and median), and
# a schema monitor that sees a column dropped (an anomaly and an alert).
$node->safe_psql('postgres', q{
	CREATE TABLE demo.events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL,
	                          amount numeric, flag boolean);
	CREATE INDEX ON demo.events (created_at);
	INSERT INTO demo.events (created_at, amount, flag)
	SELECT date_trunc('day', now()) - (30 - d) * interval '1 day' + r * interval '10 minutes',
	       CASE WHEN d = 24 THEN 1000 ELSE 100 END + (r % 13), r % 4 = 0
	  FROM generate_series(0, 29) d, generate_series(0, 99) r;
	SELECT dq.run_monitor(dq.monitor('demo.events', 'column', 'amount',
	                      '{"watermark": "created_at", "schedule": null,
	                        "metrics": ["mean", "null_fraction", "p50"]}'));
	SELECT dq.monitor('demo.events', 'schema', options => '{"schedule": null}');
	ALTER TABLE demo.events DROP COLUMN flag;
});
is($node->safe_psql('postgres',
		q{SELECT count(*) > 0 FROM dq.anomalies WHERE kind = 'column' AND state = 'open'}),
	't', 'the column monitor found anomalies');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.alerts WHERE source = 'schema_change' AND state = 'open'}),
	'1', 'the dropped column raised an alert');
$node->safe_psql('postgres', q{SELECT dq.watch('demo.orders')});
$node->safe_psql('postgres', q{
	INSERT INTO demo.orders (order_id, customer_id, amount, currency, status, email, created_at, shipped)
	SELECT 900000 + g, 1, -5, 'EUR', 'paid', '<script>window.__xss = 6</script>', now(), false
	  FROM generate_series(1, 5) g});
ok(DqTest::cdc_caught_up($node), 'violations recorded');
is($node->safe_psql('postgres', 'SELECT count(*) > 0 FROM dq.violations'), 't',
	'there are violations to show');

# scripts/report.sh writes the file
my $html = "$PostgreSQL::Test::Utils::log_path/092_report.html";
my ($out, $err);
{
	local $ENV{PSQL} = $psql;
	IPC::Run::run([ "$root/scripts/report.sh", '-o', $html, '-h', $node->host,
			'-p', $node->port, '-d', 'postgres' ],
		'<', \undef, '>', \$out, '2>', \$err);
}
ok(-s $html, 'scripts/report.sh wrote the report') or diag($err);
like($err, qr/^wrote .*report\.html \(\d+ bytes\)/, 'and said so');

my $tables = $node->safe_psql('postgres', 'SELECT count(*) FROM dq.table_scorecard');
my $orders = $node->safe_psql('postgres', q{SELECT 'demo.orders'::regclass::oid});
my $events = $node->safe_psql('postgres', q{SELECT 'demo.events'::regclass::oid});
my $evil = $node->safe_psql('postgres',
	q{SELECT 'demo."<script>window.__xss = 3</script>"'::regclass::oid});

# what the page shows, queried in the browser
my @checks = (
	[ 'overview sections', q{[...document.querySelectorAll('section.overview')].map(e => e.id).join(' ')},
		'summary scorecard open-failures recent-violations open-alerts open-anomalies' ],
	[ 'a section per table', q{document.querySelectorAll('details.table').length}, $tables ],
	[ 'an index row per table', q{document.querySelectorAll('table.scorecard tr[data-name]').length}, $tables ],
	[ 'six parts per table', q{[...document.querySelectorAll('details.table')].every(d => d.querySelectorAll(':scope > section').length === 6)}, JSON::PP::true ],
	[ 'open alerts in the overview', q{document.querySelectorAll('#open-alerts table.alerts tbody tr').length >= 1}, JSON::PP::true ],
	[ 'open anomalies in the overview', q{document.querySelectorAll('#open-anomalies table.anomalies tbody tr').length >= 3}, JSON::PP::true ],
	[ 'overview anomalies link to their table', q{[...document.querySelectorAll('#open-anomalies table.anomalies tbody a')].every(a => document.getElementById(a.getAttribute('href').slice(1)))}, JSON::PP::true ],
	[ 'monitors of a table', q{document.querySelectorAll('#t-} . $events . q{ section.monitors table.monitors tbody tr').length}, 2 ],
	[ 'monitor series drawn', q{document.querySelectorAll('#t-} . $events . q{ section.monitors svg.monitor path.line').length >= 2}, JSON::PP::true ],
	[ 'anomalies marked on the series', q{document.querySelectorAll('#t-} . $events . q{ section.monitors svg.monitor circle.anomaly').length >= 2}, JSON::PP::true ],
	[ 'a marked anomaly says what it is', q{document.querySelector('#t-} . $events . q{ svg.monitor circle.anomaly title').textContent.includes('is an anomaly')}, JSON::PP::true ],
	[ 'open anomalies of a table', q{document.querySelectorAll('#t-} . $events . q{ section.monitors table.anomalies tbody tr').length >= 3}, JSON::PP::true ],
	[ 'open alerts of a table', q{document.querySelectorAll('#t-} . $events . q{ section.alerts table.alerts tbody tr').length}, 1 ],
	[ 'anomalous status in the index', q{document.querySelector('table.scorecard tr[data-name="demo.events"]').dataset.status}, 'anomalous' ],
	[ 'histograms drawn', q{document.querySelectorAll('#t-} . $orders . q{ svg.histogram rect.bar').length > 10}, JSON::PP::true ],
	[ 'top values drawn', q{document.querySelectorAll('#t-} . $orders . q{ svg.topvalues rect.bar').length > 5}, JSON::PP::true ],
	[ 'null trends drawn', q{document.querySelectorAll('#t-} . $orders . q{ svg.nulls path.line').length}, 10 ],
	[ 'results over time', q{document.querySelectorAll('#t-} . $orders . q{ svg.runs rect').length}, 6 ],
	[ 'violations per hour', q{document.querySelectorAll('#t-} . $orders . q{ svg.violations rect.bar').length >= 1}, JSON::PP::true ],
	[ 'recent violations listed', q{document.querySelectorAll('#t-} . $orders . q{ table.violations tbody tr').length}, 10 ],
	[ 'lineage graph of orders', q{document.querySelectorAll('#t-} . $orders . q{ svg.lineage g.node').length}, 4 ],
	[ 'INDIRECT edges dashed', q{[...document.querySelectorAll('svg.lineage g.edge.indirect path:not(.arrow)')].every(p => p.getAttribute('stroke-dasharray'))}, JSON::PP::true ],
	[ 'DIRECT edges solid', q{[...document.querySelectorAll('svg.lineage g.edge.direct path')].every(p => !p.getAttribute('stroke-dasharray'))}, JSON::PP::true ],
	[ 'left to right: layers in x order',
		sprintf(q~(() => { const g = document.querySelector('#t-%s svg.lineage');
		  const n = [...g.querySelectorAll('g.node')].map(e => [+e.dataset.layer, e.querySelector('rect.box').getBBox().x]);
		  return n.every(a => n.every(b => a[0] >= b[0] || a[1] < b[1])); })()~, $orders), JSON::PP::true ],
	[ 'graph links to sections', q{[...document.querySelectorAll('svg.lineage a')].every(a => document.getElementById(a.getAttribute('href').slice(1)))}, JSON::PP::true ],
	[ 'no injected script ran', q{typeof window.__xss}, 'undefined' ],
	[ 'one script element', q{document.scripts.length}, 1 ],
	[ 'no injected element', q{document.querySelectorAll('img, b, iframe, object').length}, 0 ],
	[ 'table name shown as text', q{document.querySelector('#t-} . $evil . q{ summary h2').textContent}, 'demo."<script>window.__xss = 3</script>"' ],
	[ 'values shown as text', q{document.querySelector('#t-} . $evil . q{ table.profile').textContent.includes('<script>window.__xss = 1</script>')}, JSON::PP::true ],
	[ 'violation values shown as text', q{document.body.textContent.includes('<script>window.__xss = 6</script>')}, JSON::PP::true ],
	[ 'search filters the index',
		q{(() => { const q = document.getElementById('q'); q.value = 'CUSTOMER'; q.dispatchEvent(new Event('input'));
		  return [...document.querySelectorAll('table.scorecard tr[data-name]')].filter(r => !r.hidden).map(r => r.dataset.name).join(' '); })()},
		'demo.customer_orders demo.customers' ],
	[ 'search filters the sections', q{[...document.querySelectorAll('details.table')].filter(d => !d.hidden).length}, 2 ],
	[ 'failing filter', q{(() => { const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input'));
		  const f = document.getElementById('failing'); f.checked = true; f.dispatchEvent(new Event('change'));
		  return [...document.querySelectorAll('table.scorecard tr[data-name]')].filter(r => !r.hidden).map(r => r.dataset.status).every(s => s === 'failing' || s === 'violations'); })()}, JSON::PP::true ],
	[ 'count of shown tables', q{+document.getElementById('shown').textContent > 0}, JSON::PP::true ],
	[ 'reset', q{(() => { const f = document.getElementById('failing'); f.checked = false; f.dispatchEvent(new Event('change')); return document.querySelectorAll('tr[data-name][hidden]').length; })()}, 0 ],
);

my $shot = "$PostgreSQL::Test::Utils::log_path/092_report-screenshot.png";
IPC::Run::run([ '/usr/bin/python3', $cdp, $html, $shot, map { $_->[1] } @checks ],
	'<', \undef, '>', \$out, '2>', \$err);
my $result = eval { decode_json($out) };
ok($result, 'the browser loaded the page') or diag("stdout: $out\nstderr: $err");
$result //= { console => [ 'no result' ], results => [] };

is_deeply($result->{console}, [], 'no console message, error or CSP violation')
  or diag(explain($result->{console}));
for my $i (0 .. $#checks)
{
	my ($name, undef, $want) = @{ $checks[$i] };
	my $got = $result->{results}[$i];
	if (JSON::PP::is_bool($want))
	{
		ok(JSON::PP::is_bool($got) && $got == $want, $name) or diag(explain($got));
	}
	else
	{
		is($got, $want, $name);
	}
}

# the screenshot: a PNG of the whole page
ok(-s $shot && -s $shot > 20000, 'a screenshot was taken');
open(my $fh, '<:raw', $shot) or die "cannot read $shot: $!";
read($fh, my $magic, 8);
close($fh);
is($magic, "\x89PNG\r\n\x1a\n", 'the screenshot is a PNG');

$node->stop;
done_testing();
