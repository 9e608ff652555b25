# The scheduler under pressure: a run that finds no free background worker
# slot waits (status waiting) and starts once a slot frees, and a run still
# waiting when its job's next tick comes is skipped; the per-role cap
# (dq_lineage.max_runs_per_role) makes a role's runs wait while other
# roles' runs go on; retries record each attempt with its number; a job
# that runs after another runs after each of its successful runs only.
# The runs that hold a slot wait on an advisory lock the test holds, so
# nothing depends on timing.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('sched_pressure', create_extension => 1,
	extra => [ 'max_parallel_workers = 0', 'max_parallel_workers_per_gather = 0' ]);

ok(DqTest::poll_until($node, 'postgres',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs');

# Background workers that take a slot of max_worker_processes now.
my $core_types = join(', ', map { "'$_'" } (
	'client backend', 'autovacuum launcher', 'autovacuum worker',
	'background writer', 'checkpointer', 'walwriter', 'archiver',
	'startup', 'walsender', 'walreceiver'));
my $bgworkers = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_stat_activity WHERE backend_type NOT IN ($core_types)");
cmp_ok($bgworkers, '>=', 2, "$bgworkers background workers run (launcher, scheduler, ...)");

# A session holding advisory locks, in its own psql.
my ($lin, $lout, $lerr) = ('', '', '');
my $locker;
sub start_locker
{
	($lin, $lout, $lerr) = ('', '', '');
	$locker = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-f', '-' ],
		'<', \$lin, '>', \$lout, '2>', \$lerr,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}
sub stop_locker
{
	$locker->kill_kill;
}
sub locker
{
	my ($sql) = @_;
	$lout = '';
	$lin .= "$sql; SELECT 'done';\n";
	$locker->pump until $lout =~ /done/;
}

sub runs
{
	my ($job, $where) = @_;
	return "SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id) "
	  . "WHERE j.job_name = '$job' AND $where";
}

sub runs_at_least
{
	my ($job, $where, $n) = @_;
	return 'SELECT (' . runs($job, $where) . ") >= $n";
}

# ---------------------------------------------------------------------
# 1. No free slot: one slot is left for job runs; a run holds it.
# ---------------------------------------------------------------------
$node->append_conf('postgresql.conf', 'max_worker_processes = ' . ($bgworkers + 1));
$node->restart;
start_locker();
ok(DqTest::poll_until($node, 'postgres',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs again with one slot to spare');

locker('SELECT pg_advisory_lock(1)');
$node->safe_psql('postgres', q{
	SELECT dq.schedule('holder', '1 second',
		'SELECT pg_advisory_lock(1); SELECT pg_advisory_unlock(1)');
});
ok(DqTest::poll_until($node, 'postgres', runs('holder', "r.status = 'running'"), '1'),
	'the holder job runs in the last slot');
$node->safe_psql('postgres', q{SELECT dq.schedule('waiter', '2 seconds', 'SELECT 42')});
ok(DqTest::poll_until($node, 'postgres',
		runs('waiter', "r.status = 'waiting' AND r.waited_for LIKE 'a free background worker slot%'"),
		'1'),
	'a run that finds no free slot waits (status waiting), it does not fail');
ok(DqTest::poll_until($node, 'postgres',
		runs_at_least('waiter', "r.status = 'skipped' AND r.message LIKE '%next run was due while this run still waited for a free background worker slot%'", 1),
		't'),
	'a run still waiting when the next tick comes is skipped');
is($node->safe_psql('postgres', runs('waiter', "r.status = 'failed'")), '0',
	'no run of the waiting job failed');
is($node->safe_psql('postgres', runs('waiter', "r.status = 'waiting'")), '1',
	'one run of the job waits at a time');

# The slot frees: the waiting run starts.
$node->safe_psql('postgres', q{SELECT dq.alter_job('holder', enabled => false)});
locker('SELECT pg_advisory_unlock(1)');
ok(DqTest::poll_until($node, 'postgres',
		runs_at_least('waiter', "r.status = 'succeeded' AND r.waited_for LIKE 'a free background worker slot%' "
			  . "AND r.command_tag = 'SELECT 1' AND r.started_at > r.scheduled_at", 1),
		't'),
	'once the slot frees, the waiting run starts and succeeds (waited_for kept)');
$node->safe_psql('postgres', q{SELECT dq.alter_job('waiter', enabled => false)});
ok(DqTest::poll_until($node, 'postgres',
		"SELECT count(*) FROM dq.job_runs WHERE status IN ('waiting', 'starting', 'running')", '0'),
	'no run left open');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dq.job_runs WHERE status = 'failed'}), '0',
	'no run failed for want of a slot');

# ---------------------------------------------------------------------
# 2. The per-role cap.
# ---------------------------------------------------------------------
stop_locker();
$node->append_conf('postgresql.conf', "max_worker_processes = 16\ndq_lineage.max_runs_per_role = 1");
$node->restart;
start_locker();
ok(DqTest::poll_until($node, 'postgres',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs with dq_lineage.max_runs_per_role = 1');
$node->safe_psql('postgres', q{
	CREATE ROLE capped LOGIN;
	CREATE TABLE free_runs (at timestamptz);
	CREATE DATABASE db2;
});
$node->safe_psql('db2', 'CREATE EXTENSION dq_lineage');
ok(DqTest::poll_until($node, 'db2',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'a second database has its scheduler');
locker('SELECT pg_advisory_lock(2)');
$node->safe_psql('postgres', q{
	SET ROLE capped;
	SELECT dq.schedule('c1', '1 second', 'SELECT pg_advisory_lock_shared(2); SELECT pg_advisory_unlock_shared(2)');
});
ok(DqTest::poll_until($node, 'postgres', runs('c1', "r.status = 'running'"), '1'),
	'the capped role runs one job');
$node->safe_psql('postgres', q{
	SET ROLE capped;
	SELECT dq.schedule('c2', '1 second', 'SELECT pg_advisory_lock_shared(2); SELECT pg_advisory_unlock_shared(2)');
	RESET ROLE;
	SELECT dq.schedule('other_role', '1 second', 'INSERT INTO free_runs VALUES (now())');
});
ok(DqTest::poll_until($node, 'postgres',
		runs('c2', "r.status = 'waiting' AND r.waited_for = 'dq_lineage.max_runs_per_role'"), '1'),
	'the role\'s second job waits under the cap');
ok(DqTest::poll_until($node, 'postgres', runs_at_least('other_role', "r.status = 'succeeded'", 2), 't'),
	'another role\'s job runs meanwhile');
# The cap counts the role's runs in every database.
$node->safe_psql('db2', q{
	SET ROLE capped;
	SELECT dq.schedule('c3', '1 second', 'SELECT 3');
});
ok(DqTest::poll_until($node, 'db2',
		runs('c3', "r.status = 'waiting' AND r.waited_for = 'dq_lineage.max_runs_per_role'"), '1'),
	'the role\'s job in another database waits under the cap too');
is($node->safe_psql('db2', runs('c3', "r.status IN ('starting', 'running', 'succeeded')")), '0',
	'it has not run while the role\'s run in the first database goes on');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id) "
		  . "WHERE j.owner = 'capped'::regrole AND r.status IN ('starting', 'running')"),
	'1', 'never more than one run of the capped role at a time');
locker('SELECT pg_advisory_unlock(2)');
ok(DqTest::poll_until($node, 'postgres',
		runs_at_least('c2', "r.status = 'succeeded' AND r.waited_for = 'dq_lineage.max_runs_per_role'", 1), 't'),
	'once the role\'s run ends, its waiting run starts');

$node->safe_psql('postgres', q{
	SELECT dq.alter_job('c1', enabled => false);
	SELECT dq.alter_job('c2', enabled => false);
	SELECT dq.alter_job('other_role', enabled => false);
});
# (no queue is shared between databases: with the role's jobs of the first
# database stopped, the one of the other database gets its turn)
ok(DqTest::poll_until($node, 'db2', runs_at_least('c3', "r.status = 'succeeded'", 1), 't'),
	'the role\'s job in the other database runs once the cap allows');
$node->safe_psql('db2', q{SELECT dq.alter_job('c3', enabled => false)});
ok(DqTest::poll_until($node, 'postgres',
		"SELECT count(*) FROM dq.job_runs WHERE status IN ('waiting', 'starting', 'running')", '0'),
	'no run left open');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (
		SELECT r1.run_id FROM dq.job_runs r1 JOIN dq.job_runs r2
		    ON r1.run_id < r2.run_id
		   AND r1.started_at < r2.ended_at AND r2.started_at < r1.ended_at
		 WHERE r1.job_id IN (SELECT job_id FROM dq.jobs WHERE owner = 'capped'::regrole)
		   AND r2.job_id IN (SELECT job_id FROM dq.jobs WHERE owner = 'capped'::regrole)) o}),
	'0', 'no two runs of the capped role overlapped');
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET dq_lineage.max_runs_per_role = 0;
	SELECT pg_reload_conf();
});

# ---------------------------------------------------------------------
# 3. Retries: each attempt is a run with its number.
# ---------------------------------------------------------------------
# One transaction: the scheduler sees the jobs only with their final anchors
# (statement by statement it could load a job before the UPDATE, with its
# first tick an hour away).
$node->safe_psql('postgres', q{
	BEGIN;
	CREATE SEQUENCE flaky_seq;
	SELECT dq.schedule('flaky', '1 hour',
		'SELECT 1 / (nextval(''flaky_seq'') / 3)',
		retries => 3, retry_delay => '0');
	SELECT dq.schedule('broken', '1 hour', 'SELECT 1 / 0', retries => 1, retry_delay => '1 second');
	-- due at once: the first tick is the anchor plus an hour
	UPDATE dq.jobs SET schedule_anchor = now() - interval '1 hour' + interval '1 second'
	 WHERE job_name IN ('flaky', 'broken');
	-- (a change through dq.alter_job wakes the scheduler at commit, which reloads the jobs)
	SELECT dq.alter_job('flaky', enabled => true);
	COMMIT;
});
ok(DqTest::poll_until($node, 'postgres',
		"SELECT string_agg(r.attempt || ':' || r.status, ',' ORDER BY r.run_id) "
		  . "FROM dq.job_runs r JOIN dq.jobs j USING (job_id) WHERE j.job_name = 'flaky'",
		'1:failed,2:failed,3:succeeded'),
	'a failed run is tried again until an attempt succeeds, each attempt recorded');
ok(DqTest::poll_until($node, 'postgres',
		"SELECT string_agg(r.attempt || ':' || r.status || ':' || r.sqlstate, ',' ORDER BY r.run_id) "
		  . "FROM dq.job_runs r JOIN dq.jobs j USING (job_id) WHERE j.job_name = 'broken'",
		'1:failed:22012,2:failed:22012'),
	'the retries spent, the run stays failed');
is($node->safe_psql('postgres', q{
	SELECT bool_and(r2.started_at >= r1.ended_at + interval '1 second')
	  FROM dq.job_runs r1 JOIN dq.job_runs r2 USING (job_id)
	  JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name = 'broken' AND r1.attempt = 1 AND r2.attempt = 2}), 't',
	'the retry starts retry_delay after the failed attempt ended');
is($node->safe_psql('postgres',
		"SELECT last_status, last_attempt FROM dq.job_status WHERE job_name = 'flaky'"),
	'succeeded|3', 'dq.job_status shows the attempt of the latest run');

# ---------------------------------------------------------------------
# 4. A job that runs after another's successful run.
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{
	CREATE TABLE loaded (batch int);
	CREATE TABLE checked (upstream_run bigint, rows bigint);
	SELECT dq.schedule('load', '2 seconds', 'INSERT INTO loaded VALUES (1)');
	SELECT dq.schedule('check', NULL,
		'INSERT INTO checked SELECT NULL, count(*) FROM loaded', after => 'load');
});
ok(DqTest::poll_until($node, 'postgres', runs_at_least('check', "r.status = 'succeeded'", 2), 't'),
	'the dependent job runs after the upstream job');
is($node->safe_psql('postgres', q{
	SELECT bool_and(u.status = 'succeeded' AND u.job_id = (SELECT job_id FROM dq.jobs WHERE job_name = 'load')
	                AND c.scheduled_at >= u.ended_at AND c.started_at >= u.ended_at)
	  FROM dq.job_runs c JOIN dq.job_runs u ON u.run_id = c.after_run_id
	 WHERE c.job_id = (SELECT job_id FROM dq.jobs WHERE job_name = 'check')}), 't',
	'each run of the dependent job names the successful upstream run it followed');
is($node->safe_psql('postgres', runs('check', 'r.after_run_id IS NULL')), '0',
	'the dependent job never ran on a schedule of its own');
# The upstream job fails: the dependent job does not run.
$node->safe_psql('postgres', q{SELECT dq.alter_job('load', command => 'SELECT 1 / 0')});
ok(DqTest::poll_until($node, 'postgres', runs_at_least('load', "r.status = 'failed'", 2), 't'),
	'the upstream job fails');
my $after_fail = $node->safe_psql('postgres', runs('check', 'true'));
ok(DqTest::poll_until($node, 'postgres', runs_at_least('load', "r.status = 'failed'", 4), 't'),
	'the upstream job fails again');
is($node->safe_psql('postgres', runs('check', 'true')), $after_fail,
	'no run of the dependent job after a failed upstream run');
is(DqTest::psql_error($node, 'postgres', q{SELECT dq.unschedule('load')}) =~ /other jobs run after it/ ? 1 : 0,
	1, 'the upstream job cannot be unscheduled while the dependent job exists');

stop_locker();
$node->stop;
done_testing();
