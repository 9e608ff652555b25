# The scheduler: the launcher starts a scheduler per database, interval
# jobs run and record their outcome, a long job is never started twice,
# statement_timeout applies, jobs run with exactly their owner's rights,
# two databases schedule independently, and the workers follow SIGHUP,
# DROP EXTENSION, DROP DATABASE and pg_terminate_backend.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('scheduler', create_extension => 1);

sub workers
{
	my ($type, $db) = @_;
	my $where = "backend_type = '$type'";
	$where .= " AND datname = '$db'" if defined $db;
	return "SELECT count(*) FROM pg_stat_activity WHERE $where";
}

ok(DqTest::poll_until($node, 'postgres',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'launcher started a scheduler for the database');
is($node->safe_psql('postgres', workers('dq_lineage launcher')), '1',
	'one launcher');

# A 1-second job runs, and every run is recorded with its command tag.
$node->safe_psql('postgres', q{
	CREATE TABLE ticks (at timestamptz);
	SELECT dq.schedule('tick', '1 second',
		'INSERT INTO ticks VALUES (now()); INSERT INTO ticks VALUES (now())');
});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) >= 3 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'tick' AND r.status = 'succeeded'}, 't'),
	'1-second job ran at least three times');
$node->safe_psql('postgres', "SELECT dq.alter_job('tick', enabled => false)");
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'tick' AND r.status IN ('starting', 'running')}, '0'),
	'no run in progress after disabling');
is($node->safe_psql('postgres', q{
	SELECT count(*) * 2 = (SELECT count(*) FROM ticks)
	   AND bool_and(command_tag = 'INSERT 0 1' AND rows = 1)
	   AND bool_and(started_at >= scheduled_at AND ended_at >= started_at)
	   AND bool_and(worker_pid IS NOT NULL)
	  FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	 WHERE j.job_name = 'tick' AND r.status = 'succeeded'}), 't',
	'each run executed both statements once and recorded tag, rows, times, pid');
is($node->safe_psql('postgres', q{
	SELECT count(DISTINCT scheduled_at) = count(*)
	   AND bool_and(extract(microseconds FROM scheduled_at - j.schedule_anchor)::bigint % 1000000 = 0)
	  FROM dq.job_runs r JOIN dq.jobs j USING (job_id) WHERE j.job_name = 'tick'}), 't',
	'ticks are distinct and anchored on whole seconds from the schedule time');

# A failing job records the error with its SQLSTATE.
$node->safe_psql('postgres', q{SELECT dq.schedule('fails', '1 second', 'SELECT 1/0')});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT sqlstate || ' ' || message FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'fails' AND r.status = 'failed' ORDER BY run_id LIMIT 1},
		'22012 division by zero'),
	'failing job recorded with SQLSTATE and message');
$node->safe_psql('postgres', q{SELECT dq.unschedule('fails')});

# A long job is not started twice: its later ticks are recorded as skipped.
$node->safe_psql('postgres', q{SELECT dq.schedule('long', '1 second', 'SELECT pg_sleep(3)')});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) >= 2 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'long' AND r.status = 'skipped'
			 AND r.message LIKE 'the previous run (run_id %) was still running'}, 't'),
	'ticks during a long run are skipped with the reason');
$node->safe_psql('postgres', q{SELECT dq.alter_job('long', enabled => false)});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'long' AND r.status IN ('starting', 'running')}, '0'),
	'long job finished');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.job_runs a JOIN dq.job_runs b
	    ON a.job_id = b.job_id AND a.run_id < b.run_id
	  JOIN dq.jobs j ON j.job_id = a.job_id
	 WHERE j.job_name = 'long' AND a.started_at IS NOT NULL AND b.started_at IS NOT NULL
	   AND tstzrange(a.started_at, a.ended_at) && tstzrange(b.started_at, b.ended_at)}), '0',
	'no two runs of the long job overlapped');

# statement_timeout per job.
$node->safe_psql('postgres', q{
	SELECT dq.schedule('slow', '1 second', 'SELECT pg_sleep(10)');
	SELECT dq.alter_job('slow', statement_timeout => '200 milliseconds');
});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT sqlstate || ' ' || message FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'slow' AND r.status = 'failed' ORDER BY run_id LIMIT 1},
		'57014 canceling statement due to statement timeout'),
	'statement_timeout of the job cancels its statement');
$node->safe_psql('postgres', q{SELECT dq.unschedule('slow')});

# Jobs run with their owner's rights, and cannot become someone else.
my $super = $node->safe_psql('postgres', 'SELECT current_user');
$node->safe_psql('postgres', qq{
	CREATE ROLE alice LOGIN;
	CREATE TABLE secret (x int);
	CREATE TABLE alice_log (who name, session_who name, at timestamptz);
	ALTER TABLE alice_log OWNER TO alice;
	SET ROLE alice;
	SELECT dq.schedule('alice logs', '1 second',
		'INSERT INTO alice_log SELECT current_user, session_user, now()');
	SELECT dq.schedule('alice reads secret', '1 second', 'SELECT * FROM secret');
	SELECT dq.schedule('alice escalates', '1 second', 'SET ROLE "$super"; DROP TABLE secret');
	RESET ROLE;
});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT DISTINCT who || '/' || session_who FROM alice_log}, 'alice/alice'),
	"a user's job runs as that user");
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT DISTINCT j.job_name || ': ' || r.sqlstate FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name LIKE 'alice %s%' AND r.status = 'failed' ORDER BY 1},
		"alice escalates: 42501\nalice reads secret: 42501"),
	"a user's job has no privilege the user lacks and cannot SET ROLE to a superuser");
is($node->safe_psql('postgres', q{SELECT to_regclass('secret') IS NOT NULL}), 't',
	'the table alice tried to drop is still there');
is($node->safe_psql('postgres', q{SELECT bool_and(NOT superuser) FROM dq.jobs WHERE job_name LIKE 'alice%'}),
	't', "alice's jobs are not marked superuser");
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SELECT dq.unschedule('alice logs'), dq.unschedule('alice reads secret'), dq.unschedule('alice escalates');
});

# A second database schedules its own jobs in its own scheduler.
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('db2', q{
	CREATE EXTENSION dq_lineage;
	CREATE TABLE seen (db name);
	SELECT dq.schedule('where am i', '1 second', 'INSERT INTO seen SELECT current_database()');
});
ok(DqTest::poll_until($node, 'db2', q{SELECT DISTINCT db FROM seen}, 'db2'),
	'a job of the second database runs there');
is($node->safe_psql('postgres', workers('dq_lineage scheduler')), '2',
	'one scheduler per database');
is($node->safe_psql('db2', q{SELECT string_agg(job_name, ',') FROM dq.jobs}), 'where am i',
	"each database sees only its jobs");

# A job of this database can run in another one (without the extension),
# as its owner; the outcome is recorded here.
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('plain', 'CREATE TABLE seen (db name, who name)');
$node->safe_psql('postgres', q{
	SELECT dq.schedule('remote', '1 second', 'INSERT INTO seen SELECT current_database(), current_user',
					   database => 'plain');
	SELECT dq.schedule('remote fails', '1 second', 'SELECT * FROM no_such_table', database => 'plain');
});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) >= 2 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'remote' AND r.status = 'succeeded' AND r.command_tag = 'INSERT 0 1'
		     AND r.started_at IS NOT NULL AND r.worker_pid IS NOT NULL}, 't'),
	'a job runs in another database and its runs are recorded in the job\'s');
is($node->safe_psql('plain', q{SELECT DISTINCT db || '/' || (who = current_user)::text FROM seen}),
	'plain/true', 'the command ran in the other database as the owner');
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT DISTINCT r.sqlstate FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'remote fails' AND r.status = 'failed'}, '42P01'),
	"a failing run in another database records its SQLSTATE");
$node->safe_psql('postgres', q{SELECT dq.unschedule('remote'), dq.unschedule('remote fails')});
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage job', 'plain'), '0'),
	'no job worker left in the other database');
$node->safe_psql('postgres', 'DROP DATABASE plain');

# DROP DATABASE (without FORCE) is not blocked by its scheduler; nothing is left behind.
$node->safe_psql('db2', q{SELECT dq.unschedule('where am i')});
$node->safe_psql('postgres', 'DROP DATABASE db2');
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage scheduler'), '1'),
	'the dropped database left no scheduler');

# SIGHUP: switching the scheduler off stops it, on starts it again.
$node->safe_psql('postgres', q{ALTER SYSTEM SET dq_lineage.scheduler = off; SELECT pg_reload_conf()});
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage scheduler'), '0'),
	'scheduler stopped after dq_lineage.scheduler = off');
is($node->safe_psql('postgres', q{SELECT state FROM dq.scheduler_status()}), 'disabled',
	'status says disabled');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET dq_lineage.scheduler; SELECT pg_reload_conf()});
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage scheduler'), '1'),
	'scheduler back after the setting is reset');

# Retention: a shorter dq_lineage.job_run_retention prunes finished runs at once.
my $kept = $node->safe_psql('postgres', q{SELECT count(*) FROM dq.job_runs});
cmp_ok($kept, '>', 0, 'run history exists');
$node->safe_psql('postgres', q{ALTER SYSTEM SET dq_lineage.job_run_retention = '1s'; SELECT pg_reload_conf()});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.job_runs WHERE coalesce(ended_at, scheduled_at) < now() - interval '10 seconds'}, '0'),
	'finished runs older than the retention are deleted');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET dq_lineage.job_run_retention; SELECT pg_reload_conf()});

# pg_terminate_backend: the launcher and the scheduler come back.
my $launcher = $node->safe_psql('postgres', 'SELECT launcher_pid FROM dq.scheduler_status()');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)");
ok(DqTest::poll_until($node, 'postgres',
		"SELECT launcher_pid IS NOT NULL AND launcher_pid <> $launcher FROM dq.scheduler_status()", 't'),
	'launcher restarted after pg_terminate_backend');
my $sched = $node->safe_psql('postgres', 'SELECT scheduler_pid FROM dq.scheduler_status()');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sched)");
ok(DqTest::poll_until($node, 'postgres',
		"SELECT scheduler_pid IS NOT NULL AND scheduler_pid <> $sched FROM dq.scheduler_status()", 't'),
	'scheduler restarted after pg_terminate_backend');

# The scheduler keeps the change validation worker of the database running.
$node->safe_psql('postgres', q{
	CREATE TABLE watched (id int PRIMARY KEY, qty int);
	SELECT dq.watch('watched');
});
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage cdc worker'), '1'),
	'change validation worker running');
my $cdc = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($cdc)");
ok(DqTest::poll_until($node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker' AND pid <> $cdc", '1'),
	'the scheduler started a new change validation worker after the old one was terminated');

# DROP EXTENSION stops the scheduler and the change validation worker,
# drops the slot; CREATE EXTENSION starts the scheduler again.
$node->safe_psql('postgres', 'DROP EXTENSION dq_lineage');
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage scheduler'), '0'),
	'DROP EXTENSION stopped the scheduler');
is($node->safe_psql('postgres', workers('dq_lineage job')), '0', 'and no job worker is left');
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage cdc worker'), '0'),
	'and no change validation worker');
sleep(2);
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_replication_slots}), '0',
	'and no replication slot, even a moment later');
$node->safe_psql('postgres', 'CREATE EXTENSION dq_lineage');
ok(DqTest::poll_until($node, 'postgres', workers('dq_lineage scheduler'), '1'),
	'CREATE EXTENSION started it again');

# Idle: no job, no wakeups beyond the nap; the launcher uses no CPU worth measuring.
$node->stop;
done_testing();
