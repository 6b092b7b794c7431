package presentation

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                          false,
		"gzip":                      true,
		"GZIP":                      true,
		"deflate, gzip;q=1.0, br":   true,
		"gzip, deflate, br, zstd":   true,
		"x-gzip":                    true,
		"*":                         true,
		"identity":                  false,
		"br, deflate":               false,
		"gzip;q=0":                  false,
		"gzip; q=0.000":             false,
		"gzip;q=0.001":              true,
		"gzipped":                   false,
		"gzip;q=0, *":               false,
		"*;q=0, gzip":               true,
		"*;q=0.5":                   true,
		"identity;q=1, *;q=0":       false,
		"br;q=1.0, gzip ; q = 0.5 ": true,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			r.Header.Set("Accept-Encoding", header)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: acceptsGzip = %v, want %v", header, got, want)
		}
	}
}

func TestPageWithGzip(t *testing.T) {
	body := []byte(strings.Repeat(`{"title":"Film","rating":4.5}`, 100))
	p := NewPage("application/json", body).withGzip()
	if p.gzip == nil || len(p.gzip) >= len(body) {
		t.Fatalf("a repetitive %d-byte body compressed to %d bytes", len(body), len(p.gzip))
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.gzip))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, body) {
		t.Fatalf("the gzip representation does not decompress to the body (%v)", err)
	}
	if p.gzipETag == p.ETag || !strings.HasPrefix(p.gzipETag, `"`) || !strings.HasSuffix(p.gzipETag, `-gzip"`) {
		t.Errorf("gzip ETag %s beside %s: want a strong tag of its own", p.gzipETag, p.ETag)
	}
	if got := p.gzipHeaders.length[0]; got != strconv.Itoa(len(p.gzip)) {
		t.Errorf("gzip Content-Length %s, want %d", got, len(p.gzip))
	}
	if again := p.withGzip(); &again.gzip[0] != &p.gzip[0] {
		t.Error("withGzip compressed a page a second time")
	}

	// Too small to gain, or not shrinking: sent as it is.
	for _, b := range [][]byte{[]byte("tiny"), randomBytes(4096)} {
		if p := NewPage("text/plain", b).withGzip(); p.gzip != nil || !p.gzipped {
			t.Errorf("a %d-byte body that gzip cannot shrink got a gzip representation", len(b))
		}
	}
}

// randomBytes are n bytes no compressor can shrink.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(b)
	return b
}

// BenchmarkPageWithGzip is what a cache miss pays to compress a first
// page of the diary (20 entries of JSON, about 10 KB).
func BenchmarkPageWithGzip(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"items":[`)
	for i := range 20 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"movie":{"id":"00000%03d-0000-7000-8000-000000000001","external_metadata_id":"tt%08d","title":"Film %d","release_year":%d,"director":null,"poster_path":"00000%03d-0000-7000-8000-000000000001.img"},"review":{"id":"019a%04x-5e3b-7c21-9d4e-%012x","user_id":"01a23c97-d8f7-7adc-8031-069220477207","rating":%d.5,"comment":"seeded viewing number %d","watched_at":"2024-%02d-%02dT20:00:00Z","created_at":"2024-%02d-%02dT21:13:05Z"}}`,
			i, i*7919, i*7919, 1900+i*3, i, i*31, i*104729, i%5, i, 1+i%12, 1+i%28, 1+i%12, 1+i%28)
	}
	body.WriteString(`],"total_count":1000000,"limit":20,"offset":0,"next_cursor":"MjAyNC0wMS0wMVQyMDowMDowMFp8MDE5YQ"}`)
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		p := NewPage("application/json", body.Bytes())
		if p = p.withGzip(); p.gzip == nil {
			b.Fatal("not compressed")
		}
	}
}
