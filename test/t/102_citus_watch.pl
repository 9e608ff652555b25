# Scale-out: change validation of a Citus distributed table.  dq.watch on
# the coordinator sets it up on every worker, which decodes the changes of
# its own shards; every violating row is recorded exactly once, with the
# distributed table's name, and read from the coordinator in
# dq.cluster_violations: after new expectations, after
# citus_move_shard_placement (the copied rows are not validated again)
# and after kill -9 of a worker's change validation process.  Watches the
# cluster cannot honour are refused with an error.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my ($coord, @workers) = DqTest::citus_cluster('cwatch',
	extra => ['dq_lineage.cdc_naptime = 100', 'restart_after_crash = on']);
my @all = ($coord, @workers);

$coord->safe_psql(
	'postgres', q{
	CREATE TABLE public.ev (id bigint PRIMARY KEY, amount numeric, kind text);
	SELECT create_distributed_table('public.ev', 'id', shard_count => 4);
	-- rows written before the watch are not changes to validate
	INSERT INTO public.ev SELECT g, -1, 'old' FROM generate_series(1, 50) g;
	CREATE TABLE public.ref (id int PRIMARY KEY, name text);
	SELECT create_reference_table('public.ref');
	SELECT dq.expect('public.ev', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}');
});

# --- what is refused ------------------------------------------------------
like(DqTest::psql_error($coord, 'postgres', q{SELECT dq.watch('public.ref')}),
	qr/cannot watch reference table "ref": change validation of Citus tables is not supported/,
	'a reference table is refused');
like(DqTest::psql_error($coord, 'postgres', q{SELECT dq.watch('public.ev', quarantine => true)}),
	qr/cannot quarantine the violating rows of distributed table "ev"/,
	'quarantine of a distributed table is refused');
like(DqTest::psql_error($coord, 'postgres',
		q{SET citus.enable_change_data_capture = off; SELECT dq.watch('public.ev')}),
	qr/change validation of distributed table "ev" requires citus.enable_change_data_capture = on/,
	'a watch without citus.enable_change_data_capture is refused');
like(DqTest::psql_error($workers[0], 'postgres', q{SELECT dq.watch('public.ev')}),
	qr/cannot watch distributed table "ev" from a worker node/,
	'a worker refuses to watch a distributed table');
$coord->safe_psql('postgres', 'CREATE ROLE plain LOGIN');
like(DqTest::psql_error($workers[0], 'postgres',
		q{SET ROLE plain; SELECT dq_internal.citus_watch_shards('public.ev', '[]', 'plain')}),
	qr/permission denied/,
	'only the coordinator (as the extension owner) sets up the shards');
is(join(',', map { $_->safe_psql('postgres', 'SELECT count(*) FROM dq.watched_tables') } @all),
	'0,0,0', 'refused watches leave nothing behind on any node');

# --- watch ------------------------------------------------------------------
$coord->safe_psql('postgres', q{SELECT dq.watch('public.ev')});
my $expid = $coord->safe_psql('postgres',
	q{SELECT expectation_id FROM dq.expectations WHERE relid = 'public.ev'::regclass});
for my $w (@workers)
{
	is( $w->safe_psql(
			'postgres', q{
			SELECT (SELECT count(*) FROM dq.watched_tables WHERE relid = 'public.ev'::regclass)
			   || ':' || (SELECT string_agg(expectation_id::text, ',') FROM dq.expectations
						   WHERE relid = 'public.ev'::regclass)
			   || ':' || (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'dq_lineage_%')}),
		"1:$expid:1", 'dq.watch reached ' . $w->name . ': the watch, the expectation, the slot');
}

# Wait until every node's change validation has read its WAL so far.
sub all_caught_up
{
	my $ok = 1;
	for my $n (@all)
	{
		$ok &&= DqTest::cdc_caught_up($n);
	}
	return $ok;
}

# 10 violating rows among 100, written through the coordinator
$coord->safe_psql('postgres',
	q{INSERT INTO public.ev SELECT g, CASE WHEN g % 10 = 0 THEN -g ELSE g END, 'new'
		FROM generate_series(101, 200) g});
ok(all_caught_up(), 'every node validated its shards');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*), count(DISTINCT node), string_agg(DISTINCT table_name, ','),
			   bool_and(relid = 'public.ev'::regclass), string_agg(DISTINCT expectation_id::text, ','),
			   string_agg(unexpected::text, ',' ORDER BY unexpected::text::numeric)
		  FROM dq.cluster_violations}),
	"10|2|ev|t|$expid|-200,-190,-180,-170,-160,-150,-140,-130,-120,-110",
	'exactly the 10 violations, recorded on both workers, named after the distributed table');
is( $coord->safe_psql(
		'postgres', q{
		SELECT bool_and(row_image->>'kind' = 'new' AND (row_image->>'amount')::numeric < 0)
		  FROM dq.cluster_violations}),
	't', 'each violation carries the row image');

# --- expectations defined later, and rolled back ----------------------------
$coord->safe_psql('postgres',
	q{SELECT dq.expect('public.ev', 'expect_column_values_to_not_be_null', 'kind')});
$coord->safe_psql('postgres', q{
	BEGIN;
	SELECT dq.expect('public.ev', 'expect_column_values_to_be_between', 'id', '{"max_value": 10}');
	ROLLBACK;});
is(join(',', map { $_->safe_psql('postgres',
				q{SELECT count(*) FROM dq.expectations WHERE relid = 'public.ev'::regclass}) } @workers),
	'2,2', 'a new expectation reaches the workers, a rolled back one does not');
$coord->safe_psql('postgres',
	q{INSERT INTO public.ev VALUES (201, 1, NULL), (202, -202, NULL)});
ok(all_caught_up(), 'caught up');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*), count(*) FILTER (WHERE e.kind = 'expect_column_values_to_not_be_null')
		  FROM dq.cluster_violations v JOIN dq.expectations e USING (expectation_id)}),
	'13|2', 'the new expectation is checked on the shards');

# --- moving a shard -----------------------------------------------------------
# The shard holding id 7 moves from its worker to the other; its rows are
# copied by Citus, which marks them, and are not validated again.
my $shard = $coord->safe_psql('postgres',
	q{SELECT get_shard_id_for_distribution_column('public.ev', 7)});
my ($from, $to) = map { $_->port } @workers;
my $on = $coord->safe_psql('postgres',
	"SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $shard");
($from, $to) = ($to, $from) if $on != $from;
$coord->safe_psql('postgres',
	"SELECT citus_move_shard_placement($shard, '" . $coord->host . "', $from, '"
	  . $coord->host . "', $to)");
is( $coord->safe_psql(
		'postgres',
		"SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $shard"),
	$to, 'the shard moved');
# 5 violating rows into the moved shard, 5 into the others
$coord->safe_psql(
	'postgres', qq{
	INSERT INTO public.ev
		SELECT g, -g, 'moved' FROM generate_series(1000, 3000) g
		 WHERE get_shard_id_for_distribution_column('public.ev', g) = $shard LIMIT 5;
	INSERT INTO public.ev
		SELECT g, -g, 'other' FROM generate_series(1000, 3000) g
		 WHERE get_shard_id_for_distribution_column('public.ev', g) <> $shard LIMIT 5;});
ok(all_caught_up(), 'caught up after the move');
is( $coord->safe_psql(
		'postgres', qq{
		SELECT count(*), count(DISTINCT (lsn, change_seq, expectation_id, node)),
			   count(*) FILTER (WHERE row_image->>'kind' = 'moved'),
			   bool_and(node LIKE '%:$to') FILTER (WHERE row_image->>'kind' = 'moved')
		  FROM dq.cluster_violations}),
	'23|23|5|t',
	'after the move: no row of the copied shard recorded again, the new rows recorded once, where the shard lives');

# --- kill -9 of a worker's change validation process ------------------------
my $victim = $workers[0];
my $load = q{
	INSERT INTO public.ev SELECT g, CASE WHEN g % 4 = 0 THEN -g ELSE g END, 'load'
	  FROM generate_series(%d, %d) g};
$coord->safe_psql('postgres', sprintf($load, 10001, 10400));
my $pid = $victim->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dq_lineage cdc worker'});
ok($pid ne '', 'the worker has a change validation process');
kill 'KILL', $pid;
# the postmaster restarts the node; then more rows
ok( DqTest::poll_until(
		$victim, 'postgres', 'SELECT 1', '1', $PostgreSQL::Test::Utils::timeout_default),
	'the worker node is back after kill -9');
ok( DqTest::poll_until($coord, 'postgres', sprintf($load, 10401, 10800) . '; SELECT 1', '1'),
	'writes go through again');
$victim->safe_psql('postgres', 'SELECT dq.cdc_start()');
ok(all_caught_up(), 'caught up after the kill');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*), count(DISTINCT (lsn, change_seq, expectation_id, node)),
			   count(DISTINCT row_image->>'id')
		  FROM dq.cluster_violations WHERE row_image->>'kind' = 'load'}),
	'200|200|200', 'every violating row of the load recorded exactly once across the kill');

# pushing every watch again changes nothing (what follows citus_add_node)
is($coord->safe_psql('postgres', 'SELECT dq.citus_sync_watches()'), '1',
	'dq.citus_sync_watches pushes the one watch again');
is(join(',', map { $_->safe_psql('postgres',
				q{SELECT count(*) FROM dq.expectations WHERE relid = 'public.ev'::regclass}) } @workers),
	'2,2', 'the workers still have the expectations once');

# --- unwatch ----------------------------------------------------------------
$coord->safe_psql('postgres', q{SELECT dq.unwatch('public.ev')});
is( join(',',
		map {
			$_->safe_psql('postgres',
				q{SELECT (SELECT count(*) FROM dq.watched_tables)
					  + (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'dq_lineage_%')})
		} @all),
	'0,0,0', 'dq.unwatch ends the watch and drops the slots on every node');
is( join(',', map { $_->safe_psql('postgres',
				q{SELECT count(*) FROM dq.expectations WHERE relid = 'public.ev'::regclass}) } @workers),
	'0,0', 'the workers forget the mirrored expectations');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM dq.expectations WHERE relid = 'public.ev'::regclass}),
	'2', 'the coordinator keeps its expectations');

$_->stop for @all;
done_testing();
