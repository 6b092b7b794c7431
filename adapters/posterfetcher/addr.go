package posterfetcher

import (
	"fmt"
	"net/netip"

	"github.com/moviediary/moviediary/domain"
)

// AddrRefusedError reports that a poster host resolved to an address the
// fetcher will not connect to. It matches domain.ErrPermanent: the same
// host will resolve to the same kind of address next time.
type AddrRefusedError struct {
	// Addr is the refused address, as dialled.
	Addr netip.Addr
	// Reason names the address class, such as "loopback" or "private".
	Reason string
}

// Error returns "refused address <addr> (<reason>)".
func (e *AddrRefusedError) Error() string {
	return fmt.Sprintf("refused address %s (%s)", e.Addr, e.Reason)
}

// Is makes an AddrRefusedError match domain.ErrPermanent.
func (e *AddrRefusedError) Is(target error) bool { return target == domain.ErrPermanent }

// refusedPrefix is one block of addresses a poster host may not use.
type refusedPrefix struct {
	prefix netip.Prefix
	reason string
}

// refusedV4 lists the IPv4 blocks that are not public unicast. The checks
// on netip.Addr (IsLoopback, IsPrivate, …) run first; this table adds the
// special-purpose blocks they do not know.
var refusedV4 = []refusedPrefix{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},
}

// refusedV6 lists the IPv6 blocks that are refused outright.
var refusedV6 = []refusedPrefix{
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// CheckAddr returns nil when a is a public unicast address a poster may be
// fetched from, and an *AddrRefusedError otherwise. Refused are: invalid,
// unspecified (0.0.0.0, ::), "this network" 0.0.0.0/8, loopback
// (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7),
// link-local (169.254/16, fe80::/10), carrier-grade NAT 100.64/10,
// multicast (224/4, ff00::/8), reserved and broadcast 240/4, the IETF,
// documentation and benchmarking blocks, IPv4-compatible ::/96, site-local
// fec0::/10, Teredo 2001::/32 and local-use NAT64 64:ff9b:1::/48. An IPv6
// address that embeds an IPv4 one — IPv4-mapped ::ffff:0:0/96, NAT64
// 64:ff9b::/96 and 6to4 2002::/16 — is judged by the IPv4 address it
// carries, so ::ffff:127.0.0.1 is loopback.
func CheckAddr(a netip.Addr) error {
	a = a.WithZone("")
	if reason := refusal(a); reason != "" {
		return &AddrRefusedError{Addr: a, Reason: reason}
	}
	return nil
}

// refusal names the class of a refused address, or "" for an allowed one.
func refusal(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	if a.Is4In6() {
		if r := refusal(a.Unmap()); r != "" {
			return "IPv4-mapped " + r
		}
		return ""
	}
	switch {
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	}
	if a.Is4() {
		for _, p := range refusedV4 {
			if p.prefix.Contains(a) {
				return p.reason
			}
		}
		return ""
	}
	for _, p := range refusedV6 {
		if p.prefix.Contains(a) {
			return p.reason
		}
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		if r := refusal(netip.AddrFrom4([4]byte(b[12:16]))); r != "" {
			return "NAT64 " + r
		}
	case sixToFour.Contains(a):
		if r := refusal(netip.AddrFrom4([4]byte(b[2:6]))); r != "" {
			return "6to4 " + r
		}
	}
	return ""
}
