package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkWebhookDeliveriesOMDbDown measures how fast webhook deliveries
// are answered while OMDb is down: each iteration sends 200 distinct
// Jellyfin plays at once to the real binary wiring on SQLite, with the fake
// OMDb answering 503, and every answer must be 200. It reports the median
// and 99th percentile answer latency over all deliveries, in ms/median and
// ms/p99 (the target: a median of at most 100 ms). The viewings are logged
// in the background meanwhile, as in production.
func BenchmarkWebhookDeliveriesOMDbDown(b *testing.B) {
	const concurrent = 200
	s := startApp(b, "sqlite", withEnv("OMDB_DAILY_LIMIT", "0")) // no OMDb budget to run out of
	s.omdb.down.Store(true)
	path := benchWebhook(b, s)
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 2 * concurrent, MaxIdleConnsPerHost: 2 * concurrent},
	}
	defer client.CloseIdleConnections()

	var latencies []time.Duration
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for iter := 0; b.Loop(); iter++ {
		bodies := make([][]byte, concurrent)
		for i := range bodies {
			// Distinct plays: a film per delivery, an hour per iteration.
			n := (iter*concurrent + i) % 100000
			bodies[i] = jellyfinPlay(fmt.Sprintf("%s%05d", generatedIDPrefix, n), at.Add(time.Duration(iter)*time.Hour))
		}
		took := make([]time.Duration, concurrent)
		errs := make([]error, concurrent)
		var wg sync.WaitGroup
		for i := range concurrent {
			wg.Go(func() {
				start := time.Now()
				res, err := client.Post(s.base+path, "application/json", bytes.NewReader(bodies[i]))
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				took[i], errs[i] = time.Since(start), err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatalf("delivery: %v", err)
			}
		}
		latencies = append(latencies, took...)
	}
	b.StopTimer()
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "ms/median")
	b.ReportMetric(ms(0.99), "ms/p99")
}

// benchWebhook registers an account and creates a Jellyfin webhook through
// the API; it returns the webhook's path.
func benchWebhook(b *testing.B, s *server) string {
	b.Helper()
	post := func(path string, body any, token string, want int) []byte {
		raw, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		h := map[string]string{"Content-Type": "application/json"}
		if token != "" {
			h["Authorization"] = "Bearer " + token
		}
		r, _, err := s.send(http.MethodPost, path, raw, h)
		if err != nil || r.Status != want {
			b.Fatalf("POST %s: %v %s", path, err, r)
		}
		return r.Body
	}
	creds := map[string]string{"email": "bench@example.com", "password": "correct horse battery"}
	post("/api/auth/register", creds, "", http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(post("/api/auth/login", creds, "", http.StatusOK), &login); err != nil {
		b.Fatal(err)
	}
	var hook struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(post("/api/webhooks", map[string]any{"source": "jellyfin"}, login.Token, http.StatusCreated), &hook); err != nil {
		b.Fatal(err)
	}
	path, ok := strings.CutPrefix(hook.URL, webhookBase)
	if !ok {
		b.Fatalf("webhook URL %q is not under %s", hook.URL, webhookBase)
	}
	return path
}

// jellyfinPlay is a Jellyfin PlaybackStop, played to completion, of the
// generated film id (generatedFilm) at at.
func jellyfinPlay(id string, at time.Time) []byte {
	f, _ := generatedFilm(id)
	raw, _ := json.Marshal(map[string]any{
		"NotificationType": "PlaybackStop", "ItemType": "Movie", "PlayedToCompletion": true,
		"Provider_imdb": id, "Name": f.Title, "Year": 2001, "UtcTimestamp": at.Format(time.RFC3339),
	})
	return raw
}
