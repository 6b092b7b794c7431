package mediaserver_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/mediaserver"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// The boundaries of the raw multipart fixtures (see testdata/README.md).
const (
	plexBoundary = "------------------------4ebf00fbcf09c2fa"
	embyBoundary = "----EmbyWebhookBoundary7MA4YWxkTrZu0gW"
)

func ptr[T any](v T) *T { return &v }

// bigTrouble is the film most fixtures report, watched at at.
func bigTrouble(kind domain.PlayKind, at time.Time) application.ReportPlayCommand {
	return application.ReportPlayCommand{Kind: kind, ExternalMetadataID: "tt0090728",
		Title: "Big Trouble in Little China", Year: ptr(1986), At: at}
}

// plexLastViewed is the Metadata.lastViewedAt of the Plex fixtures.
var plexLastViewed = time.Unix(1717271400, 0).UTC()

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// multipartBody wraps payload in a multipart/form-data body as the form
// field field, followed by a file part "thumb" of thumb when not nil.
func multipartBody(tb testing.TB, field string, payload, thumb []byte) (contentType string, body []byte) {
	tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormField(field)
	if err == nil {
		_, err = fw.Write(payload)
	}
	if err == nil && thumb != nil {
		var tw io.Writer
		if tw, err = w.CreateFormFile("thumb", "image.jpg"); err == nil {
			_, err = tw.Write(thumb)
		}
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// checkCommand compares two commands field by field (times with Equal).
func checkCommand(t *testing.T, got, want application.ReportPlayCommand) {
	t.Helper()
	show := func(c application.ReportPlayCommand) string {
		year, rating := "nil", "nil"
		if c.Year != nil {
			year = fmt.Sprint(*c.Year)
		}
		if c.Rating != nil {
			rating = fmt.Sprint(*c.Rating)
		}
		return fmt.Sprintf("{Kind:%q ID:%q Title:%q Year:%s At:%s Rating:%s Account:%q}",
			c.Kind, c.ExternalMetadataID, c.Title, year, c.At.Format(time.RFC3339Nano), rating, c.Account)
	}
	if show(got) != show(want) || !got.At.Equal(want.At) {
		t.Errorf("command:\n got %s\nwant %s", show(got), show(want))
	}
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	plexWatched := bigTrouble(domain.PlayWatched, plexLastViewed)
	plexWatched.Account = "elan"
	plexRated := bigTrouble(domain.PlayRated, plexLastViewed)
	plexRated.Account, plexRated.Rating = "elan", ptr(4.0)
	jellyfinAt := time.Date(2024, 6, 1, 19, 50, 0, 123456700, time.UTC)
	embyAt := time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC)

	tests := []struct {
		name   string
		source domain.WebhookSource
		file   string
		want   application.ReportPlayCommand
		ignore bool
	}{
		{"plex scrobble by new-agent Guid", domain.SourcePlex, "plex_scrobble_guid.json", plexWatched, false},
		{"plex scrobble by legacy guid", domain.SourcePlex, "plex_scrobble_legacy_guid.json", plexWatched, false},
		{"plex scrobble by title and year, at receipt", domain.SourcePlex, "plex_scrobble_title_year.json",
			application.ReportPlayCommand{Kind: domain.PlayWatched, Title: "Dark Star", Year: ptr(1974), Account: "elan"}, false},
		{"plex rate: 8/10 is 4 stars", domain.SourcePlex, "plex_rate.json", plexRated, false},
		{"plex play ignored", domain.SourcePlex, "plex_play.json", application.ReportPlayCommand{}, true},
		{"plex episode scrobble ignored", domain.SourcePlex, "plex_scrobble_episode.json", application.ReportPlayCommand{}, true},
		{"jellyfin completed PlaybackStop", domain.SourceJellyfin, "jellyfin_playback_stop_completed.json",
			bigTrouble(domain.PlayWatched, jellyfinAt), false},
		{"jellyfin template with strings for booleans and numbers, time without zone", domain.SourceJellyfin,
			"jellyfin_template_strings.json", bigTrouble(domain.PlayWatched, time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC)), false},
		{"jellyfin uncompleted PlaybackStop ignored", domain.SourceJellyfin, "jellyfin_playback_stop_incomplete.json", application.ReportPlayCommand{}, true},
		{"jellyfin episode ignored", domain.SourceJellyfin, "jellyfin_playback_stop_episode.json", application.ReportPlayCommand{}, true},
		{"jellyfin PlaybackStart ignored", domain.SourceJellyfin, "jellyfin_playback_start.json", application.ReportPlayCommand{}, true},
		{"emby completed playback.stop", domain.SourceEmby, "emby_playback_stop_completed.json", bigTrouble(domain.PlayWatched, embyAt), false},
		{"emby markplayed, ProviderIds keys in capitals", domain.SourceEmby, "emby_markplayed.json",
			bigTrouble(domain.PlayWatched, time.Date(2024, 6, 2, 8, 15, 30, 500000000, time.UTC)), false},
		{"emby uncompleted playback.stop ignored", domain.SourceEmby, "emby_playback_stop_incomplete.json", application.ReportPlayCommand{}, true},
		{"emby episode ignored", domain.SourceEmby, "emby_playback_stop_episode.json", application.ReportPlayCommand{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := mustRead(t, tt.file)
			contentType, body := "application/json", payload
			if tt.source == domain.SourcePlex {
				contentType, body = multipartBody(t, "payload", payload, nil)
			}
			got, ignore, err := mediaserver.Parse(tt.source, contentType, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ignore != tt.ignore {
				t.Fatalf("ignore = %v, want %v", ignore, tt.ignore)
			}
			checkCommand(t, got, tt.want)
		})
	}
}

func TestParseMultipartFixtures(t *testing.T) {
	t.Parallel()
	plexWatched := bigTrouble(domain.PlayWatched, plexLastViewed)
	plexWatched.Account = "elan"
	embyWatched := bigTrouble(domain.PlayWatched, time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC))
	plexType := "multipart/form-data; boundary=" + plexBoundary
	plexThumb := mustRead(t, "plex_scrobble_thumb.multipart")

	// The thumb before the payload: Plex sends it after, but order is not promised.
	var thumbFirst bytes.Buffer
	w := multipart.NewWriter(&thumbFirst)
	tw, err := w.CreateFormFile("thumb", "image.jpg")
	if err == nil {
		_, err = tw.Write(bytes.Repeat([]byte{0xFF, 0xD8, '\r', '\n', '-', '-'}, 10000))
	}
	var fw io.Writer
	if err == nil {
		fw, err = w.CreateFormField("payload")
	}
	if err == nil {
		_, err = fw.Write(mustRead(t, "plex_scrobble_guid.json"))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	bomCRLF := append([]byte("\uFEFF"), bytes.ReplaceAll(mustRead(t, "emby_playback_stop_completed.json"), []byte("\n"), []byte("\r\n"))...)
	bomCRLFType, bomCRLFBody := multipartBody(t, "data", bomCRLF, nil)

	tests := []struct {
		name        string
		source      domain.WebhookSource
		contentType string
		body        []byte
		want        application.ReportPlayCommand
	}{
		{"plex body with a thumb part", domain.SourcePlex, plexType, plexThumb, plexWatched},
		{"plex body with the thumb first", domain.SourcePlex, w.FormDataContentType(), thumbFirst.Bytes(), plexWatched},
		{"plex body with LF line ends", domain.SourcePlex, plexType, bytes.ReplaceAll(plexThumb, []byte("\r\n"), []byte("\n")), plexWatched},
		{"plex Content-Type in capitals", domain.SourcePlex, "Multipart/Form-Data; Boundary=" + plexBoundary, plexThumb, plexWatched},
		{"emby multipart with a data field, quoted boundary", domain.SourceEmby, `multipart/form-data; boundary="` + embyBoundary + `"`,
			mustRead(t, "emby_playback_stop_completed.multipart"), embyWatched},
		{"emby multipart, JSON with a BOM and CRLF", domain.SourceEmby, bomCRLFType, bomCRLFBody, embyWatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ignore, err := mediaserver.Parse(tt.source, tt.contentType, bytes.NewReader(tt.body))
			if err != nil || ignore {
				t.Fatalf("Parse: ignore %v, err %v", ignore, err)
			}
			checkCommand(t, got, tt.want)
		})
	}
}

func TestParseTolerance(t *testing.T) {
	t.Parallel()
	completed := string(mustRead(t, "jellyfin_playback_stop_completed.json"))
	jellyfinAt := time.Date(2024, 6, 1, 19, 50, 0, 123456700, time.UTC)
	tests := []struct {
		name        string
		source      domain.WebhookSource
		contentType string
		body        string
		want        application.ReportPlayCommand
	}{
		{"BOM before the JSON", domain.SourceJellyfin, "application/json", "\uFEFF" + completed, bigTrouble(domain.PlayWatched, jellyfinAt)},
		{"CRLF line ends", domain.SourceJellyfin, "application/json", strings.ReplaceAll(completed, "\n", "\r\n"), bigTrouble(domain.PlayWatched, jellyfinAt)},
		{"text/plain", domain.SourceJellyfin, "text/plain; charset=utf-8", completed, bigTrouble(domain.PlayWatched, jellyfinAt)},
		{"no Content-Type", domain.SourceJellyfin, "", completed, bigTrouble(domain.PlayWatched, jellyfinAt)},
		{"form content type over a JSON body", domain.SourceEmby, "application/x-www-form-urlencoded",
			string(mustRead(t, "emby_playback_stop_completed.json")), bigTrouble(domain.PlayWatched, time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC))},
		{"plex payload as a bare JSON body", domain.SourcePlex, "application/json",
			string(mustRead(t, "plex_scrobble_guid.json")), func() application.ReportPlayCommand {
				c := bigTrouble(domain.PlayWatched, plexLastViewed)
				c.Account = "elan"
				return c
			}()},
		{"keys in other cases, lowercase event names, lowercase boolean string", domain.SourceJellyfin, "application/json",
			`{"notificationtype":"PlaybackStop","itemType":"movie","PROVIDER_IMDB":"tt0090728","name":"Big Trouble in Little China","year":1986.0,"playedToCompletion":"true","utcTimestamp":"2024-06-01T21:50:00+02:00"}`,
			bigTrouble(domain.PlayWatched, time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC))},
		{"emby provider key in lower case, unknown time format at receipt", domain.SourceEmby, "application/json",
			`{"Event":"playback.stop","Date":"6/1/2024 7:50:00 PM","Item":{"Type":"Movie","Name":"Big Trouble in Little China","ProductionYear":"1986","ProviderIds":{"imdb":"tt0090728"}},"PlaybackInfo":{"PlayedToCompletion":"True"},"Extra":{"nested":[1,2,3]}}`,
			bigTrouble(domain.PlayWatched, time.Time{})},
		{"an IMDb ID the domain refuses is dropped, the title kept", domain.SourceJellyfin, "application/json",
			`{"NotificationType":"PlaybackStop","ItemType":"Movie","PlayedToCompletion":true,"Provider_imdb":"nm0000123","Name":"Dark Star","Year":0}`,
			application.ReportPlayCommand{Kind: domain.PlayWatched, Title: "Dark Star"}},
		{"no IMDb ID and no title is the use case's to refuse", domain.SourceEmby, "application/json",
			`{"Event":"item.markplayed","Item":{"Type":"Movie"}}`,
			application.ReportPlayCommand{Kind: domain.PlayWatched}},
		{"plex rate with only Metadata.userRating", domain.SourcePlex, "",
			`{"event":"media.rate","Account":{"title":"elan"},"Metadata":{"type":"movie","title":"Dark Star","userRating":7}}`,
			application.ReportPlayCommand{Kind: domain.PlayRated, Title: "Dark Star", Rating: ptr(3.5), Account: "elan"}},
		{"plex Guid entries other than IMDb skipped, legacy plex:// guid ignored", domain.SourcePlex, "",
			`{"event":"media.scrobble","Metadata":{"type":"movie","title":"Dark Star","guid":"plex://movie/5d77","Guid":[{"id":"tmdb://1"},{"id":"IMDB://tt0069945"}],"lastViewedAt":0}}`,
			application.ReportPlayCommand{Kind: domain.PlayWatched, ExternalMetadataID: "tt0069945", Title: "Dark Star"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ignore, err := mediaserver.Parse(tt.source, tt.contentType, strings.NewReader(tt.body))
			if err != nil || ignore {
				t.Fatalf("Parse: ignore %v, err %v", ignore, err)
			}
			checkCommand(t, got, tt.want)
		})
	}
}

func TestParseIgnored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		source domain.WebhookSource
		body   string
	}{
		{"plex rating removed", domain.SourcePlex, `{"event":"media.rate","rating":-1,"Metadata":{"type":"movie","title":"Dark Star"}}`},
		{"plex rate without any rating", domain.SourcePlex, `{"event":"media.rate","Metadata":{"type":"movie","title":"Dark Star"}}`},
		{"plex library.new", domain.SourcePlex, `{"event":"library.new","Metadata":{"type":"movie","title":"Dark Star"}}`},
		{"plex track", domain.SourcePlex, `{"event":"media.scrobble","Metadata":{"type":"track","title":"Love The One You're With"}}`},
		{"plex empty object", domain.SourcePlex, `{}`},
		{"jellyfin ItemAdded", domain.SourceJellyfin, `{"NotificationType":"ItemAdded","ItemType":"Movie","Name":"Dark Star"}`},
		{"emby playback.start", domain.SourceEmby, `{"Event":"playback.start","Item":{"Type":"Movie","Name":"Dark Star"}}`},
		{"emby notification test", domain.SourceEmby, `{"Title":"Test Notification","Event":"system.notificationtest"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ignore, err := mediaserver.Parse(tt.source, "application/json", strings.NewReader(tt.body))
			if err != nil || !ignore {
				t.Fatalf("Parse: ignore %v, err %v, want ignored", ignore, err)
			}
			checkCommand(t, got, application.ReportPlayCommand{})
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	payload := mustRead(t, "plex_scrobble_guid.json")
	noPayloadType, noPayload := multipartBody(t, "data", payload, []byte("jpeg"))
	thumb := mustRead(t, "plex_scrobble_thumb.multipart")
	tests := []struct {
		name        string
		source      domain.WebhookSource
		contentType string
		body        []byte
	}{
		{"invalid JSON", domain.SourceJellyfin, "application/json", []byte(`{"NotificationType":"PlaybackStop",`)},
		{"trailing garbage", domain.SourceJellyfin, "application/json", []byte(`{"NotificationType":"PlaybackStop"} x`)},
		{"an array", domain.SourceEmby, "application/json", []byte(`[{"Event":"item.markplayed"}]`)},
		{"null", domain.SourceEmby, "application/json", []byte(`null`)},
		{"empty body", domain.SourceJellyfin, "", nil},
		{"a boolean that is no boolean", domain.SourceJellyfin, "application/json",
			[]byte(`{"NotificationType":"PlaybackStop","ItemType":"Movie","PlayedToCompletion":"maybe"}`)},
		{"a year that is an object", domain.SourceEmby, "application/json",
			[]byte(`{"Event":"item.markplayed","Item":{"Type":"Movie","ProductionYear":{"y":1986}}}`)},
		{"plex Guid that is not a list", domain.SourcePlex, "application/json",
			[]byte(`{"event":"media.scrobble","Metadata":{"type":"movie","Guid":"imdb://tt0090728"}}`)},
		{"multipart without boundary", domain.SourcePlex, "multipart/form-data", payload},
		{"multipart with a broken Content-Type", domain.SourcePlex, "multipart/form-data; boundary=", payload},
		{"plex multipart without payload field", domain.SourcePlex, noPayloadType, noPayload},
		{"plex multipart cut short", domain.SourcePlex, "multipart/form-data; boundary=" + plexBoundary, thumb[:len(thumb)/2]},
		{"plex multipart with another boundary", domain.SourcePlex, "multipart/form-data; boundary=other", thumb},
		{"jellyfin never sends multipart", domain.SourceJellyfin, "multipart/form-data; boundary=x", []byte("--x\r\n\r\n{}\r\n--x--\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ignore, err := mediaserver.Parse(tt.source, tt.contentType, bytes.NewReader(tt.body))
			if !errors.Is(err, mediaserver.ErrMalformed) || ignore {
				t.Fatalf("Parse: ignore %v, err %v; want ErrMalformed", ignore, err)
			}
		})
	}
}

// failingReader fails after giving its data.
type failingReader struct{ r io.Reader }

var errConnection = errors.New("connection reset")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errConnection
	}
	return n, err
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	_, _, err := mediaserver.Parse(domain.SourceJellyfin, "application/json", failingReader{strings.NewReader(`{"a":`)})
	if !errors.Is(err, mediaserver.ErrMalformed) || !errors.Is(err, errConnection) {
		t.Fatalf("Parse: %v; want ErrMalformed wrapping the reader's error", err)
	}
	_, _, err = mediaserver.Parse(domain.WebhookSource("kodi"), "application/json", strings.NewReader(`{}`))
	if err == nil || errors.Is(err, mediaserver.ErrMalformed) {
		t.Fatalf("Parse of an unknown source: %v; want an error that is not ErrMalformed", err)
	}
}

// padded returns a Jellyfin completed PlaybackStop padded with spaces to
// size bytes.
func padded(tb testing.TB, size int) []byte {
	tb.Helper()
	payload := mustRead(tb, "jellyfin_playback_stop_completed.json")
	return append(payload, bytes.Repeat([]byte(" "), size-len(payload))...)
}

func TestParseBounds(t *testing.T) {
	t.Parallel()
	const max = mediaserver.MaxPayloadBytes
	plexPayload := func(size int) []byte {
		p := mustRead(t, "plex_scrobble_guid.json")
		return append(p, bytes.Repeat([]byte("\n"), size-len(p))...)
	}
	atBoundType, atBound := multipartBody(t, "payload", plexPayload(max), nil)
	overType, over := multipartBody(t, "payload", plexPayload(max+1), nil)
	embyOverType, embyOver := multipartBody(t, "data", mustRead(t, "emby_playback_stop_completed.json"), make([]byte, max))
	tests := []struct {
		name        string
		source      domain.WebhookSource
		contentType string
		body        []byte
		tooLarge    bool
	}{
		{"JSON body of exactly 1 MiB", domain.SourceJellyfin, "application/json", padded(t, max), false},
		{"JSON body one byte over 1 MiB", domain.SourceJellyfin, "application/json", padded(t, max+1), true},
		{"plex payload field of exactly 1 MiB", domain.SourcePlex, atBoundType, atBound, false},
		{"plex payload field over 1 MiB", domain.SourcePlex, overType, over, true},
		{"emby multipart body over 1 MiB", domain.SourceEmby, embyOverType, embyOver, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := mediaserver.Parse(tt.source, tt.contentType, bytes.NewReader(tt.body))
			if tt.tooLarge != errors.Is(err, mediaserver.ErrTooLarge) || !tt.tooLarge && err != nil {
				t.Fatalf("Parse: %v; want ErrTooLarge: %v", err, tt.tooLarge)
			}
		})
	}
}

// zeros reads n zero bytes without holding them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// plexBodyWithThumb streams a Plex body: the scrobble payload, then a thumb
// of thumbSize bytes generated as it is read.
func plexBodyWithThumb(tb testing.TB, thumbSize int64) (contentType string, body *countingReader, size int64) {
	tb.Helper()
	head := "--" + plexBoundary + "\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n" +
		string(mustRead(tb, "plex_scrobble_guid.json")) +
		"\r\n--" + plexBoundary + "\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"image.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
	tail := "\r\n--" + plexBoundary + "--\r\n"
	r := io.MultiReader(strings.NewReader(head), &zeros{thumbSize}, strings.NewReader(tail))
	return "multipart/form-data; boundary=" + plexBoundary, &countingReader{r: r}, int64(len(head)+len(tail)) + thumbSize
}

// TestParsePlexThumbStreams is not parallel: it measures the bytes the
// process allocates while a 15 MiB thumbnail goes by.
func TestParsePlexThumbStreams(t *testing.T) {
	contentType, body, size := plexBodyWithThumb(t, 15<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cmd, ignore, err := mediaserver.Parse(domain.SourcePlex, contentType, body)
	runtime.ReadMemStats(&after)
	if err != nil || ignore {
		t.Fatalf("Parse: ignore %v, err %v", ignore, err)
	}
	if cmd.ExternalMetadataID != "tt0090728" {
		t.Errorf("ExternalMetadataID = %q", cmd.ExternalMetadataID)
	}
	if body.n != size {
		t.Errorf("read %d bytes of a %d-byte body: the thumb must be read through to count against the bound", body.n, size)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes while a %d-byte body went by", allocated, size)
	if allocated > 2<<20 {
		t.Errorf("allocated %d bytes for a 15 MiB thumb: it must be streamed, not held", allocated)
	}
}

func TestParsePlexThumbOverBound(t *testing.T) {
	t.Parallel()
	contentType, body, _ := plexBodyWithThumb(t, mediaserver.MaxPlexBodyBytes)
	_, _, err := mediaserver.Parse(domain.SourcePlex, contentType, body)
	if !errors.Is(err, mediaserver.ErrTooLarge) {
		t.Fatalf("Parse: %v; want ErrTooLarge", err)
	}
	if body.n > mediaserver.MaxPlexBodyBytes+1 {
		t.Errorf("read %d bytes: reading must stop past the bound", body.n)
	}
}

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		data := mustRead(f, name)
		switch {
		case strings.HasPrefix(name, "plex_") && strings.HasSuffix(name, ".multipart"):
			f.Add(uint8(0), "multipart/form-data; boundary="+plexBoundary, data)
		case strings.HasPrefix(name, "emby_") && strings.HasSuffix(name, ".multipart"):
			f.Add(uint8(2), "multipart/form-data; boundary="+embyBoundary, data)
		case strings.HasPrefix(name, "plex_"):
			ct, body := multipartBody(f, "payload", data, []byte{0xFF, 0xD8})
			f.Add(uint8(0), ct, body)
			f.Add(uint8(0), "application/json", data)
		case strings.HasPrefix(name, "jellyfin_"):
			f.Add(uint8(1), "application/json", data)
		case strings.HasPrefix(name, "emby_"):
			f.Add(uint8(2), "", data)
		}
	}
	f.Add(uint8(1), "text/plain", []byte(`{"PlayedToCompletion":"True","Year":"1e3"}`))
	sources := []domain.WebhookSource{domain.SourcePlex, domain.SourceJellyfin, domain.SourceEmby}
	f.Fuzz(func(t *testing.T, source uint8, contentType string, body []byte) {
		src := sources[int(source)%len(sources)]
		cmd, ignore, err := mediaserver.Parse(src, contentType, bytes.NewReader(body))
		switch {
		case err != nil:
			if !errors.Is(err, mediaserver.ErrMalformed) && !errors.Is(err, mediaserver.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrMalformed nor ErrTooLarge: %v", err)
			}
		case ignore:
			if cmd != (application.ReportPlayCommand{}) {
				t.Fatalf("an ignored payload returned %+v", cmd)
			}
		case cmd.Kind != domain.PlayWatched && cmd.Kind != domain.PlayRated:
			t.Fatalf("kind %q", cmd.Kind)
		case cmd.Kind == domain.PlayRated && cmd.Rating == nil:
			t.Fatal("a rated play without rating")
		}
	})
}
