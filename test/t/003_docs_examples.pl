# Every sql block of the documentation runs as written: the pages are run
# in the order of docs/README.md, block by block, in one database.  A block
# whose first line is "-- expect error SQLSTATE" must fail with that
# SQLSTATE; every other block must succeed.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $docs = File::Spec->catdir(dirname(File::Spec->rel2abs(__FILE__)),
	File::Spec->updir, File::Spec->updir, 'docs');
my @pages = qw(profiling.md sketches.md configuration.md errors.md security.md
  expectations.md scheduler.md cdc.md lineage.md monitors.md);

my $node = DqTest::new_node('docs', create_extension => 1);
$node->safe_psql('postgres', 'CREATE DATABASE docs');
$node->safe_psql('docs', 'CREATE EXTENSION dq_lineage');

foreach my $page (@pages)
{
	my $text = slurp_file("$docs/$page");
	my $n = 0;
	while ($text =~ /```sql\n(.*?)```/gs)
	{
		my $sql = $1;
		$n++;
		my ($stdout, $stderr);
		if ($sql =~ /^-- expect error (\w{5})/)
		{
			my $state = $1;
			$node->psql('docs', $sql,
				stdout => \$stdout, stderr => \$stderr,
				extra_params => [ '-v', 'VERBOSITY=verbose' ]);
			like($stderr, qr/ERROR:\s+$state:/,
				"$page block $n fails with SQLSTATE $state");
		}
		else
		{
			my $ret = $node->psql('docs', $sql,
				stdout => \$stdout, stderr => \$stderr,
				on_error_stop => 1);
			is($ret, 0, "$page block $n runs")
			  or diag("stderr: $stderr");
			unlike($stderr // '', qr/ERROR/, "$page block $n raises no error");
		}
	}
	ok($n > 0, "$page has sql examples");
}

$node->stop;
done_testing();
