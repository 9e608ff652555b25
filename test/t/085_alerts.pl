# Alert delivery end to end, against a small HTTP receiver on the loopback
# interface (test/perl/alert_receiver.pl) started by the test:
#
#   - a failing validation makes one alert and one delivery per matching
#     route (webhook, Slack, PagerDuty, NOTIFY), with the documented bodies;
#   - the same failure five times makes one open alert with count 5;
#   - a pass resolves it and sends a resolve;
#   - a receiver answering 500, timing out, or down for 30 seconds then
#     back still gets every alert exactly once per idempotency key;
#   - a delivery that keeps failing goes dead and raises a critical alert
#     on the NOTIFY channel;
#   - change validation: violations make one alert per table and
#     expectation, and its lag raises an alert that resolves itself;
#   - kill -9 of the delivery worker, and an immediate shutdown, in the
#     middle of a burst of 1,000 alerts lose none;
#   - no route's secret appears in the server log or in the delivery log.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use JSON::PP;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use DqTest;

my $receiver_script = File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, 'perl', 'alert_receiver.pl');
my $rdir = PostgreSQL::Test::Utils::tempdir;
my $json = JSON::PP->new;
my $receiver_pid;

# Start the receiver (on $port, or on a port the kernel picks); returns the port.
sub start_receiver
{
	my ($port) = @_;
	unlink "$rdir/port";
	$receiver_pid = fork();
	die "fork failed: $!" unless defined $receiver_pid;
	if ($receiver_pid == 0)
	{
		exec($^X, $receiver_script, '--dir', $rdir, $port ? ('--port', $port) : ());
		POSIX::_exit(127);
	}
	my $deadline = time() + 10;
	while (!-e "$rdir/port" && time() < $deadline)
	{
		usleep(20_000);
	}
	die "the receiver did not start" unless -e "$rdir/port";
	my $p = slurp_file("$rdir/port");
	chomp $p;
	return $p;
}

sub stop_receiver
{
	kill 'KILL', $receiver_pid;
	waitpid($receiver_pid, 0);
}

sub set_mode
{
	my ($mode) = @_;
	open(my $fh, '>', "$rdir/mode.tmp") or die $!;
	print $fh "$mode\n";
	close $fh;
	rename("$rdir/mode.tmp", "$rdir/mode") or die $!;
}

# Every request the receiver logged, decoded.
sub requests
{
	my @r;
	return @r unless -e "$rdir/log";
	for my $line (split /\n/, slurp_file("$rdir/log"))
	{
		my $req = $json->decode($line);
		$req->{json} = eval { $json->decode($req->{body}) };
		push @r, $req;
	}
	return @r;
}

sub requests_on
{
	my ($path) = @_;
	return grep { index($_->{path}, $path) == 0 } requests();
}

# Idempotency keys answered 200 on a path: key => times.
sub acked_keys
{
	my ($path) = @_;
	my %n;
	$n{ $_->{key} }++ for grep { $_->{status} == 200 } requests_on($path);
	return %n;
}

# Poll a Perl condition every 0.1 s until it is true or the timeout passes.
sub wait_for
{
	my ($cond, $what, $timeout) = @_;
	$timeout //= $PostgreSQL::Test::Utils::timeout_default;
	my $deadline = time() + $timeout;
	while (time() < $deadline)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	diag "timed out waiting for $what";
	return 0;
}

my $port = start_receiver();
my $url = "http://127.0.0.1:$port";

my $node = DqTest::new_node(
	'alerts',
	create_extension => 1,
	extra => [
		'dq_lineage.alert_retry_base = 100ms',
		'dq_lineage.alert_retry_max = 1s',
		'dq_lineage.alert_timeout = 2s',
		'restart_after_crash = on'
	]);

sub sql
{
	return $node->safe_psql('postgres', $_[0]);
}

# A listener for NOTIFY, in its own session; psql prints notifications
# after each command it runs.
my ($lin, $lout, $lerr) = ('', '', '');
my $listener = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-f', '-' ],
	'<', \$lin, '>', \$lout, '2>', \$lerr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$lin .= "LISTEN dq_tap_alerts;\nLISTEN dq_alerts;\n";
$listener->pump while length $lin;

my $marks = 0;

sub notifications
{
	my ($channel) = @_;
	# psql prints notifications after the result of a command: the second
	# command's result comes after those that arrived before the first
	$marks++;
	$lin .= "SELECT 'mark$marks';\nSELECT 'end$marks';\n";
	$listener->pump until $lout =~ /^end$marks$/m;
	my @n;
	while ($lout =~ /Asynchronous notification "\Q$channel\E" with payload "(.*?)" received/g)
	{
		push @n, $json->decode($1);
	}
	return @n;
}

sql(qq{
	CREATE TABLE orders (id int PRIMARY KEY, amount int);
	INSERT INTO orders SELECT g, CASE WHEN g % 10 = 0 THEN -g ELSE g END FROM generate_series(1, 100) g;
	SELECT dq.expect('orders', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}');
	SELECT dq.alert_route('hook', '{"relation": "public.orders"}', 'webhook',
		'$url/hook?token=s3cr3t-hook-token', '{"headers": {"Authorization": "Bearer s3cr3t-bearer"}}');
	SELECT dq.alert_route('slack', '{"source": "validation", "min_severity": "error"}', 'slack',
		'$url/slack/T000/B000/s3cr3t-slack');
	SELECT dq.alert_route('pd', '{"source": "validation"}', 'pagerduty',
		'S3cr3tR0utingKey0000000000000000', '{"url": "$url/pd"}');
	SELECT dq.alert_route('never', '{"severity": "critical", "source": "validation"}', 'webhook', '$url/never');
	SELECT dq.alert_route('tap', '{"source": "validation"}', 'notify', 'dq_tap_alerts');
});

#
# A failing validation: one alert, one delivery per matching route.
#
sql("SELECT dq.validate('orders')");
is(sql("SELECT count(*) || ' ' || string_agg(state, ',') FROM dq.alerts"),
	'1 open', 'a failing validation raises one alert');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT string_agg(route_name || ':' || status, ',' ORDER BY route_name) FROM dq.alert_deliveries",
		'hook:delivered,pd:delivered,slack:delivered,tap:delivered'),
	'one delivery per matching route, each delivered');
is(scalar(requests_on('/hook')), 1, 'the webhook got one request');
is(scalar(requests_on('/slack')), 1, 'Slack got one request');
is(scalar(requests_on('/pd')), 1, 'PagerDuty got one request');
is(scalar(requests_on('/never')), 0, 'the route that does not match got nothing');

my ($hook) = requests_on('/hook');
is($hook->{json}{event}, 'trigger', 'webhook body: event trigger');
is($hook->{key}, $hook->{json}{idempotency_key}, 'webhook: the Idempotency-Key header is the body\'s key');
like($hook->{key}, qr/^dq-\d+-\d+-\d+-trigger-1$/, 'webhook: idempotency key per alert and event');
is($hook->{json}{alert}{source}, 'validation', 'webhook body: the alert');
is_deeply($hook->{json}{alert}{body}{sample}, [ -10, -20, -30, -40, -50, -60, -70, -80, -90, -100 ],
	'webhook body: the sample of failing values');
my ($slack) = requests_on('/slack');
like($slack->{json}{text}, qr/^\[ERROR\] expect_column_values_to_be_between failed on public\.orders\.amount/,
	'Slack body: text');
is($slack->{json}{blocks}[0]{type}, 'header', 'Slack body: blocks');
my ($pd) = requests_on('/pd');
is($pd->{json}{routing_key}, 'S3cr3tR0utingKey0000000000000000', 'PagerDuty body: routing key');
is($pd->{json}{event_action}, 'trigger', 'PagerDuty body: trigger');
like($pd->{json}{dedup_key}, qr/^dq-\d+-\d+-\d+$/, 'PagerDuty body: dedup key');
is($pd->{json}{payload}{severity}, 'error', 'PagerDuty body: severity');
my ($note) = notifications('dq_tap_alerts');
is($note->{event} . ' ' . $note->{alert}{source}, 'trigger validation', 'the NOTIFY route sent the alert');
ok(!exists $note->{alert}{body}{sample}, 'NOTIFY payloads carry no failing values');

#
# The same failure five times: one open alert, count 5, nothing more sent.
#
sql("SELECT dq.validate('orders') FROM generate_series(1, 4)");
is(sql("SELECT count(*) || ' ' || max(occurrences) FROM dq.alerts WHERE state = 'open'"),
	'1 5', 'five failures: one open alert with count 5');
is(sql("SELECT count(*) FROM dq.alert_deliveries"), '4', 'repeats queue nothing');

#
# A pass resolves the alert and sends a resolve.
#
sql("UPDATE orders SET amount = abs(amount); SELECT dq.validate('orders')");
is(sql("SELECT state || ' ' || resolution FROM dq.alerts"), 'resolved passed', 'a pass resolves the alert');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM dq.alert_deliveries WHERE event = 'resolve' AND status = 'delivered'",
		'4'),
	'the resolve is delivered to every route that had the alert');
my ($hook2) = grep { $_->{json}{event} eq 'resolve' } requests_on('/hook');
like($hook2->{key}, qr/-resolve-1$/, 'webhook: resolve with its own idempotency key');
my ($slack2) = grep { $_->{json}{text} =~ /^\[RESOLVED\]/ } requests_on('/slack');
ok($slack2, 'Slack: the resolve message');
my ($pd2) = grep { $_->{json}{event_action} eq 'resolve' } requests_on('/pd');
is($pd2->{json}{dedup_key}, $pd->{json}{dedup_key}, 'PagerDuty: resolve with the trigger\'s dedup key');
is(scalar(requests()), 6, 'six requests in all, each delivered once');

#
# Failing receivers: 500, timeouts, down for 30 seconds.  Monitors raise
# the alerts; a route with a secret in its URL takes them.
#
sql(qq{SELECT dq.alert_route('mon', '{"source": "monitor"}', 'webhook',
	'$url/mon?key=s3cr3t-mon', '{"max_attempts": 200, "timeout_ms": 500}')});

sub raise_monitors
{
	my ($prefix, $n) = @_;
	sql("SELECT count(dq.raise_alert('monitor', '$prefix:' || g, 'error', '$prefix ' || g)) FROM generate_series(1, $n) g");
	return map { "$prefix:$_" } 1 .. $n;
}

# every delivery of the route delivered, and each key answered 200 exactly once
sub exactly_once
{
	my ($prefix, $n, $what) = @_;
	ok( DqTest::poll_until(
			$node, 'postgres',
			"SELECT count(*) FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
			  WHERE a.source_key LIKE '$prefix:%' AND d.status = 'delivered'", $n),
		"$what: every delivery is delivered");
	my %acked = acked_keys('/mon');
	my @keys = sql("SELECT string_agg(d.idempotency_key, ' ') FROM dq.alert_deliveries d
		JOIN dq.alerts a USING (alert_id) WHERE a.source_key LIKE '$prefix:%'") =~ /(\S+)/g;
	is(scalar(@keys), $n, "$what: $n deliveries");
	is(scalar(grep { ($acked{$_} // 0) == 1 } @keys), $n,
		"$what: the receiver acknowledged every idempotency key exactly once");
}

set_mode('500');
raise_monitors('e500', 3);
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT bool_and(d.attempts >= 3) FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
		  WHERE a.source_key LIKE 'e500:%'", 't'),
	'500: deliveries are retried');
is( sql("SELECT count(*) > 0 FROM dq.alert_delivery_attempts WHERE http_status = 500"),
	't', '500: the delivery log has the failed attempts with their status');
set_mode('ok');
exactly_once('e500', 3, '500 then ok');

set_mode('hang');
raise_monitors('hang', 3);
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT bool_and(d.attempts >= 2) FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
		  WHERE a.source_key LIKE 'hang:%'", 't'),
	'timeout: deliveries are retried');
like(sql("SELECT max(error) FROM dq.alert_deliveries WHERE error IS NOT NULL AND route_name = 'mon'"),
	qr/timed out/i, 'timeout: the error says so');
set_mode('ok');
exactly_once('hang', 3, 'timeouts then ok');

stop_receiver();
raise_monitors('down', 5);
my $down_since = time();
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT bool_and(d.attempts >= 2 AND d.status = 'pending') FROM dq.alert_deliveries d
		  JOIN dq.alerts a USING (alert_id) WHERE a.source_key LIKE 'down:%'", 't'),
	'receiver down: deliveries are retried');
sleep(1) while time() - $down_since < 30;
is( sql("SELECT count(*) FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
		  WHERE a.source_key LIKE 'down:%' AND d.status = 'pending'"),
	'5', 'receiver down for 30 seconds: the deliveries are still pending');
start_receiver($port);
exactly_once('down', 5, 'down for 30 seconds then back');

#
# A delivery that keeps failing goes dead and raises a critical alert on
# the NOTIFY channel.
#
sql(q{SELECT dq.alert_route('deadend', '{"source": "anomaly"}', 'webhook',
	'http://127.0.0.1:1/never-listening?token=s3cr3t-dead', '{"max_attempts": 2}')});
sql(q{SELECT dq.raise_alert('anomaly', 'rows:orders', 'warn', 'row count anomaly')});
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT status || ' ' || attempts FROM dq.alert_deliveries WHERE route_name = 'deadend'",
		'dead 2'),
	'after max_attempts the delivery is dead');
is( sql("SELECT severity || ' ' || state || ' ' || (body->>'route') FROM dq.alerts WHERE source = 'delivery'"),
	'critical open deadend', 'a dead delivery raises a critical alert about its route');
ok( wait_for(sub { scalar(grep { $_->{alert}{source} eq 'delivery' } notifications('dq_alerts')) == 1 },
		'the NOTIFY'),
	'the critical alert is sent on the NOTIFY channel dq_alerts');

#
# Change validation: its violations make one alert per table and
# expectation, and its lag raises an alert that resolves when it catches up.
#
sql("SELECT dq.watch('orders')");
sql("INSERT INTO orders VALUES (1001, 5)");
ok(DqTest::cdc_caught_up($node), 'change validation runs');
# no scheduler to restart the change validation worker
sql("ALTER SYSTEM SET dq_lineage.scheduler = off; ALTER SYSTEM SET dq_lineage.alert_cdc_lag = '1s'; SELECT pg_reload_conf()");
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'",
		'0'),
	'change validation stopped');
sql("INSERT INTO orders SELECT g, -g FROM generate_series(1002, 1011) g");
ok( DqTest::poll_until(
		$node, 'postgres', "SELECT state || ' ' || severity FROM dq.alerts WHERE source = 'cdc_lag'",
		'open error'),
	'change validation falling behind raises a cdc_lag alert');
sql("ALTER SYSTEM SET dq_lineage.scheduler = on; SELECT pg_reload_conf()");
sql("SELECT dq.cdc_start()");
ok(DqTest::cdc_caught_up($node), 'change validation catches up');
ok( DqTest::poll_until(
		$node, 'postgres', "SELECT state || ' ' || resolution FROM dq.alerts WHERE source = 'cdc_lag'",
		'resolved passed'),
	'the cdc_lag alert resolves when change validation has caught up');
is( sql("SELECT count(*) || ' ' || sum(occurrences) FROM dq.alerts WHERE source = 'violation'"),
	'1 10', 'ten violating rows make one violation alert with count 10');
ok( DqTest::poll_until(
		$node, 'postgres',
		"SELECT d.status FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
		  WHERE a.source = 'violation' AND d.route_name = 'hook'", 'delivered'),
	'the violation alert is delivered to the route of the table');

#
# Crashes in the middle of a burst of 1,000 alerts lose none.
#
$listener->kill_kill;

sql(qq{SELECT dq.alert_route('burst', '{"source": "schema_change"}', 'webhook', '$url/burst',
	'{"max_attempts": 1000}')});

sub burst
{
	my ($prefix, $crash, $what) = @_;
	set_mode('slow 40');
	sql("SELECT count(dq.raise_alert('schema_change', '$prefix:' || g, 'warn', 'schema change ' || g))
		   FROM generate_series(1, 1000) g");
	my $before = scalar(requests_on('/burst'));
	ok( wait_for(sub { scalar(requests_on('/burst')) >= $before + 100 },
			'the burst to start'),
		"$what: the burst is under way");
	$crash->();
	set_mode('ok');
	ok( DqTest::poll_until(
			$node, 'postgres',
			"SELECT count(*) FILTER (WHERE d.status = 'delivered') || '/' || count(*)
			   FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
			  WHERE a.source_key LIKE '$prefix:%'", '1000/1000', 120),
		"$what: all 1,000 deliveries delivered after the restart");
	my %acked = acked_keys('/burst');
	my @keys = sql("SELECT string_agg(d.idempotency_key, ' ') FROM dq.alert_deliveries d
		JOIN dq.alerts a USING (alert_id) WHERE a.source_key LIKE '$prefix:%'") =~ /(\S+)/g;
	is(scalar(grep { $acked{$_} } @keys), 1000, "$what: the receiver acknowledged all 1,000 keys");
	my $twice = grep { $acked{$_} > 1 } @keys;
	note "$what: $twice key(s) acknowledged twice (answered just before the crash, not yet recorded)";
	ok($twice <= 32, "$what: repeats only for requests in flight at the crash ($twice)");
}

burst(
	'kill9',
	sub {
		my $pid = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage alert worker'");
		ok($pid, 'the delivery worker runs');
		kill 'KILL', $pid;
		ok(DqTest::poll_until($node, 'postgres', 'SELECT 1', '1'), 'the server is back after kill -9 of the worker');
	},
	'kill -9 of the delivery worker');

burst(
	'immediate',
	sub {
		$node->stop('immediate');
		$node->start;
	},
	'immediate shutdown');

#
# Secrets never reach the log or the delivery log.
#
# (the test's own statements are logged with their text: log_statement = all)
my $log = slurp_file($node->logfile);
$log =~ s/^\d{4}-[^\n]*\] 085_alerts\.pl LOG:  statement: .*?(?=^\d{4}-)//gms;
ok($log =~ /alert delivery \d+ to route "mon" failed/, 'failed deliveries are logged');
unlike($log, qr/s3cr3t/i, 'no route secret in the server log, other than in the statements the test ran');
is(sql("SELECT count(*) FROM dq.alert_deliveries WHERE error ILIKE '%s3cr3t%'")
	  . sql("SELECT count(*) FROM dq.alert_delivery_attempts WHERE error ILIKE '%s3cr3t%'"),
	'00', 'no route secret in the delivery log');

stop_receiver();
$node->stop;
done_testing();
