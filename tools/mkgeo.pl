#!/usr/bin/perl
# SPDX-License-Identifier: BSD-3-Clause
#
# mkgeo.pl: write a small IPv4 country MaxMind DB from a BLOCKS.tsv file
# (lines "CIDR<TAB>CC", '#' comments and blank lines allowed), for tests and
# the darkgen scenario.  The file is an IPv6 tree (record size 24) with the
# IPv4 subtree aliased like the real GeoLite2 / ip-location-db databases.
# Networks are inserted shortest prefix first with merge strategy "none", so
# a longer prefix wins over a shorter one whatever the order in the file.
#
# usage: perl tools/mkgeo.pl --schema geolite2|flat [--ip-version 6|4]
#                            --out FILE.mmdb BLOCKS.tsv
# --ip-version 4 writes an IPv4-only tree (no aliases), for tests.
use strict;
use warnings;
use Getopt::Long;
use MaxMind::DB::Writer::Tree;

sub usage {
	print STDERR "usage: $0 --schema geolite2|flat [--ip-version 6|4] --out FILE.mmdb BLOCKS.tsv\n";
	exit 2;
}

my ($schema, $out, $ipv) = ('geolite2', undef, 6);
GetOptions('schema=s' => \$schema, 'out=s' => \$out, 'ip-version=i' => \$ipv)
	or usage();
usage() unless defined $out && @ARGV == 1
	&& ($schema eq 'geolite2' || $schema eq 'flat') && ($ipv == 4 || $ipv == 6);
my $in = $ARGV[0];

# Read and validate the blocks: [prefix length, cidr, cc, line].
my @blocks;
open(my $fh, '<', $in) or die "$in: $!\n";
while (my $l = <$fh>) {
	chomp $l;
	$l =~ s/#.*//;
	next if $l =~ /^\s*$/;
	my ($cidr, $cc) = split /\s+/, $l;
	die "$in:$.: expected CIDR<TAB>CC, got '$l'\n"
		unless defined $cc && $cidr =~ m{^(\d+)\.(\d+)\.(\d+)\.(\d+)/(\d+)$}
		&& $1 < 256 && $2 < 256 && $3 < 256 && $4 < 256 && $5 <= 32;
	push @blocks, [$5, $cidr, $cc, $.];
}
close $fh;

my %types = (
	country      => 'map',
	iso_code     => 'utf8_string',
	country_code => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version               => $ipv,
	record_size              => 24,
	database_type            => $schema eq 'geolite2' ? 'GeoLite2-Country' : 'geo-whois-asn-country',
	languages                => ['en'],
	description              => { en => "darkscope test country DB ($schema)" },
	map_key_type_callback    => sub { $types{ $_[0] } },
	merge_strategy           => 'none',
	alias_ipv6_to_ipv4       => $ipv == 6 ? 1 : 0,
	remove_reserved_networks => 0,
);

# Shortest prefix first (stable): later, longer networks replace their part.
for my $b (sort { $a->[0] <=> $b->[0] || $a->[3] <=> $b->[3] } @blocks) {
	my ($len, $cidr, $cc) = @$b;
	my $data = $schema eq 'geolite2'
		? { country => { iso_code => $cc } }
		: { country_code => $cc };
	# IPv4 networks live at ::a.b.c.d/96+len in an IPv6 tree.
	my ($addr) = split m{/}, $cidr;
	$tree->insert_network($ipv == 6 ? "::$addr/" . (96 + $len) : $cidr, $data);
}

open(my $o, '>:raw', $out) or die "$out: $!\n";
$tree->write_tree($o);
close $o or die "$out: $!\n";
