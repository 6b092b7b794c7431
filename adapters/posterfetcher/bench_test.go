package posterfetcher_test

import (
	"io"
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
// over a kept-alive connection, streaming it into io.Discard.
func BenchmarkFetchPoster(b *testing.B) {
	body := padded(256 << 10)
	s := serveBytes(b, body)
	f := newFetcher(b, posterfetcher.Config{AllowPrivate: true})
	u := posterURL(b, s.URL)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		body, err := f.FetchPoster(b.Context(), u)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			b.Fatal(err)
		}
		if err := body.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
