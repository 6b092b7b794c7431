package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDiary stands in for moviediary's database: the reviews every fake
// process logs and reads, in commit order.
type fakeDiary struct {
	mu      sync.Mutex
	reviews []fakeReview
}

type fakeReview struct {
	user      string
	id        string
	watchedAt string
	rating    float64
	committed time.Time
}

// fakeProcess stands in for one moviediary process: its JSON reads show
// a review jsonLag after its commit, its HTML and RSS pages pageLag after
// (0: at once, as a correct cache does).
type fakeProcess struct {
	diary            *fakeDiary
	jsonLag, pageLag time.Duration
}

// fakeUserID is the user ID of the account an email signs in.
func fakeUserID(email string) string {
	sum := sha256.Sum256([]byte(email))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func (p *fakeProcess) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Email, Password string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Password != "pw" {
			http.Error(w, "bad login", http.StatusUnauthorized)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": "t-" + req.Email, "user_id": fakeUserID(req.Email)})
	})
	mux.HandleFunc("POST /api/reviews", func(w http.ResponseWriter, r *http.Request) {
		email, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer t-")
		if !ok {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		var req struct {
			Rating    float64 `json:"rating"`
			WatchedAt string  `json:"watched_at"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d := p.diary
		d.mu.Lock()
		rv := fakeReview{user: fakeUserID(email), id: fmt.Sprintf("019a0000-0000-7000-8000-%012x", len(d.reviews)+1),
			watchedAt: req.WatchedAt, rating: req.Rating, committed: time.Now()}
		d.reviews = append(d.reviews, rv)
		d.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"review": map[string]any{"id": rv.id, "user_id": rv.user, "watched_at": rv.watchedAt}})
	})
	mux.HandleFunc("GET /api/diary", func(w http.ResponseWriter, r *http.Request) {
		limit := 20
		if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil {
			limit = l
		}
		items := []map[string]any{}
		for _, rv := range p.visible(p.jsonLag, r.URL.Query().Get("user_id"), limit) {
			items = append(items, map[string]any{"movie": map[string]any{"title": "Film"},
				"review": map[string]any{"id": rv.id, "user_id": rv.user, "watched_at": rv.watchedAt, "rating": rv.rating}})
		}
		body, _ := json.Marshal(map[string]any{"items": items})
		serve(w, r, "application/json", body)
	})
	page := func(user string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			b.WriteString("<ul>")
			for _, rv := range p.visible(p.pageLag, cmpOr(r.PathValue("id"), user), 20) {
				fmt.Fprintf(&b, "<li>%s %s %.1f</li>", rv.id, rv.watchedAt, rv.rating)
			}
			serve(w, r, "text/html", []byte(b.String()))
		}
	}
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello\n")) })
	mux.HandleFunc("GET /diary", page(""))
	mux.HandleFunc("GET /feed.rss", page(""))
	mux.HandleFunc("GET /users/{id}", page(""))
	return mux
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// visible returns the newest limit reviews (of user, if not empty)
// committed at least lag ago, newest first.
func (p *fakeProcess) visible(lag time.Duration, user string, limit int) []fakeReview {
	cutoff := time.Now().Add(-lag)
	p.diary.mu.Lock()
	var out []fakeReview
	for _, rv := range p.diary.reviews {
		if (user == "" || rv.user == user) && !rv.committed.After(cutoff) {
			out = append(out, rv)
		}
	}
	p.diary.mu.Unlock()
	slices.SortFunc(out, func(a, b fakeReview) int {
		return strings.Compare(b.watchedAt+b.id, a.watchedAt+a.id)
	})
	return out[:min(limit, len(out))]
}

// serve answers body with a strong ETag, or 304 when If-None-Match has it.
func serve(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TestLoadFindsStaleReads runs the mixed load against fake processes that
// are fresh, behind within the bound, or deliberately stale, and checks
// that exactly the stale ones are reported.
func TestLoadFindsStaleReads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second of load per case")
	}
	t.Parallel()
	type lags struct{ json, page time.Duration }
	tests := []struct {
		name       string
		a, b       lags
		wantStaleA bool
		wantStaleB bool
		// staleKinds: the kinds of page that must have stale reads.
		staleKinds []pageKind
		wantBehind bool // B must have been seen behind within its bound
	}{
		{name: "both fresh"},
		{name: "B behind within its bound", b: lags{30 * ms1, 30 * ms1}, wantBehind: true},
		{name: "B past its bound", b: lags{300 * ms1, 300 * ms1}, wantStaleB: true,
			staleKinds: []pageKind{diaryJSON, userJSON, diaryHTML, feedRSS, userHTML}},
		{name: "B's HTML and RSS past its bound, its JSON fresh", b: lags{0, 300 * ms1}, wantStaleB: true,
			staleKinds: []pageKind{diaryHTML, feedRSS, userHTML}},
		{name: "A does not show its own writes at once", a: lags{20 * ms1, 20 * ms1}, wantStaleA: true,
			staleKinds: []pageKind{diaryJSON, userJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			diary := &fakeDiary{}
			a := httptest.NewServer((&fakeProcess{diary: diary, jsonLag: tt.a.json, pageLag: tt.a.page}).handler())
			defer a.Close()
			b := httptest.NewServer((&fakeProcess{diary: diary, jsonLag: tt.b.json, pageLag: tt.b.page}).handler())
			defer b.Close()
			cfg := config{
				Targets: [2]string{a.URL, b.URL}, Bounds: [2]time.Duration{0, 100 * ms1},
				Emails: []string{"w1@example.com", "w2@example.com"}, Password: "pw", IMDbIDs: []string{"tt00000001"},
				Duration: time.Second, Concurrency: 6, WriteFraction: 0.05, Revalidate: 0.3, Timeout: 5 * time.Second, Seed: 1,
				Hello: a.URL + "/hello", HelloDuration: 200 * ms1,
			}
			h, err := load(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			s := summarize(cfg, h)
			var out strings.Builder
			s.print(&out, cfg)
			t.Log("\n" + out.String())
			if s.Failed > 0 || s.ETagConflicts > 0 {
				t.Fatalf("failed requests %d, ETag conflicts %d: %v", s.Failed, s.ETagConflicts, s.Errors)
			}
			if s.HelloRPS == 0 {
				t.Errorf("no yardstick: %+v", h.Hello)
			}
			if s.Writes < 10 || s.NotModified == 0 {
				t.Fatalf("only %d writes, %d revalidated reads: the load did too little to judge", s.Writes, s.NotModified)
			}
			for i, want := range []bool{tt.wantStaleA, tt.wantStaleB} {
				if p := s.Process[i]; (p.Stale > 0) != want || p.Checked == 0 {
					t.Errorf("process %s: %d stale of %d checked, want stale reads: %t", processNames[i], p.Stale, p.Checked, want)
				}
			}
			for _, k := range tt.staleKinds {
				if s.Kinds[k].Stale == 0 {
					t.Errorf("%s: no stale read found", k)
				}
			}
			if tt.wantBehind && s.Process[1].Behind == 0 {
				t.Errorf("B: no read seen behind within its bound")
			}
			if (s.err() != nil) != (tt.wantStaleA || tt.wantStaleB) {
				t.Errorf("err() = %v", s.err())
			}
		})
	}
}
