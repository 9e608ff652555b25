# Adversarial suite: the background workers, change validation and the
# scheduler against unprivileged roles.  alice and bob are ordinary users,
# mallory is an attacker who may create schemas in the database (CREATE on
# it) and owns a database of her own; nobody here but the test's bootstrap
# superuser is privileged.  Every place where a worker runs SQL, or runs
# code as a role other than the one that wrote it, is attacked:
#
#  - operators shadowing built-ins in a schema named like the bootstrap
#    superuser ("$user" of every worker session), and in a database whose
#    owner sets search_path (and role) with ALTER DATABASE ... SET;
#  - domain CHECKs reaching the decoder (parseable_as, domain-typed bounds
#    and sets) and the quarantine copy, calling pg_terminate_backend and
#    ALTER ROLE when they run as a superuser;
#  - rules that raise errors in the decoder and in the worker;
#  - replication slots dropped by roles that may not drop the database or
#    the extension, and by a DROP that is rolled back;
#  - a job owner promoted to superuser after scheduling, or a member of a
#    superuser role, with dq_lineage.allow_superuser_jobs off;
#  - job names squatted by another role, a schema dq created before the
#    extension.
#
# Afterwards: no role gained a privilege, no superuser session was
# terminated, and every committed violation was recorded exactly once.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('sec',
	create_extension => 1,
	extra => [ 'dq_lineage.allow_superuser_jobs = off', 'max_connections = 40' ]);
my $su = $node->safe_psql('postgres', 'SELECT current_user');

# Run SQL as a role (a session of its own, logged in as that role).
sub as
{
	my ($role, $db, $sql) = @_;
	return $node->safe_psql($db, $sql, extra_params => [ '-U', $role ]);
}

sub as_error
{
	my ($role, $db, $sql) = @_;
	my ($ret, $stdout, $stderr) =
	  $node->psql($db, $sql, extra_params => [ '-U', $role ]);
	return $ret == 0 ? undef : $stderr;
}

# The output of a query that may fail (on a broken system), without dying.
sub query
{
	my ($db, $sql) = @_;
	my ($ret, $stdout, $stderr) = $node->psql($db, $sql);
	return $stdout;
}

sub caught_up
{
	return DqTest::cdc_caught_up($node, @_);
}

# Superuser sessions that must survive everything.
my %su_session;
foreach my $name (qw(parse bounds set kparse kbounds kset quarantine))
{
	my $bg = $node->background_psql('postgres');
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	$su_session{$name} = { bg => $bg, pid => $pid };
}

$node->safe_psql(
	'postgres', qq{
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE mallory LOGIN;
	CREATE ROLE watcher LOGIN IN ROLE pg_monitor;
	CREATE ROLE admin_su SUPERUSER NOLOGIN;
	GRANT CREATE ON DATABASE postgres TO mallory, alice;
	CREATE TABLE public.ticks (who text, at timestamptz DEFAULT clock_timestamp());
	GRANT INSERT, SELECT ON public.ticks TO PUBLIC;
});

# mallory's schema, log and an evil function: it logs who runs it, and
# when that is a superuser it terminates the session whose pid it was given
# and makes mallory a superuser.  (current_user, not is_superuser: the
# latter follows the session, not a switch of the current user.)
as('mallory', 'postgres', q{
	CREATE SCHEMA mallory;
	CREATE SCHEMA mtypes;
	GRANT USAGE ON SCHEMA mallory, mtypes TO PUBLIC;
	CREATE TABLE mallory.log (who text, what text);
	GRANT INSERT ON mallory.log TO PUBLIC;
	CREATE FUNCTION mtypes.evil(v text) RETURNS boolean LANGUAGE plpgsql AS $f$
	BEGIN
		IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
			IF v ~ '^[0-9]+$' THEN
				PERFORM pg_terminate_backend(v::int);
			END IF;
			BEGIN
				EXECUTE 'ALTER ROLE mallory SUPERUSER';
			EXCEPTION WHEN OTHERS THEN NULL;
			END;
		END IF;
		-- (nothing can be written while decoding)
		BEGIN
			INSERT INTO mallory.log VALUES (current_user, v);
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		RETURN true;
	END $f$;
	CREATE DOMAIN mtypes.evil_int AS int CHECK (mtypes.evil(VALUE::text));
	CREATE DOMAIN mtypes.evil_text AS text CHECK (mtypes.evil(VALUE));
});

as('alice', 'postgres', q{
	CREATE SCHEMA alice;
	CREATE TABLE alice.secrets (id int PRIMARY KEY, secret text);
	INSERT INTO alice.secrets VALUES (1, 'the recipe');
	CREATE TABLE alice.orders (id int PRIMARY KEY, amount numeric, n int);
	SELECT dq.expect('alice.orders', 'expect_row_condition', NULL,
		'{"row_condition": "amount * 2 >= 0"}');
	SELECT dq.expect('alice.orders', 'expect_column_values_to_not_be_null', 'n');
});

# The first watch of the database creates its slot and starts the worker.
as('alice', 'postgres', q{SELECT dq.watch('alice.orders')});
ok(DqTest::poll_until($node, 'postgres',
		'SELECT worker_pid IS NOT NULL FROM dq.cdc_status', 't'),
	'change validation runs');

#
# 1. Operators shadowing built-ins in the schema named like the bootstrap
#    superuser: the "$user" of every session a worker opens.  The
#    scheduler's job loading multiplied a numeric by an integer, and a row
#    condition was evaluated with the worker's search_path.
#
my $evil_mul = q{
	CREATE SCHEMA "SU";
	GRANT USAGE ON SCHEMA "SU" TO PUBLIC;
	CREATE FUNCTION "SU".evil_mul(a numeric, b integer) RETURNS numeric
		LANGUAGE plpgsql AS $f$
	BEGIN
		INSERT INTO mallory.log VALUES (current_user, 'numeric * integer');
		BEGIN
			EXECUTE 'ALTER ROLE mallory SUPERUSER';
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		BEGIN
			EXECUTE 'GRANT SELECT ON alice.secrets TO mallory';
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		RETURN a OPERATOR(pg_catalog.*) b::numeric;
	END $f$;
	CREATE OPERATOR "SU".* (LEFTARG = numeric, RIGHTARG = integer,
		FUNCTION = "SU".evil_mul);
};
$evil_mul =~ s/"SU"/"$su"/g;
as('mallory', 'postgres', $evil_mul);

# A job makes the scheduler load dq.jobs; a change makes the worker
# evaluate alice's condition.
as('alice', 'postgres',
	q{SELECT dq.schedule('alice tick', '1 second', $$INSERT INTO public.ticks VALUES ('alice')$$)});
as('alice', 'postgres', q{SELECT dq.alter_job('alice tick', statement_timeout => '1 minute')});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) >= 2 FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'alice tick' AND r.status = 'succeeded'}, 't'),
	'scheduler loaded and ran alice\'s job with the shadowing operator present');
as('alice', 'postgres', q{INSERT INTO alice.orders VALUES (1, 10, NULL), (2, -3, 1)});
ok(caught_up(), 'worker evaluated alice\'s condition with the shadowing operator present');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM mallory.log WHERE what = 'numeric * integer'}),
	'0', 'no worker called the operator from the schema named like the superuser');
is( $node->safe_psql('postgres',
		q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}),
	'f', 'mallory did not become a superuser through the scheduler');
is( $node->safe_psql('postgres',
		q{SELECT has_table_privilege('mallory', 'alice.secrets', 'SELECT')}),
	'f', 'mallory did not get alice\'s rights through alice\'s row condition');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(e.kind || ':' || (v.row_image->>'id'), ',' ORDER BY e.kind)
		    FROM dq.violations v JOIN dq.expectations e USING (expectation_id)
		   WHERE v.table_name = 'orders'}),
	'expect_column_values_to_not_be_null:1,expect_row_condition:2',
	'the condition and the built-in rule were both checked, with the built-in operator');
my $drop_evil_mul = 'DROP SCHEMA "SU" CASCADE';
$drop_evil_mul =~ s/"SU"/"$su"/g;
as('mallory', 'postgres', $drop_evil_mul);

#
# 2. Domain CHECKs that reach the decoder.  The plugin ran parseable_as
#    types, domain-typed bounds and domain-typed sets as the worker's
#    superuser; now those rules are checked by the worker as their owner.
#
my ($pid_parse, $pid_bounds, $pid_set) =
  map { $su_session{$_}{pid} } qw(parse bounds set);
as('mallory', 'postgres', qq{
	CREATE TABLE mallory.p (id int PRIMARY KEY, txt text, v mtypes.evil_int, w mtypes.evil_text);
	SELECT dq.expect('mallory.p', 'expect_column_values_to_be_parseable_as', 'txt',
		'{"type": "mtypes.evil_int"}');
	SELECT dq.expect('mallory.p', 'expect_column_values_to_be_between', 'v',
		'{"min_value": $pid_bounds, "max_value": 2000000000}');
	SELECT dq.expect('mallory.p', 'expect_column_values_to_be_in_set', 'w',
		'{"value_set": ["$pid_set", "fine"]}');
});
as('mallory', 'postgres', q{SELECT dq.watch('mallory.p')});
as('mallory', 'postgres', qq{
	INSERT INTO mallory.p VALUES (1, '$pid_parse', 2000000000, 'fine');
	INSERT INTO mallory.p VALUES (2, 'abc', 5, 'other');
});
ok(caught_up(), 'changes of mallory.p validated');
foreach my $name (qw(parse bounds set))
{
	my $pid = $su_session{$name}{pid};
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
		'1', "the superuser session named in the $name vector is alive");
}
is( $node->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT who, ',') FROM mallory.log}),
	'mallory', 'every domain CHECK ran as mallory, never as a superuser');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(e.kind, ',' ORDER BY e.kind)
		    FROM dq.violations v JOIN dq.expectations e USING (expectation_id)
		   WHERE v.table_name = 'p'}),
	'expect_column_values_to_be_between,expect_column_values_to_be_in_set,expect_column_values_to_be_parseable_as',
	'the three domain rules still found the violating row, once each');

# The same with CHECKs that are plain expressions, which the plugin could
# evaluate while decoding: pg_terminate_backend of a superuser's session.
# mallory adds them after her expectations (NOT VALID: her rows hold no
# process ids), so that dq.expect, run as her, does not trip on them.
my ($kpid_parse, $kpid_bounds, $kpid_set) =
  map { $su_session{$_}{pid} } qw(kparse kbounds kset);
as('mallory', 'postgres', qq{
	CREATE DOMAIN mtypes.kill_int AS int;
	CREATE DOMAIN mtypes.kill_text AS text;
	CREATE TABLE mallory.k (id int PRIMARY KEY, txt text, v mtypes.kill_int, w mtypes.kill_text);
	SELECT dq.expect('mallory.k', 'expect_column_values_to_be_parseable_as', 'txt',
		'{"type": "mtypes.kill_int"}');
	SELECT dq.expect('mallory.k', 'expect_column_values_to_be_between', 'v',
		'{"min_value": $kpid_bounds, "max_value": 2000000000}');
	SELECT dq.expect('mallory.k', 'expect_column_values_to_be_in_set', 'w',
		'{"value_set": ["$kpid_set", "fine"]}');
	ALTER DOMAIN mtypes.kill_int ADD CONSTRAINT kill
		CHECK (pg_terminate_backend(VALUE) IS NOT NULL) NOT VALID;
	ALTER DOMAIN mtypes.kill_text ADD CONSTRAINT kill
		CHECK (CASE WHEN VALUE ~ '^[0-9]+\$' THEN pg_terminate_backend(VALUE::int) IS NOT NULL
			   ELSE true END) NOT VALID;
});
my $kill_rules = as('mallory', 'postgres',
	q{SELECT string_agg(expectation_id::text, ',' ORDER BY expectation_id)
	    FROM dq.expectations WHERE table_name = 'k'});
as('mallory', 'postgres', q{SELECT dq.watch('mallory.k')});
as('mallory', 'postgres', qq{INSERT INTO mallory.k VALUES (1, '$kpid_parse', 2000000000, 'fine')});
ok(caught_up(), 'changes of mallory.k validated');
foreach my $name (qw(kparse kbounds kset))
{
	my $pid = $su_session{$name}{pid};
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
		'1', "the superuser session named in the plain CHECK of the $name vector is alive");
}
ok(DqTest::poll_until($node, 'postgres',
		qq{SELECT broken_expectations \@> '{$kill_rules}' FROM dq.cdc_status}, 't'),
	'those rules, whose CHECK fails as mallory, are marked broken');

#
# 3. Quarantine: the copy of a violating row is built with the table's
#    column types; a domain's CHECK ran as the extension owner.  And types
#    outside pg_catalog (an enum in mallory's own schema) broke the
#    quarantine table's creation.
#
my $pid_q = $su_session{quarantine}{pid};
as('mallory', 'postgres', q{
	CREATE TYPE mallory.mood AS ENUM ('calm', 'angry');
	CREATE TABLE mallory.q (id int PRIMARY KEY, dv mtypes.evil_text, mood mallory.mood,
		pair mtypes.evil_int[]);
	SELECT dq.expect('mallory.q', 'expect_column_values_to_be_between', 'id',
		'{"max_value": 10}');
});
is(as_error('mallory', 'postgres', q{SELECT dq.watch('mallory.q', quarantine => true)}),
	undef, 'a quarantine table is made for a table with an enum of the owner\'s schema');
as('mallory', 'postgres',
	qq{INSERT INTO mallory.q VALUES (11, '$pid_q', 'angry', ARRAY[$pid_q])});
ok(caught_up(), 'change of mallory.q validated');
is( $node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_stat_activity WHERE pid = $pid_q}),
	'1', 'the superuser session named in the quarantined row is alive');
my $qtab = $node->safe_psql('postgres',
	q{SELECT quarantine::regclass FROM dq.watched_tables WHERE relid = 'mallory.q'::regclass});
is($qtab ? query('postgres', "SELECT id, dv, mood, pair FROM $qtab") : '',
	"11|$pid_q|angry|{$pid_q}", 'the violating row is in quarantine, typed');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT who, ',') FROM mallory.log}),
	'mallory', 'the quarantine copy ran the domain CHECK as the table owner');

#
# 4. Rules that raise errors.  A domain's ordinary CHECK used to stop
#    change validation of the database for good; a rule that raises an
#    error other than a data error is now recorded as broken and skipped.
#
my $has_icu = $node->safe_psql('postgres',
	q{SELECT count(*) > 0 FROM pg_collation WHERE collprovider = 'i'}) eq 't';
as('alice', 'postgres', q{
	CREATE DOMAIN alice.posint AS int CHECK (VALUE > 0);
	CREATE FUNCTION alice.no_boom(v text) RETURNS boolean LANGUAGE plpgsql AS $f$
	BEGIN
		IF v = 'boom' THEN
			RAISE EXCEPTION 'boom is not allowed';
		END IF;
		RETURN true;
	END $f$;
	CREATE DOMAIN alice.noboom AS text CHECK (alice.no_boom(VALUE));
	CREATE TABLE alice.w (id int PRIMARY KEY, code text, tag text, name text, n int);
	SELECT dq.expect('alice.w', 'expect_column_values_to_not_be_null', 'n');
});
my $posint_rule = as('alice', 'postgres', q{
	SELECT dq.expect('alice.w', 'expect_column_values_to_be_parseable_as', 'code',
		'{"type": "alice.posint"}')});
my $boom_rule = as('alice', 'postgres', q{
	SELECT dq.expect('alice.w', 'expect_column_values_to_be_parseable_as', 'tag',
		'{"type": "alice.noboom"}')});
my $like_rule;
if ($has_icu)
{
	as('alice', 'postgres', q{
		CREATE COLLATION alice.ci (provider = icu, locale = 'und-u-ks-level2',
			deterministic = false);
		ALTER TABLE alice.w ALTER COLUMN name TYPE text COLLATE alice.ci;
	});
	$like_rule = as('alice', 'postgres', q{
		SELECT dq.expect('alice.w', 'expect_column_values_to_match_like_pattern', 'name',
			'{"like_pattern": "a%"}')});
}
as('alice', 'postgres', q{SELECT dq.watch('alice.w')});
as('alice', 'postgres', q{INSERT INTO alice.w VALUES (1, '-5', 'ok', 'ann', NULL)});
as('alice', 'postgres', q{INSERT INTO alice.w VALUES (2, '7', 'boom', 'bea', NULL)});
as('alice', 'postgres', q{INSERT INTO alice.w VALUES (3, '8', 'ok', 'cid', NULL)});
ok(caught_up(), 'change validation went on past the rules that raise errors');
is( $node->safe_psql('postgres', q{
		SELECT string_agg(v.row_image->>'id', ',' ORDER BY v.row_image->>'id')
		  FROM dq.violations v JOIN dq.expectations e USING (expectation_id)
		 WHERE v.table_name = 'w' AND e.kind = 'expect_column_values_to_not_be_null'}),
	'1,2,3', 'the other rule\'s violations of those changes are recorded, once each');
my $broken = $has_icu ? "$boom_rule,$like_rule" : $boom_rule;
ok(DqTest::poll_until($node, 'postgres',
		qq{SELECT broken_expectations \@> '{$broken}' AND NOT broken_expectations \@> '{$posint_rule}'
		     FROM dq.cdc_status}, 't'),
	'the rules that raised errors are marked broken in dq.cdc_status, the one with a data error is not');
is(query('postgres', qq{SELECT sqlstate FROM dq.cdc_rule_errors WHERE expectation_id = $boom_rule}),
	'P0001', 'dq.cdc_rule_errors says why');
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT last_error IS NULL FROM dq.cdc_status}, 't'),
	'last_error is cleared once the worker has recovered');
as('alice', 'postgres', qq{SELECT dq.alter_expectation($boom_rule, enabled => true)});
is(query('postgres', qq{SELECT count(*) FROM dq.cdc_rule_errors WHERE expectation_id = $boom_rule}),
	'0', 'changing the expectation clears its broken mark');
as('alice', 'postgres', q{INSERT INTO alice.w VALUES (4, '9', 'ok', 'dan', NULL)});
ok(caught_up(), 'and it is checked again');

#
# 5. The catalog's monitoring view is readable by pg_monitor.
#
is(as_error('watcher', 'postgres', 'SELECT count(*) FROM dq.cdc_status'),
	undef, 'pg_monitor reads dq.cdc_status');

#
# 6. Job names belong to their owner: bob's job named like alice's
#    validation job does not block it.
#
as('bob', 'postgres',
	q{SELECT dq.schedule('validate alice.secrets', '@yearly', 'SELECT 1')});
is(as_error('alice', 'postgres',
		q{SELECT dq.schedule_validation('alice.secrets', '@yearly')}),
	undef, 'another role\'s job of the same name does not block dq.schedule_validation');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(owner::text, ',' ORDER BY owner::text) FROM dq.jobs
		   WHERE job_name = 'validate alice.secrets'}),
	'alice,bob', 'each owner has a job of that name');

#
# 7. dq.unschedule stops a run in progress.
#
as('alice', 'postgres', q{SELECT dq.schedule('sleepy', '1 second', 'SELECT pg_sleep(600)')});
ok(DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
		   WHERE j.job_name = 'sleepy' AND r.status = 'running'}, '1'),
	'the long run is in progress');
my $sleepy_pid = $node->safe_psql('postgres',
	q{SELECT r.worker_pid FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	   WHERE j.job_name = 'sleepy' AND r.status = 'running'});
as('alice', 'postgres', q{SELECT dq.unschedule('sleepy')});
ok(DqTest::poll_until($node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $sleepy_pid", '0', 30),
	'dq.unschedule stopped the run');

#
# 8. dq_lineage.allow_superuser_jobs = off is checked at every run: an
#    owner who became a superuser after scheduling, or who may SET ROLE to
#    one, does not get a run.
#
sub skipped_runs
{
	my ($job, $cmp) = @_;
	$cmp //= '';
	return qq{SELECT (SELECT count(*) FROM dq.job_runs r JOIN dq.jobs j USING (job_id)
	           WHERE j.job_name = '$job' AND r.status = 'skipped'
	             AND r.message LIKE '%allow_superuser_jobs is off%') $cmp};
}
$node->safe_psql('postgres', 'ALTER ROLE alice SUPERUSER');
ok(DqTest::poll_until($node, 'postgres', skipped_runs('alice tick', '>= 1'), 't'),
	'a job whose owner became a superuser is skipped');
my $ticks = $node->safe_psql('postgres', q{SELECT count(*) FROM public.ticks WHERE who = 'alice'});
my $skipped = $node->safe_psql('postgres', skipped_runs('alice tick'));
ok(DqTest::poll_until($node, 'postgres', skipped_runs('alice tick', ">= $skipped + 2"), 't'),
	'and stays skipped');
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.ticks WHERE who = 'alice'}),
	$ticks, 'its command did not run meanwhile');
$node->safe_psql('postgres', 'ALTER ROLE alice NOSUPERUSER');
ok(DqTest::poll_until($node, 'postgres',
		qq{SELECT count(*) > $ticks FROM public.ticks WHERE who = 'alice'}, 't'),
	'runs resume once the owner is no superuser');

$node->safe_psql('postgres', 'GRANT admin_su TO bob');
as('bob', 'postgres',
	q{SELECT dq.schedule('bob tick', '1 second', $$INSERT INTO public.ticks VALUES ('bob')$$)});
ok(DqTest::poll_until($node, 'postgres', skipped_runs('bob tick', '>= 2'), 't'),
	'a job whose owner may SET ROLE to a superuser is skipped');
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.ticks WHERE who = 'bob'}),
	'0', 'and its command never ran');
$node->safe_psql('postgres', 'REVOKE admin_su FROM bob');
as('bob', 'postgres', q{SELECT dq.unschedule('bob tick')});

#
# 9. A database owner's ALTER DATABASE ... SET: search_path with a
#    shadowing operator, and role, which every session connecting there
#    picks up, the extension's own included.
#
$node->safe_psql('postgres', 'CREATE DATABASE mdb OWNER mallory');
as('mallory', 'mdb', q{
	CREATE SCHEMA evil;
	GRANT USAGE ON SCHEMA evil TO PUBLIC;
	CREATE TABLE evil.log (who text);
	GRANT INSERT ON evil.log TO PUBLIC;
	CREATE FUNCTION evil.mul(a numeric, b integer) RETURNS numeric LANGUAGE plpgsql AS $f$
	BEGIN
		INSERT INTO evil.log VALUES (current_user);
		BEGIN
			EXECUTE 'ALTER ROLE mallory SUPERUSER';
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		RETURN a OPERATOR(pg_catalog.*) b::numeric;
	END $f$;
	CREATE OPERATOR evil.* (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = evil.mul);
	ALTER DATABASE mdb SET search_path = evil, public;
});
$node->safe_psql('mdb', 'CREATE EXTENSION dq_lineage');
as('alice', 'mdb', q{
	SELECT dq.schedule('mdb tick', '1 second', 'SELECT 1');
	SELECT dq.alter_job('mdb tick', statement_timeout => '30 seconds');
});
ok(DqTest::poll_until($node, 'mdb',
		q{SELECT count(*) >= 1 FROM dq.job_runs WHERE status = 'succeeded'}, 't'),
	'the scheduler of a database with a hostile search_path runs jobs');
is($node->safe_psql('mdb', 'SELECT count(*) FROM evil.log'),
	'0', 'and never calls the database owner\'s operator');
as('alice', 'mdb', q{SELECT dq.unschedule('mdb tick')});

# The same owner sets "role" for her database: every session there, the
# superuser's included, acts as her unless it resets it.  The extension's
# sessions reset it.
$node->safe_psql('postgres', 'CREATE DATABASE rdb OWNER mallory');
as('mallory', 'rdb', q{ALTER DATABASE rdb SET role = mallory});
$node->safe_psql('rdb', "SET ROLE NONE;\nCREATE EXTENSION dq_lineage;");
as('alice', 'rdb', q{SELECT dq.schedule('rdb tick', '1 second', 'SELECT 1')});
ok(DqTest::poll_until($node, 'rdb',
		q{SET ROLE NONE; SELECT count(*) >= 2 FROM dq.job_runs WHERE status = 'succeeded'}, 't'),
	'the scheduler of a database whose owner set "role" acts as itself and runs jobs');
as('alice', 'rdb', q{SELECT dq.unschedule('rdb tick')});

#
# 10. Replication slots: only a role that may drop the database or the
#     extension affects its slot, and only when the drop commits.  Each
#     attempt is made while the worker is in the middle of a pass (a row
#     condition sleeps), with a violation decoded but not yet recorded: a
#     slot dropped then would lose it.
#
$node->safe_psql('postgres', 'CREATE DATABASE victim');
$node->safe_psql('victim', q{
	CREATE EXTENSION dq_lineage;
	CREATE FUNCTION public.slow() RETURNS boolean LANGUAGE sql
		AS 'SELECT pg_catalog.pg_sleep(2) IS NOT NULL';
	CREATE TABLE t (id int PRIMARY KEY, n int);
	SELECT dq.expect('t', 'expect_column_values_to_not_be_null', 'n');
	SELECT dq.expect('t', 'expect_row_condition', NULL, '{"row_condition": "public.slow()"}');
});
$node->safe_psql('victim', q{SELECT dq.watch('t')});
ok(DqTest::poll_until($node, 'victim',
		'SELECT worker_pid IS NOT NULL FROM dq.cdc_status', 't'),
	'change validation runs in database victim');
my $victim_slot = $node->safe_psql('victim', 'SELECT slot_name FROM dq.cdc_status');
my $victim_sched = $node->safe_psql('victim', 'SELECT scheduler_pid FROM dq.scheduler_status()');
my $slot_there = "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$victim_slot'";
# The slot and the worker holding it: a slot dropped and made again, or a
# worker stopped, would show as another process.
my $slot_holder = "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$victim_slot'";
my $holder;

# A violating row, and the worker busy with it.
sub mid_pass
{
	my ($id) = @_;
	$node->safe_psql('victim', "INSERT INTO t VALUES ($id, NULL)");
	return DqTest::poll_until($node, 'postgres',
		q{SELECT count(*) FROM pg_stat_activity
		   WHERE backend_type = 'dq_lineage cdc worker' AND datname = 'victim'
		     AND wait_event = 'PgSleep'}, '1');
}

ok(mid_pass(1), 'worker busy with change 1');
$holder = $node->safe_psql('postgres', $slot_holder);
like(as_error('mallory', 'postgres', 'DROP DATABASE victim'),
	qr/must be owner/, 'mallory may not drop database victim');
is($node->safe_psql('postgres', $slot_holder), $holder,
	'and her attempt left its slot and worker alone');
ok(mid_pass(2), 'worker busy with change 2');
like(as_error('mallory', 'postgres', 'ALTER DATABASE victim RENAME TO mine'),
	qr/must be owner|permission denied/, 'nor rename it');
is($node->safe_psql('victim', 'SELECT scheduler_pid FROM dq.scheduler_status()'),
	$victim_sched, 'and her attempts did not stop its scheduler');
ok(mid_pass(3), 'worker busy with change 3');
$holder = $node->safe_psql('postgres', $slot_holder);
like(DqTest::psql_error($node, 'postgres', "BEGIN;\nDROP DATABASE victim;\n") // '',
	qr/cannot run inside a transaction block/, 'DROP DATABASE in a transaction block fails');
is($node->safe_psql('postgres', $slot_holder), $holder, 'and leaves the slot and worker alone');
ok(mid_pass(4), 'worker busy with change 4');
$holder = $node->safe_psql('postgres', $slot_holder);
like(as_error('mallory', 'victim', 'DROP EXTENSION dq_lineage'),
	qr/must be owner/, 'mallory may not drop the extension');
is($node->safe_psql('postgres', $slot_holder), $holder,
	'and her attempt left the slot and worker alone');
ok(mid_pass(5), 'worker busy with change 5');
$holder = $node->safe_psql('postgres', $slot_holder);
$node->safe_psql('victim', "BEGIN;\nDROP EXTENSION dq_lineage CASCADE;\nROLLBACK;");
is($node->safe_psql('postgres', $slot_holder), $holder,
	'a rolled back DROP EXTENSION leaves the slot and worker alone');
$node->safe_psql('victim', 'INSERT INTO t VALUES (6, NULL)');
ok(caught_up('victim'), 'change validation of victim caught up');
is( $node->safe_psql('victim',
		q{SELECT string_agg(row_image->>'id', ',' ORDER BY (row_image->>'id')::int)
		    FROM dq.violations}),
	'1,2,3,4,5,6', 'every change was validated, once');
$node->safe_psql('postgres', 'DROP DATABASE victim');
is($node->safe_psql('postgres', $slot_there), '0', 'the owner\'s DROP DATABASE drops the slot');

#
# 11. A schema dq that another role created beforehand is refused; and
#     DROP EXTENSION leaves no empty schema dq behind.
#
$node->safe_psql('postgres', 'CREATE DATABASE trap');
$node->safe_psql('trap', 'GRANT CREATE ON DATABASE trap TO mallory');
as('mallory', 'trap', 'CREATE SCHEMA dq');
like(DqTest::psql_error($node, 'trap', 'CREATE EXTENSION dq_lineage') // '',
	qr/schema "dq" already exists and belongs to role "mallory"/,
	'CREATE EXTENSION refuses a schema dq that mallory owns');
as_error('mallory', 'trap', 'DROP SCHEMA dq');
$node->psql('trap', 'CREATE EXTENSION IF NOT EXISTS dq_lineage');
$node->psql('trap', 'DROP EXTENSION dq_lineage');
is($node->safe_psql('trap', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'dq'}),
	'0', 'DROP EXTENSION leaves no empty schema dq');

#
# Afterwards.
#
is( $node->safe_psql('postgres',
		q{SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles
		   WHERE rolsuper AND rolname <> current_user}),
	'admin_su', 'no role became a superuser');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
		 WHERE r.rolname IN ('alice', 'bob', 'mallory')}),
	'0', 'no role was granted another role');
is( $node->safe_psql('postgres', q{
		SELECT has_table_privilege('mallory', 'alice.secrets', 'SELECT')
		    OR has_table_privilege('bob', 'alice.secrets', 'SELECT')}),
	'f', 'nobody got at alice\'s table');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM mallory.log WHERE who <> 'mallory'}),
	'0', 'mallory\'s code never ran as another role');
foreach my $name (sort keys %su_session)
{
	is($su_session{$name}{bg}->query_safe('SELECT 1'), '1',
		"the superuser session \"$name\" is still connected");
	$su_session{$name}{bg}->quit;
}
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM (SELECT 1 FROM dq.violations
		   GROUP BY lsn, change_seq, expectation_id HAVING count(*) > 1) d}),
	'0', 'no violation was recorded twice');

$node->stop;
done_testing();
