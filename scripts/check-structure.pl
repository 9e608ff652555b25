#!/usr/bin/perl
# scripts/check-structure.pl: the structure rules of src/, checked.
#
#   1. The include graph between the library's own files has no cycle
#      (foo.c and foo.h count as one module).
#   2. Subsystems depend only on base/ and sketch/, and on another
#      subsystem only through the headers listed in %ALLOWED below, each
#      with the reason; base/ and sketch/ depend on no subsystem, and
#      base/ not on sketch/.
#   3. No .c file has more than 1,200 lines.
#   4. No function has more than 150 lines, except flat tables (functions
#      whose body is one initializer list or one switch of returns are
#      still counted: keep them short too).
#
# Prints one line per finding and a closing line "structure: N problems";
# exits 1 when there is any.  Run from anywhere: paths are relative to the
# checkout.

use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Find;
use Cwd qw(abs_path);

my $root = abs_path(dirname(abs_path($0)) . '/..');
my $src = "$root/src";

my $MAX_FILE_LINES = 1200;
my $MAX_FUNCTION_LINES = 150;

# Headers of one subsystem that another may include, and why.
my %ALLOWED = (
	'expect/expectations.h' =>
	  'the change validator evaluates the row rules of expectations',
	'alert/alert.h' =>
	  'every subsystem reports failures to the alert outbox; the utility hook pauses delivery',
	'lineage/lineage.h' =>
	  'the utility hook and the monitors read captured lineage',
	'cdc/cdc_worker.h' =>
	  'the utility hook and the scheduler start and stop change validation',
	'sched/worker.h' =>
	  'the utility hook pauses schedulers; workers are started through the launcher',
);

my %SHARED = map { $_ => 1 } qw(base sketch);

my (@files, %deps, @problems);

find(
	sub {
		return unless /\.[ch]$/;
		my $rel = substr($File::Find::name, length($src) + 1);
		push @files, $rel;
	},
	$src);
@files = sort @files;

sub module_of
{
	my ($path) = @_;
	$path =~ s/\.[ch]$//;
	return $path;
}

sub folder_of
{
	my ($path) = @_;
	return $path =~ m{^([^/]+)/} ? $1 : '';    # '' for top-level files
}

for my $file (@files)
{
	open(my $fh, '<', "$src/$file") or die "cannot read src/$file: $!";
	my @lines = <$fh>;
	close $fh;

	if ($file =~ /\.c$/ && @lines > $MAX_FILE_LINES)
	{
		push @problems,
		  sprintf('src/%s: %d lines (at most %d)', $file, scalar(@lines),
			$MAX_FILE_LINES);
	}

	# Includes of the library's own headers.
	for my $line (@lines)
	{
		next unless $line =~ /^\s*#\s*include\s+"([^"]+)"/;
		my $inc = $1;
		next unless -f "$src/$inc";
		$deps{ module_of($file) }{ module_of($inc) } = 1
		  if module_of($inc) ne module_of($file);

		my ($from, $to) = (folder_of($file), folder_of($inc));
		next if $from eq '' || $from eq $to;    # top level wires everything
		if ($SHARED{$from})
		{
			push @problems, "src/$file includes $inc: $from/ must not depend on $to/"
			  if !$SHARED{$to} || ($from eq 'base' && $to ne 'base');
		}
		elsif (!$SHARED{$to} && !exists $ALLOWED{$inc})
		{
			push @problems,
			  "src/$file includes $inc: subsystem $from/ depends on subsystem $to/ "
			  . 'without an allowed header (see %ALLOWED in scripts/check-structure.pl)';
		}
	}

	# Function lengths: pgindent puts the name at column 0 followed by "(",
	# the opening brace alone on a line at column 0, the closing one too.
	next unless $file =~ /\.c$/;
	my ($name, $start);
	for my $i (0 .. $#lines)
	{
		my $l = $lines[$i];
		if (!defined $start && $l =~ /^([A-Za-z_]\w*)\(/)
		{
			$name = $1;
		}
		elsif (defined $name && !defined $start && $l =~ /^\{/)
		{
			$start = $i;
		}
		elsif (defined $start && $l =~ /^\}/)
		{
			my $len = $i - $start + 1;
			push @problems,
			  sprintf('src/%s:%d: function %s has %d lines (at most %d)',
				$file, $start, $name, $len, $MAX_FUNCTION_LINES)
			  if $len > $MAX_FUNCTION_LINES;
			undef $name;
			undef $start;
		}
		elsif (!defined $start && $l =~ /^(?:static\s|extern\s|typedef\s|#)/)
		{
			undef $name;
		}
	}
}

# Cycles in the module graph (depth-first search, colours).
my %colour;
my @stack;

sub visit
{
	my ($m) = @_;
	$colour{$m} = 1;
	push @stack, $m;
	for my $d (sort keys %{ $deps{$m} || {} })
	{
		if (($colour{$d} // 0) == 1)
		{
			my @cycle;
			for (my $i = $#stack; $i >= 0; $i--)
			{
				unshift @cycle, $stack[$i];
				last if $stack[$i] eq $d;
			}
			push @problems, 'include cycle: ' . join(' -> ', @cycle, $d);
		}
		elsif (!$colour{$d})
		{
			visit($d);
		}
	}
	pop @stack;
	$colour{$m} = 2;
}
visit($_) for grep { !$colour{$_} } sort keys %deps;

print "$_\n" for @problems;
printf "structure: %d problems (%d files checked)\n", scalar(@problems),
  scalar(@files);
exit(@problems ? 1 : 0);
