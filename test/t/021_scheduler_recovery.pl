# The scheduler after crashes and restarts: a job worker killed with
# SIGKILL (which makes the postmaster restart every process), a server
# crash through a regular backend, and a clean restart.  Runs in flight are
# closed as failed with a reason, ticks missed while the server was down
# are recorded as skipped (one row, not caught up), and scheduling resumes.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use DqTest;

my $node = DqTest::new_node('recovery', create_extension => 1,
	extra => ['restart_after_crash = on']);

sub job_worker_pid
{
	return $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage job'});
}

sub succeeded_after
{
	my ($run_id) = @_;
	return DqTest::poll_until($node, 'postgres',
		qq{SELECT count(*) > 0 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		    WHERE j.job_name = 'quick' AND r.status = 'succeeded' AND r.run_id > $run_id}, 't');
}

$node->safe_psql('postgres', q{
	SELECT dq.schedule('long', '2 seconds', 'SELECT pg_sleep(60)');
	SELECT dq.schedule('quick', '1 second', 'SELECT 1');
});

# 1. kill -9 of a job worker: the server restarts all processes.
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage job'
		   AND query LIKE '%pg_sleep(60)%'}, '1'),
	'long job running');
my $long_run = $node->safe_psql('postgres',
	q{SELECT run_id FROM dq.job_runs WHERE status = 'running' AND job_id =
	    (SELECT job_id FROM dq.jobs WHERE job_name = 'long')});
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage job' AND query LIKE '%pg_sleep(60)%'});
kill 'KILL', $pid;
ok(DqTest::poll_until($node, 'postgres',
		qq{SELECT status || ': ' || message FROM dq.job_runs WHERE run_id = $long_run},
		'failed: the run was interrupted: the server restarted or crashed, or the job worker stopped, before it recorded a result'),
	'run of the SIGKILLed worker closed as failed with the reason');
my $last = $node->safe_psql('postgres', 'SELECT max(run_id) FROM dq.job_runs');
ok(succeeded_after($last), 'scheduling resumed after the crash restart');

# 2. pg_terminate_backend of a job worker.
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage job'
		   AND query LIKE '%pg_sleep(60)%'}, '1'),
	'long job running again');
$long_run = $node->safe_psql('postgres',
	q{SELECT max(run_id) FROM dq.job_runs WHERE status = 'running' AND job_id =
	    (SELECT job_id FROM dq.jobs WHERE job_name = 'long')});
$node->safe_psql('postgres',
	q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	   WHERE backend_type = 'dq_lineage job' AND query LIKE '%pg_sleep(60)%'});
ok(DqTest::poll_until($node, 'postgres',
		qq{SELECT status || ': ' || message FROM dq.job_runs WHERE run_id = $long_run},
		'failed: the job worker ended without recording a result: it was terminated or crashed (see the server log)'),
	'terminated job worker recorded as failed');

# 3. A real crash: a regular backend is killed with SIGKILL.
my $backend = $node->background_psql('postgres');
my $bpid = $backend->query_safe('SELECT pg_backend_pid()');
chomp $bpid;
kill 'KILL', $bpid;
$backend->quit;
$node->poll_query_until('postgres', 'SELECT 1', '1');
$last = $node->safe_psql('postgres', 'SELECT max(run_id) FROM dq.job_runs');
ok(succeeded_after($last), 'scheduling resumed after a backend crash');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.job_runs WHERE status IN ('starting', 'running')
		   AND run_id <= (SELECT max(run_id) FROM dq.job_runs WHERE status = 'succeeded')
		   AND job_id = (SELECT job_id FROM dq.jobs WHERE job_name = 'quick')}),
	'0', 'no run of the quick job left open');

# 4. A clean restart with a pause: the missed ticks are one skipped row per job.
$node->safe_psql('postgres', q{SELECT dq.alter_job('long', enabled => false)});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage job'
		   AND query LIKE '%pg_sleep(60)%'}, '0'),
	'long job stopped before the restart');
$node->stop('fast');
sleep(4);
$node->start;
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'quick' AND r.status = 'skipped'
		     AND r.message ~ '^[0-9]+ tick\(s\) missed while no scheduler was running'}, '1'),
	'ticks missed while the server was down recorded once as skipped');
my ($missed) = $node->safe_psql('postgres',
	q{SELECT substring(message from '^([0-9]+)') FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	   WHERE j.job_name = 'quick' AND r.status = 'skipped'});
cmp_ok($missed, '>=', 3, "at least 3 ticks counted as missed ($missed)");
$last = $node->safe_psql('postgres', 'SELECT max(run_id) FROM dq.job_runs');
ok(succeeded_after($last), 'scheduling resumed after the restart');
# not caught up: no burst of runs scheduled in the past
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'quick' AND r.status = 'succeeded'
		     AND r.scheduled_at < pg_postmaster_start_time()}),
	$node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'quick' AND r.status = 'succeeded'
		     AND r.started_at < pg_postmaster_start_time()}),
	'no missed tick was run after the restart');

$node->stop;
done_testing();
