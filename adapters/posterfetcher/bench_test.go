package posterfetcher_test

import (
	"net/netip"
	"testing"

	"github.com/moviediary/moviediary/adapters/posterfetcher"
)

func BenchmarkCheckAddr(b *testing.B) {
	addrs := []netip.Addr{
		netip.MustParseAddr("93.184.216.34"),
		netip.MustParseAddr("2606:4700::1"),
		netip.MustParseAddr("::ffff:10.0.0.1"),
		netip.MustParseAddr("2002:c0a8:101::1"),
	}
	for i := 0; b.Loop(); i++ {
		_ = posterfetcher.CheckAddr(addrs[i%len(addrs)])
	}
}

// BenchmarkFetchPoster downloads a 256 KiB poster from a loopback server
// over a kept-alive connection.
func BenchmarkFetchPoster(b *testing.B) {
	body := padded(256 << 10)
	s := serveBytes(b, body)
	f := newFetcher(b, posterfetcher.Config{AllowPrivate: true})
	u := posterURL(b, s.URL)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := f.FetchPoster(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
}
