#!/usr/bin/perl
#
# sql-include.pl: concatenate SQL script pieces, expanding include lines.
#
#   perl scripts/sql-include.pl PIECE... > build/dq_lineage--A--B.sql
#
# The Makefile builds each upgrade script with it, so that an upgrade piece
# holds only what the upgrade does differently from a fresh install and
# takes the statements that are the same from the install piece, instead of
# a copy that could drift.  In a piece, the line
#
#   -- @include ../../install/90_report.sql
#
# stands for that whole file, and
#
#   -- @include ../../install/90_report.sql report_views
#
# for the lines of that file between "-- @section report_views" and
# "-- @end report_views".  Paths are relative to the directory of the piece.
# A last word "or-replace" turns the included "CREATE FUNCTION", "CREATE
# VIEW" (and PROCEDURE, AGGREGATE, TRIGGER) statements into "CREATE OR
# REPLACE ...", for objects the older version already has.
# Section lines are SQL comments, so the install script built from the same
# files by plain concatenation is unchanged in effect; sections may nest or
# overlap.  The section lines themselves are not copied into the output.
#
# A missing file, a missing or unterminated section, a section defined twice,
# or an include line inside an included text stops the build with a message
# naming the piece and line.

use strict;
use warnings;
use File::Basename qw(dirname);

my $SECTION_LINE = qr/^--\s*\@(section|end)\s+(\S+)\s*$/;
my $INCLUDE_LINE = qr/^--\s*\@include\b\s*(.*?)\s*$/;
my $CREATE_LINE = qr/^CREATE (FUNCTION|PROCEDURE|VIEW|AGGREGATE|TRIGGER)\b/;

die "usage: $0 PIECE...\n" unless @ARGV;

# Read a file whole; $where names the line that asked for it.
sub slurp
{
	my ($path, $where) = @_;
	open(my $fh, '<', $path)
	  or die "$where: cannot read included file \"$path\": $!\n";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

# The lines of a file's section (or of the whole file when $section is
# undefined), without section lines.
sub extract
{
	my ($path, $section, $where) = @_;
	my @lines = split(/^/m, slurp($path, $where));
	my (%open, %seen, @out);
	my $inside = !defined $section;
	my $found = 0;

	for my $i (0 .. $#lines)
	{
		my $line = $lines[$i];
		my $at = "$path:" . ($i + 1);

		die "$where: included text $at holds an include line; "
		  . "includes do not nest\n"
		  if $line =~ $INCLUDE_LINE;
		if ($line =~ $SECTION_LINE)
		{
			my ($kind, $name) = ($1, $2);
			if ($kind eq 'section')
			{
				die "$at: section \"$name\" is defined twice\n"
				  if $seen{$name}++;
				$open{$name} = 1;
				if (defined $section && $name eq $section)
				{
					$inside = 1;
					$found = 1;
				}
			}
			else
			{
				die "$at: \"-- \@end $name\" without its \"-- \@section $name\"\n"
				  unless delete $open{$name};
				$inside = 0 if defined $section && $name eq $section;
			}
			next;
		}
		push @out, $line if $inside;
	}
	die "$path: section \"$_\" has no \"-- \@end $_\" line\n"
	  for sort keys %open;
	die "$where: section \"$section\" not found in \"$path\"\n"
	  if defined $section && !$found;
	return @out;
}

for my $piece (@ARGV)
{
	my @lines = split(/^/m, slurp($piece, $0));
	for my $i (0 .. $#lines)
	{
		my $line = $lines[$i];
		if ($line =~ $INCLUDE_LINE)
		{
			my $where = "$piece:" . ($i + 1);
			my @args = split(/\s+/, $1);
			my $replace = @args > 1 && $args[-1] eq 'or-replace';
			pop @args if $replace;
			die "$where: expected \"-- \@include FILE [SECTION] [or-replace]\"\n"
			  if @args < 1 || @args > 2;
			my @text = extract(dirname($piece) . "/$args[0]", $args[1], $where);
			if ($replace)
			{
				s/$CREATE_LINE/CREATE OR REPLACE $1/ for @text;
			}
			print @text;
		}
		elsif ($line =~ $SECTION_LINE)
		{
			next;
		}
		else
		{
			print $line;
		}
	}
}
