package posterfetcher_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/domain"
)

func TestCheckAddrRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	refused := []string{
		// unspecified and "this network"
		"0.0.0.0", "0.1.2.3", "::",
		// loopback
		"127.0.0.1", "127.255.255.254", "::1",
		// private
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd00::1", "fc00::1",
		// link-local, cloud metadata endpoints included
		"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0",
		// carrier-grade NAT
		"100.64.1.1", "100.127.255.255",
		// multicast, reserved and broadcast
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1", "240.0.0.1", "255.255.255.255",
		// special-purpose and documentation blocks
		"192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "2001:db8::1",
		// IPv4-mapped forms of refused addresses
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:100.64.1.1", "::ffff:0.0.0.0",
		// IPv4-compatible, NAT64 and 6to4 forms
		"::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:c0a8:101::1",
		// Teredo, site-local, discard-only
		"2001::1", "fec0::1", "100::1",
	}
	for _, s := range refused {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			err := posterfetcher.CheckAddr(netip.MustParseAddr(s))
			if !errors.Is(err, domain.ErrPermanent) {
				t.Fatalf("CheckAddr(%s) = %v, want a refusal matching ErrPermanent", s, err)
			}
			var refusal *posterfetcher.AddrRefusedError
			if !errors.As(err, &refusal) || refusal.Reason == "" {
				t.Fatalf("CheckAddr(%s) = %v, want an *AddrRefusedError with a reason", s, err)
			}
		})
	}
}

func TestCheckAddrAllowsPublicAddresses(t *testing.T) {
	t.Parallel()
	allowed := []string{
		"93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
		"2606:4700::1", "2a00:1450:4001:80b::200e", "::ffff:93.184.216.34",
		"64:ff9b::5db8:d822", // NAT64 of 93.184.216.34
		"2002:5db8:d822::1",  // 6to4 of 93.184.216.34
	}
	for _, s := range allowed {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if err := posterfetcher.CheckAddr(netip.MustParseAddr(s)); err != nil {
				t.Fatalf("CheckAddr(%s) = %v, want nil", s, err)
			}
		})
	}
}

func TestCheckAddrRefusesTheZeroAddr(t *testing.T) {
	t.Parallel()
	if err := posterfetcher.CheckAddr(netip.Addr{}); !errors.Is(err, domain.ErrPermanent) {
		t.Fatalf("CheckAddr(zero) = %v, want a permanent refusal", err)
	}
}
