# Progress of long operations (dq.progress), progress NOTICEs, cancellation
# and timeouts, and the counters of dq.stats, on a table of 10 million
# rows.
#
# A run is held in its storing phase by a lock on the catalog table it
# writes (a second session holds it), so that every phase can be watched
# or interrupted whatever the speed of the machine: a sampler polls
# dq.progress from the server side every 20 ms and keeps what it saw.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use File::Spec;

use DqTest;

my $node = DqTest::new_node('progress', create_extension => 1,
	extra => [ 'max_parallel_workers_per_gather = 2',
			   'max_parallel_workers = 4' ]);

# A narrow table of 10 million rows, generated in one statement.
$node->safe_psql('postgres', q{
	CREATE UNLOGGED TABLE big (v int);
	INSERT INTO big SELECT g FROM generate_series(1, 10000000) g;
});
$node->safe_psql('postgres', 'VACUUM ANALYZE big');
my $blocks = $node->safe_psql('postgres', q{SELECT pg_relation_size('big') / 8192});
$node->safe_psql('postgres', q{
	SELECT dq.expect('big', 'expect_column_values_to_not_be_null', 'v');
	SELECT dq.expect('big', 'expect_column_values_to_be_between', 'v',
					 '{"min_value": 1, "max_value": 10000000}');
	CREATE ROLE watcher LOGIN;
	CREATE ROLE stats_reader LOGIN IN ROLE pg_read_all_stats;
	CREATE TABLE samples (n serial, phase text, blocks_done bigint, blocks_total bigint,
						  rows_seen bigint, remaining float8, workers bigint);
	GRANT SELECT ON samples TO PUBLIC;
	SELECT dq.stats_reset();
});

# The scan gets a parallel worker (a leader and one worker on any machine).
my $parallel = q{
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0; SET dq_lineage.scan_workers = 1;
};

sub counts
{
	return $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM dq.profile_runs) || ',' ||
		       (SELECT count(*) FROM dq.column_profiles) || ',' ||
		       (SELECT count(*) FROM dq.validation_runs) || ',' ||
		       (SELECT count(*) FROM dq.validation_results)});
}

# A session running $sql in the background; returns the session and its pid.
sub start_run
{
	my ($sql, $setup) = @_;
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	$s->query_safe($setup) if defined $setup;
	$s->query_until(qr/running/, "\\echo running\n$sql;\n");
	return ($s, $pid);
}

# A session holding a lock on a catalog table until released.
sub hold_lock
{
	my ($table) = @_;
	my $s = $node->background_psql('postgres');
	$s->query_safe("BEGIN; LOCK TABLE $table IN SHARE MODE");
	return $s;
}

# Sample dq.progress for pid every 20 ms until its storing phase shows.
sub sample_until_storing
{
	my ($pid) = @_;
	$node->safe_psql('postgres', qq{
		TRUNCATE samples;
		DO \$\$
		DECLARE deadline timestamptz := clock_timestamp() + interval '300 s';
		BEGIN
			LOOP
				PERFORM pg_stat_clear_snapshot();
				INSERT INTO samples (phase, blocks_done, blocks_total, rows_seen, remaining, workers)
				SELECT phase, blocks_done, blocks_total, rows_seen,
					   extract(epoch FROM estimated_remaining),
					   (SELECT count(*) FROM pg_stat_activity a
						 WHERE a.leader_pid = p.pid AND a.backend_type = 'parallel worker')
				  FROM dq.progress p WHERE p.pid = $pid;
				EXIT WHEN EXISTS (SELECT 1 FROM samples WHERE phase = 'storing')
					   OR clock_timestamp() > deadline;
				PERFORM pg_sleep(0.02);
			END LOOP;
		END \$\$;
	});
}

# What the samples of one run must show.
sub check_samples
{
	my ($what, $rows) = @_;
	my $scanning = $node->safe_psql('postgres',
		q{SELECT count(*) FROM samples WHERE phase = 'scanning'});
	cmp_ok($scanning, '>=', 3, "$what: the scanning phase was seen $scanning times");
	is( $node->safe_psql('postgres', q{
		SELECT bool_and(blocks_total = } . $blocks . q{) FROM samples WHERE phase = 'scanning'}),
		't', "$what: blocks_total is the table's $blocks blocks");
	is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM samples s JOIN samples t ON t.n = s.n + 1
		 WHERE t.blocks_done < s.blocks_done OR t.rows_seen < s.rows_seen}),
		'0', "$what: blocks done and rows seen never go down");
	cmp_ok( $node->safe_psql('postgres', q{
		SELECT count(DISTINCT blocks_done) FROM samples
		 WHERE phase = 'scanning' AND blocks_done > 0}),
		'>=', 2, "$what: blocks done increase during the scan");
	is( $node->safe_psql('postgres', q{
		SELECT blocks_done = blocks_total AND rows_seen = } . $rows . q{
		  FROM samples WHERE phase = 'storing' ORDER BY n LIMIT 1}),
		't', "$what: when storing, blocks done reached the total and every row was seen");
	is( $node->safe_psql('postgres', q{
		SELECT (array_agg(remaining ORDER BY n DESC))[1] < (array_agg(remaining ORDER BY n))[1]
		  FROM samples WHERE phase = 'scanning' AND remaining IS NOT NULL}),
		't', "$what: the estimated time left falls");
	cmp_ok( $node->safe_psql('postgres', q{SELECT max(workers) FROM samples}),
		'>=', 1, "$what: a parallel worker took part in the scan");
}

sub no_progress_row
{
	my ($pid, $what) = @_;
	ok( DqTest::poll_until($node, 'postgres',
			"SELECT count(*) FROM dq.progress WHERE pid = $pid", '0', 10),
		"$what: no progress row left");
}

#
# 1. A profile watched from start to end, held in its storing phase.
#
my $before = counts();
my $lock = hold_lock('dq.column_profiles');
my ($run, $pid) = start_run(q{SELECT dq.profile('big')}, $parallel);
sample_until_storing($pid);
check_samples('profile', 10000000);

# Visibility, as in pg_stat_activity.
is( $node->safe_psql('postgres', qq{
	SET ROLE watcher;
	SELECT operation || ',' || (relid IS NULL) || ',' || (phase IS NULL) || ',' || (blocks_done IS NULL)
	  FROM dq.progress WHERE pid = $pid}),
	'profile,true,true,true', 'another role sees that a profile runs, not on what');
my $superuser = $node->safe_psql('postgres', 'SELECT current_user');
is( $node->safe_psql('postgres', qq{
	SET ROLE stats_reader;
	SELECT table_name || ',' || phase || ',' || role FROM dq.progress WHERE pid = $pid}),
	"big,storing,$superuser", 'a member of pg_read_all_stats sees the whole row');

$lock->query_safe('COMMIT');
$lock->quit;
my $out = $run->query_safe('SELECT 1');
like($out, qr/^\d+\n1$/, 'the held profile finished once the lock was released');
$run->quit;
no_progress_row($pid, 'finished profile');
isnt(counts(), $before, 'the finished profile was stored');

#
# 2. A validation watched the same way.
#
$lock = hold_lock('dq.validation_runs');
($run, $pid) = start_run(q{SELECT dq.validate('big')}, $parallel);
sample_until_storing($pid);
check_samples('validation', 10000000);
$lock->query_safe('COMMIT');
$lock->quit;
$out = $run->query_safe('SELECT 1');
like($out, qr/^\d+\n1$/, 'the held validation finished');
$run->quit;
no_progress_row($pid, 'finished validation');

#
# 3. Interrupted runs leave no rows and no progress row.
#
sub interrupted
{
	my ($what, $pid, $session, $error) = @_;
	no_progress_row($pid, $what);
	ok( DqTest::poll_until($node, 'postgres',
			"SELECT count(*) FROM pg_stat_activity WHERE leader_pid = $pid", '0', 10),
		"$what: no parallel worker left");
	if (defined $session)
	{
		$session->query('SELECT 1');
		like($session->{stderr}, $error, "$what: the run failed with the expected error");
		$session->quit;
	}
}

$before = counts();

# cancelled while scanning (leader and parallel worker)
($run, $pid) = start_run(q{SELECT dq.profile('big')}, $parallel);
ok( DqTest::poll_until($node, 'postgres',
		"SELECT phase = 'scanning' AND blocks_done > 0 FROM dq.progress WHERE pid = $pid", 't'),
	'profile to cancel is scanning');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
interrupted('profile cancelled while scanning', $pid, $run,
	qr/canceling statement due to user request/);

# cancelled while storing: its run row is written, its column rows wait
$lock = hold_lock('dq.column_profiles');
($run, $pid) = start_run(q{SELECT dq.profile('big')}, $parallel);
ok( DqTest::poll_until($node, 'postgres',
		"SELECT phase FROM dq.progress WHERE pid = $pid", 'storing'),
	'profile to cancel is storing');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
interrupted('profile cancelled while storing', $pid, $run,
	qr/canceling statement due to user request/);
$lock->query_safe('COMMIT');
$lock->quit;

# validation cancelled while scanning, and while storing its results
($run, $pid) = start_run(q{SELECT dq.validate('big')}, $parallel);
ok( DqTest::poll_until($node, 'postgres',
		"SELECT phase = 'scanning' AND blocks_done > 0 FROM dq.progress WHERE pid = $pid", 't'),
	'validation to cancel is scanning');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
interrupted('validation cancelled while scanning', $pid, $run,
	qr/canceling statement due to user request/);

$lock = hold_lock('dq.validation_results');
($run, $pid) = start_run(q{SELECT dq.validate('big')}, $parallel);
ok( DqTest::poll_until($node, 'postgres',
		"SELECT phase FROM dq.progress WHERE pid = $pid", 'storing'),
	'validation to cancel is storing');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
interrupted('validation cancelled while storing', $pid, $run,
	qr/canceling statement due to user request/);
$lock->query_safe('COMMIT');
$lock->quit;

# statement_timeout, while the results wait for a lock
$lock = hold_lock('dq.column_profiles');
($run, $pid) = start_run(q{SELECT dq.profile('big')},
	"$parallel SET statement_timeout = '2s';");
interrupted('profile past statement_timeout', $pid, $run,
	qr/canceling statement due to statement timeout/);
$lock->query_safe('COMMIT');
$lock->quit;

# a terminated session
($run, $pid) = start_run(q{SELECT dq.profile('big')}, $parallel);
ok( DqTest::poll_until($node, 'postgres',
		"SELECT phase = 'scanning' AND blocks_done > 0 FROM dq.progress WHERE pid = $pid", 't'),
	'profile to terminate is scanning');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
interrupted('profile of a terminated session', $pid, undef, undef);
$run->{run}->finish;

is(counts(), $before, 'no interrupted run left a row behind');

#
# 4. A scheduled job: its row and the rows of what it runs carry its name.
#
$lock = hold_lock('dq.column_profiles');
$node->safe_psql('postgres',
	q{SELECT dq.schedule('profile-big', '2 seconds', $$SELECT dq.profile('big')$$)});
ok( DqTest::poll_until($node, 'postgres', q{
	SELECT string_agg(operation || ':' || phase || ':' || job_name, ',' ORDER BY operation)
	  FROM dq.progress WHERE job_name IS NOT NULL},
		'job:running:profile-big,profile:storing:profile-big'),
	'a job run and the profile it runs show with the job name');
# the next ticks find the run still going: skipped
ok( DqTest::poll_until($node, 'postgres', q{
	SELECT count(*) > 0 FROM dq.job_runs WHERE status = 'skipped'}, 't'),
	'a tick was skipped while the run was held');
$node->safe_psql('postgres', q{SELECT dq.unschedule('profile-big')});
$lock->query_safe('COMMIT');
$lock->quit;
ok( DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.progress WHERE job_name IS NOT NULL}, '0'),
	'the job run ended and its rows are gone');

#
# 5. NOTICEs with dq_lineage.progress_notice.
#
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"$parallel SET dq_lineage.progress_notice = '100ms'; SELECT dq.profile('big') > 0;");
like($stderr,
	qr/NOTICE:  profile of public\.big: \d+% scanned \([\d,]+ of [\d,]+ blocks, [\d,]+ rows\), [\d.]+ s elapsed/,
	'progress_notice: a profile reports how far it is');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET dq_lineage.scan_workers = 0; SET dq_lineage.progress_notice = '100ms'; SELECT dq.validate('big') > 0;");
like($stderr, qr/NOTICE:  validation of public\.big: \d+% scanned .*, about [\d.]+ s left/,
	'progress_notice: a serial validation reports its estimate');
($ret, $stdout, $stderr) = $node->psql('postgres', "$parallel SELECT dq.profile('big') > 0;");
unlike($stderr, qr/NOTICE/, 'no NOTICE by default');

#
# 6. dq.stats counted all of it.
#
$node->safe_psql('postgres', q{
	CREATE TABLE watched (id int, amount int);
	SELECT dq.expect('watched', 'expect_column_values_to_be_between', 'amount',
					 '{"min_value": 0, "max_value": 100}');
	SELECT dq.watch('watched');
});
$node->safe_psql('postgres', q{INSERT INTO watched SELECT g, g * 10 FROM generate_series(1, 20) g});
ok(DqTest::cdc_caught_up($node), 'change validation caught up');
ok( DqTest::poll_until($node, 'postgres', q{
	SELECT rows || ',' || violations FROM dq.stats WHERE operation = 'cdc'}, '20,10'),
	'dq.stats: 20 changes validated, 10 violations');

# profiles of big: 1 held, 4 interrupted, 1 by the job (stopped by
# dq.unschedule, which ends a running run: a fifth failure), 2 for NOTICEs
is( $node->safe_psql('postgres', q{
	SELECT calls || ',' || failures || ',' || (rows >= 5 * 10000000) || ',' ||
		   (max_time <= total_time) || ',' || table_name
	  FROM dq.stats WHERE operation = 'profile' AND relid = 'big'::regclass}),
	'8,5,true,true,big', 'dq.stats: profiles of big, with the interrupted ones as failures');
is( $node->safe_psql('postgres', q{
	SELECT calls || ',' || failures || ',' || (rows >= 2 * 10000000)
	  FROM dq.stats WHERE operation = 'validation' AND relid = 'big'::regclass}),
	'4,2,true', 'dq.stats: validations of big');
ok( DqTest::poll_until($node, 'postgres', q{
	SELECT calls >= 1 AND failures = 1 AND skipped >= 1 FROM dq.stats WHERE operation = 'job'}, 't'),
	'dq.stats: job runs and skipped ticks (the held run, ended by dq.unschedule, failed)');

# The counters survive a clean restart.
my $saved = $node->safe_psql('postgres',
	q{SELECT string_agg(operation || calls, ',' ORDER BY operation) FROM dq.stats WHERE relid IS NOT NULL});
$node->restart;
is( $node->safe_psql('postgres',
		q{SELECT string_agg(operation || calls, ',' ORDER BY operation) FROM dq.stats WHERE relid IS NOT NULL}),
	$saved, 'dq.stats survives a clean restart');

# The query file for the Prometheus exporter runs as written.
my $yaml = slurp_file(File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, File::Spec->updir, 'docs', 'prometheus-queries.yaml'));
my @queries = $yaml =~ /^\s+query:\s*\|\n((?:\s{4,}.*\n)+)/mg;
cmp_ok(scalar(@queries), '>=', 2, 'the exporter file has queries');
foreach my $q (@queries)
{
	my ($r, $o, $e) = $node->psql('postgres', $q);
	is($r, 0, 'exporter query runs: ' . (split /\n/, $q)[0]) or diag($e);
}

$node->safe_psql('postgres', q{SELECT dq.stats_reset()});
is($node->safe_psql('postgres', q{SELECT count(*) FROM dq.stats}), '0',
	'dq.stats_reset() forgets every counter');

$node->stop;

#
# 7. Without preloading: the operations run, the views say what is missing.
#
my $plain = DqTest::new_node('plain', preload => 0, create_extension => 1);
$plain->safe_psql('postgres', 'CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g');
is($plain->safe_psql('postgres', q{SELECT dq.profile('t') > 0}), 't',
	'without preloading, dq.profile runs');
like(DqTest::psql_error($plain, 'postgres', 'SELECT * FROM dq.progress'),
	qr/dq\.progress is not available/, 'without preloading, dq.progress says why it is empty');
like(DqTest::psql_error($plain, 'postgres', 'SELECT * FROM dq.stats'),
	qr/dq_lineage statistics are not available/, 'and so does dq.stats');
$plain->stop;

done_testing();
