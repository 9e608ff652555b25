# A small HTTP receiver for the alert tests and benchmark: it listens on
# the loopback interface, answers every POST as its mode file says, and
# logs each request as one JSON line.
#
#   perl alert_receiver.pl --dir DIR [--port N]
#
# DIR/port     written at start: the port it listens on (N, or one the
#              kernel chose)
# DIR/pid      written at start: its process id
# DIR/mode     read at each request: "ok" (200, the default), a status
#              such as "500", "hang" (read the request, never answer, close
#              after 60 s) or "slow MS" (answer 200 after MS milliseconds)
# DIR/log      one line per request: {"status": 200, "path": "/x",
#              "key": "<Idempotency-Key>", "event": "<X-Dq-Alert-Event>",
#              "body": "<the body>"}; "status" is what it answered (0 for
#              a request it never answered)
#
# One process serves many connections at once (select); it stops on
# SIGTERM or SIGKILL.

use strict;
use warnings;

use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time);

my ($dir, $port) = (undef, 0);
GetOptions('dir=s' => \$dir, 'port=i' => \$port) or die "usage: $0 --dir DIR [--port N]\n";
die "usage: $0 --dir DIR [--port N]\n" unless defined $dir;

my $listen = IO::Socket::INET->new(
	LocalAddr => '127.0.0.1',
	LocalPort => $port,
	Proto => 'tcp',
	Listen => 128,
	ReuseAddr => 1) or die "cannot listen on 127.0.0.1:$port: $!\n";
$listen->blocking(0);

open(my $log, '>>', "$dir/log") or die "cannot open $dir/log: $!\n";
$log->autoflush(1);
my $json = JSON::PP->new->canonical;

# write the port last, atomically: its presence says "ready"
{
	open(my $pf, '>', "$dir/pid") or die $!;
	print $pf "$$\n";
	close $pf;
	open(my $fh, '>', "$dir/port.tmp") or die $!;
	print $fh $listen->sockport, "\n";
	close $fh;
	rename("$dir/port.tmp", "$dir/port") or die $!;
}

sub mode
{
	open(my $fh, '<', "$dir/mode") or return 'ok';
	my $m = <$fh> // 'ok';
	close $fh;
	chomp $m;
	return $m eq '' ? 'ok' : $m;
}

my $sel = IO::Select->new($listen);
my %conn;    # fileno => { sock, buf, answer_at, status, hang_until, logged }

sub finish_request
{
	my ($c) = @_;
	my ($head, $body) = split(/\r\n\r\n/, $c->{buf}, 2);
	my @lines = split(/\r\n/, $head);
	my ($method, $path) = split(/ /, shift @lines);
	my %h;
	for (@lines)
	{
		my ($k, $v) = split(/:\s*/, $_, 2);
		$h{ lc $k } = $v;
	}
	$c->{req} = {
		path => $path,
		key => $h{'idempotency-key'} // '',
		event => $h{'x-dq-alert-event'} // '',
		body => $body // ''
	};
	my $m = mode();
	if ($m eq 'hang')
	{
		$c->{hang_until} = time() + 60;
		$c->{status} = 0;
		print $log $json->encode({ %{ $c->{req} }, status => 0 }), "\n";
		$c->{logged} = 1;
	}
	elsif ($m =~ /^slow (\d+)$/)
	{
		$c->{answer_at} = time() + $1 / 1000;
		$c->{status} = 200;
	}
	else
	{
		$c->{answer_at} = time();
		$c->{status} = $m =~ /^\d{3}$/ ? $m : 200;
	}
}

sub answer
{
	my ($c) = @_;
	my $status = $c->{status};
	my $text = $status == 200 ? 'OK' : 'Error';
	my $body = $status == 200 ? '{"status": "success"}' : '{"status": "error"}';
	my $sock = $c->{sock};
	$sock->blocking(1);
	print $sock "HTTP/1.1 $status $text\r\nContent-Type: application/json\r\n"
	  . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
	# log after answering: a logged 2xx was sent
	print $log $json->encode({ %{ $c->{req} }, status => $status + 0 }), "\n";
	close_conn($c);
}

sub close_conn
{
	my ($c) = @_;
	$sel->remove($c->{sock});
	delete $conn{ fileno($c->{sock}) };
	close($c->{sock});
}

$SIG{TERM} = sub { exit 0 };

while (1)
{
	my $now = time();
	my $timeout = 0.05;
	for my $c (values %conn)
	{
		if (defined $c->{answer_at} && $c->{answer_at} <= $now)
		{
			answer($c);
		}
		elsif (defined $c->{hang_until} && $c->{hang_until} <= $now)
		{
			close_conn($c);
		}
	}
	for my $s ($sel->can_read($timeout))
	{
		if ($s == $listen)
		{
			while (my $new = $listen->accept)
			{
				$new->blocking(0);
				$sel->add($new);
				$conn{ fileno($new) } = { sock => $new, buf => '' };
			}
			next;
		}
		my $c = $conn{ fileno($s) } or next;
		my $n = sysread($s, my $chunk, 65536);
		if (!defined $n || $n == 0)
		{
			close_conn($c) if !defined $n || $n == 0;
			next;
		}
		next if $c->{req};
		$c->{buf} .= $chunk;
		my $end = index($c->{buf}, "\r\n\r\n");
		next if $end < 0;
		my ($len) = $c->{buf} =~ /\r\ncontent-length:\s*(\d+)/i;
		$len //= 0;
		finish_request($c) if length($c->{buf}) >= $end + 4 + $len;
	}
}
