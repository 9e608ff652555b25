# Shared setup of the dq_lineage TAP tests (test/t/*.pl).

=pod

=head1 NAME

DqTest - shared setup of the dq_lineage TAP tests

=head1 SYNOPSIS

  use DqTest;

  # Preloaded, logical WAL, settings of test/dq_test.conf, started, with
  # the extension created in database postgres.
  my $node = DqTest::new_node('main', create_extension => 1);

  # A node without shared_preload_libraries, with extra settings.
  my $plain = DqTest::new_node('plain', preload => 0,
	  extra => ["dq_lineage.profile_top_k = 5"]);

  ok(DqTest::poll_until($node, 'postgres', 'SELECT 1', '1', 10));

  my $err = DqTest::psql_error($node, 'postgres', 'SET nosuch.x = 1');

=head1 DESCRIPTION

The settings of every test instance come from one file, test/dq_test.conf
(the pg_regress and isolation instances and the demo cluster use it too),
plus C<output_plugin_libraries> on servers that know that setting (it is
a Debian addition of later 15.x releases; a server without it would refuse
to start).

=cut

package DqTest;

use strict;
use warnings;

use Carp;
use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# test/perl/DqTest.pm -> test/dq_test.conf
my $conf_file = File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, 'dq_test.conf');

=pod

=over

=item DqTest::conf_file()

Path of test/dq_test.conf.

=cut

sub conf_file
{
	return $conf_file;
}

=pod

=item DqTest::has_output_plugin_libraries($node)

True when the node's server has the output_plugin_libraries setting
(looked up in its postgresql.conf.sample, as the Makefile does).

=cut

sub has_output_plugin_libraries
{
	my ($node) = @_;
	my $sample = $node->config_data('--sharedir') . '/postgresql.conf.sample';
	return slurp_file($sample) =~ /\boutput_plugin_libraries\b/ ? 1 : 0;
}

=pod

=item DqTest::new_node($name, %opts)

Create a PostgreSQL::Test::Cluster node initialised with
C<allows_streaming =E<gt> 'logical'>, append the settings of
test/dq_test.conf (and output_plugin_libraries when supported), and start
it.  Options:

=over

=item preload => 0

Leave out the shared_preload_libraries line (default: keep it).

=item extra => $string or [ $line, ... ]

More postgresql.conf lines, appended last so that they win.

=item create_extension => 1

Run C<CREATE EXTENSION dq_lineage> in database postgres after starting.

=item start => 0

Do not start the node (and so do not create the extension).

=item init => { ... }

More parameters for C<$node-E<gt>init>.

=back

Returns the node.

=cut

sub new_node
{
	my ($name, %opts) = @_;
	my $preload = exists $opts{preload} ? $opts{preload} : 1;
	my $start = exists $opts{start} ? $opts{start} : 1;

	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => 'logical', %{ $opts{init} || {} });

	my $conf = slurp_file($conf_file);
	if (!$preload)
	{
		$conf =~ s/^(\s*shared_preload_libraries\s*=.*)$/# left out (preload => 0): $1/mg;
	}
	$conf .= "\n" unless $conf =~ /\n\z/;
	$conf .= "output_plugin_libraries = 'pgoutput, test_decoding, dq_lineage'\n"
	  if has_output_plugin_libraries($node);

	my $extra = $opts{extra};
	$extra = join("\n", @$extra) if ref $extra eq 'ARRAY';
	$conf .= "\n# extra settings of this test\n$extra\n"
	  if defined $extra && $extra ne '';

	$node->append_conf('postgresql.conf',
		"\n# test/dq_test.conf, added by DqTest::new_node\n$conf");

	if ($start)
	{
		$node->start;
		$node->safe_psql('postgres', 'CREATE EXTENSION dq_lineage')
		  if $opts{create_extension};
	}
	elsif ($opts{create_extension})
	{
		croak 'create_extension needs a started node';
	}
	return $node;
}

=pod

=item DqTest::poll_until($node, $db, $sql, $expected [, $timeout])

Run $sql every 0.1 s until its output (psql -XAt, one line per row, columns
separated by |) equals $expected and it printed no error, or until $timeout
seconds (default: the test suite's timeout_default) have passed.  Returns
1 on success; on timeout it prints the last output with C<diag> and
returns 0, so it fits into C<ok(...)>.

=cut

sub poll_until
{
	my ($node, $db, $sql, $expected, $timeout) = @_;
	$timeout = $PostgreSQL::Test::Utils::timeout_default
	  unless defined $timeout;
	my $deadline = time() + $timeout;
	my ($ret, $stdout, $stderr);

	while (1)
	{
		# psql gets the query on its standard input: when the server is
		# restarting after a crash, psql can exit before reading it and
		# IPC::Run dies of the broken pipe; that is one more failed try
		my $ok = eval {
			($ret, $stdout, $stderr) = $node->psql($db, $sql);
			1;
		};
		($ret, $stdout, $stderr) = (1, '', $@) unless $ok;
		return 1
		  if $ret == 0 && $stdout eq $expected && $stderr eq '';
		last if time() >= $deadline;
		usleep(100_000);
	}

	diag "poll_until timed out after ${timeout}s on node "
	  . $node->name
	  . "\nquery: $sql\nexpected: $expected\nlast output: $stdout\nstderr: $stderr";
	return 0;
}

=pod

=item DqTest::psql_error($node, $db, $sql)

Run $sql, which should fail.  Returns psql's error output when it failed,
undef when it succeeded.

=cut

sub psql_error
{
	my ($node, $db, $sql) = @_;
	my ($ret, $stdout, $stderr) = $node->psql($db, $sql);
	return $ret == 0 ? undef : $stderr;
}

=pod

=back

=cut

=pod

=item DqTest::cdc_caught_up($node [, $db])

Wait (as C<poll_until> does) until the change validation worker of $db
(default postgres) has confirmed the WAL written so far: its slot's
confirmed_flush_lsn reaches the current WAL position.  Returns 1 or 0.

=cut

sub cdc_caught_up
{
	my ($node, $db) = @_;
	$db //= 'postgres';
	my $lsn = $node->safe_psql($db, 'SELECT pg_current_wal_lsn()');
	return poll_until($node, $db,
		"SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots "
		  . "WHERE slot_name = 'dq_lineage_' || (SELECT oid FROM pg_database WHERE datname = current_database())",
		't');
}

=pod

=item DqTest::citus_cluster($name [, workers => 2, extra => [...]])

A Citus cluster on this machine: a coordinator and C<workers> workers
(default 2), each a node of C<new_node> with
C<shared_preload_libraries = 'citus,dq_lineage'> (Citus must come first),
max_worker_processes raised for both, C<citus.enable_change_data_capture>
on (change validation of distributed tables needs it) and
C<citus.local_hostname> set to the node's socket directory (shard moves
connect to the node itself); C<CREATE EXTENSION citus> in
database postgres of each (the nodes talk to each other over their Unix
sockets: the host of a node is its socket directory), the coordinator
registered with
C<citus_set_coordinator_host> and the workers added with C<citus_add_node>,
then C<CREATE EXTENSION dq_lineage> on the coordinator (Citus propagates
it to the workers).  Returns ($coordinator, @workers).

=cut

sub citus_cluster
{
	my ($name, %opts) = @_;
	my $nworkers = $opts{workers} // 2;
	my $extra = $opts{extra} || [];
	my @settings = (
		"shared_preload_libraries = 'citus,dq_lineage'",
		'max_worker_processes = 32',
		'citus.max_background_task_executors_per_node = 1',
		'citus.background_task_queue_interval = 200ms',
		# Citus marks the rows it copies itself (shard moves), as change
		# validation of distributed tables requires.
		'citus.enable_change_data_capture = on',
		@$extra);
	my @nodes;
	for my $i (0 .. $nworkers)
	{
		my $role = $i == 0 ? 'coord' : "worker$i";
		my $node = new_node("${name}_$role", extra => \@settings, start => 0);
		# Citus connects to the node itself (shard moves) by this name.
		$node->append_conf('postgresql.conf',
			"citus.local_hostname = '" . $node->host . "'");
		$node->start;
		$node->safe_psql('postgres', 'CREATE EXTENSION citus');
		push @nodes, $node;
	}
	my $coord = $nodes[0];
	$coord->safe_psql('postgres',
		"SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
	for my $w (@nodes[ 1 .. $#nodes ])
	{
		$coord->safe_psql('postgres',
			"SELECT citus_add_node('" . $w->host . "', " . $w->port . ')');
	}
	$coord->safe_psql('postgres', 'CREATE EXTENSION dq_lineage');
	return @nodes;
}

1;
