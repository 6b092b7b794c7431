package posterfetcher

import "net/netip"

// NewAllowingOnly returns a Fetcher that refuses private addresses except
// the listed ones, so tests on loopback can reach one server and prove that
// every other hop — a redirect in particular — is still checked at dial
// time.
func NewAllowingOnly(cfg Config, allowed ...netip.AddrPort) (*Fetcher, error) {
	cfg.AllowPrivate = false
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	f.checkAddr = func(ap netip.AddrPort) error {
		for _, a := range allowed {
			if a == ap {
				return nil
			}
		}
		return CheckAddr(ap.Addr())
	}
	return f, nil
}
