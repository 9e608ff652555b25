# A new interval job's first run is its anchor plus one interval, even when
# the job commits while the scheduler is reading dq.jobs.  The scheduler
# read the clock before its query; a job committed while the query waited
# (here for a lock on dq.job_runs) could then have an anchor later than that
# reading, and it ran at once, at its anchor.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('scheduler_new_job', create_extension => 1);

ok(DqTest::poll_until($node, 'postgres',
		"SELECT state FROM dq.scheduler_status()", 'running'),
	'the scheduler runs');
$node->safe_psql('postgres', q{SELECT dq.schedule('other', '1 hour', 'SELECT 1')});

# The scheduler's next read of dq.jobs waits for this lock.
my $locker = $node->background_psql('postgres');
$locker->query_safe(q{BEGIN; LOCK TABLE dq.job_runs IN ACCESS EXCLUSIVE MODE});
# A change through dq.alter_job wakes the scheduler, which reloads the jobs.
$node->safe_psql('postgres', q{SELECT dq.alter_job('other', command => 'SELECT 2')});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		   WHERE a.backend_type = 'dq_lineage scheduler' AND NOT l.granted
		     AND l.relation = 'dq.job_runs'::regclass}, '1'),
	'the scheduler waits to read the jobs');

# A job set after the scheduler's wake-up (its anchor, as a transaction that
# began after it would have) commits before the scheduler's query reads.
$locker->query_safe(q{
	SELECT dq.schedule('fresh', '1 hour', 'SELECT 1');
	UPDATE dq.jobs SET schedule_anchor = clock_timestamp() WHERE job_name = 'fresh';
	COMMIT});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		   WHERE a.backend_type = 'dq_lineage scheduler' AND NOT l.granted}, '0'),
	'the scheduler read the jobs');
# A run would start within a scheduler pass; give it several.
sleep(3);
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name IN ('fresh', 'other')}),
	'0', 'the new job does not run before its first tick, an hour after its anchor');
is($node->safe_psql('postgres',
		q{SELECT next_run = j.schedule_anchor + interval '1 hour'
		    FROM dq.job_status s JOIN dq.jobs j USING (job_id) WHERE j.job_name = 'fresh'}),
	't', 'its next run is its anchor plus one interval');
$locker->quit;

$node->stop;
done_testing();
