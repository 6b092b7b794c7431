package presentation

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinBytes is the smallest body worth compressing: below it the gzip
// framing eats most of what is saved.
const gzipMinBytes = 512

// gzipWriters are reused compressors; a new one allocates about 800 KB.
// They compress at gzip.BestSpeed: a first page of the diary in about
// 40 µs instead of 70 at the default level (BenchmarkPageWithGzip), which
// every cache miss pays, for answers about a tenth larger.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// withGzip returns p with its gzip representation added: the body
// compressed, under an ETag of its own, as a representation with a
// different content coding must have (RFC 9110, 8.8.3). A body too small
// or that compression does not shrink keeps none, and is sent as it is.
func (p Page) withGzip() Page {
	if p.gzipped || len(p.Body) < gzipMinBytes {
		p.gzipped = true
		return p
	}
	p.gzipped = true
	var buf bytes.Buffer
	buf.Grow(len(p.Body) / 4)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, err := zw.Write(p.Body)
	if err == nil {
		err = zw.Close()
	}
	gzipWriters.Put(zw)
	if err != nil || buf.Len() >= len(p.Body) {
		return p
	}
	p.gzip = bytes.Clone(buf.Bytes())
	p.gzipETag = strings.TrimSuffix(p.ETag, `"`) + `-gzip"`
	p.gzipHeaders = newPageHeaders(p.ContentType, p.gzipETag, len(p.gzip))
	return p
}

// acceptsGzip says whether the request's Accept-Encoding admits gzip with
// a quality above zero: named (or as x-gzip), or else through "*".
func acceptsGzip(r *http.Request) bool {
	named, star := 0, 0 // 0: not listed, 1: acceptable, -1: refused (q=0)
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			verdict := -1
			if qualityAboveZero(params) {
				verdict = 1
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				if named == 0 || verdict > named { // listed twice: the kinder wins
					named = verdict
				}
			case "*":
				star = verdict
			}
		}
	}
	if named != 0 {
		return named > 0
	}
	return star > 0
}

// qualityAboveZero reads an Accept-Encoding member's parameters: absent or
// unreadable q counts as 1, "q=0" (or 0.0, 0.00, 0.000) as 0.
func qualityAboveZero(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return true
		}
		return q > 0
	}
	return true
}
