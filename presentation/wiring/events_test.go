package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
	"github.com/moviediary/moviediary/presentation/wiring"
)

func TestEventBusConfig(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, nil)
	if cfg.EventBus != wiring.EventBusOutbox || cfg.EventConcurrency != 4 || cfg.EventLease != 6*time.Second ||
		cfg.EventPollInterval != 500*time.Millisecond || !cfg.EventDispatch {
		t.Errorf("defaults: bus %q, concurrency %d, lease %v, poll %v, dispatch %v",
			cfg.EventBus, cfg.EventConcurrency, cfg.EventLease, cfg.EventPollInterval, cfg.EventDispatch)
	}
	cfg, _ = testConfig(t, map[string]string{"EVENT_BUS": "Channel", "EVENT_CONCURRENCY": "16", "EVENT_LEASE": "5m",
		"EVENT_POLL_INTERVAL": "50ms", "EVENT_DISPATCH": "false"})
	if cfg.EventBus != wiring.EventBusChannel || cfg.EventConcurrency != 16 || cfg.EventLease != 5*time.Minute ||
		cfg.EventPollInterval != 50*time.Millisecond || cfg.EventDispatch {
		t.Errorf("set: %+v", cfg)
	}
	for _, tc := range []struct{ name, value string }{
		{"EVENT_BUS", "kafka"},
		{"EVENT_CONCURRENCY", "0"},
		{"EVENT_CONCURRENCY", "many"},
		{"EVENT_LEASE", "100ms"},
		{"EVENT_LEASE", "soon"},
		{"EVENT_POLL_INTERVAL", "0s"},
		{"EVENT_DISPATCH", "maybe"},
	} {
		_, err := wiring.LoadConfig(func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		var ce *wiring.ConfigError
		if !errors.As(err, &ce) || ce.Var != tc.name {
			t.Errorf("%s=%s: err = %v, want a ConfigError naming it", tc.name, tc.value, err)
		}
	}
}

// TestWorkBackfillsAndSyncsPosters: a diary from before the outbox holds a
// film with an IMDb ID and no poster; `moviediary worker` gives it a sync
// event at start and stores the poster, then stops when cancelled.
func TestWorkBackfillsAndSyncsPosters(t *testing.T) {
	t.Parallel()
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	posters := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(img.Bytes())
	}))
	defer posters.Close()
	omdb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"Title": "Heat", "Year": "1995", "Director": "Michael Mann",
			"Poster": posters.URL + "/heat.png", "imdbID": r.URL.Query().Get("i"), "Type": "movie", "Response": "True"})
	}))
	defer omdb.Close()
	cfg, _ := testConfig(t, map[string]string{"OMDB_API_KEY": "test", "OMDB_BASE_URL": omdb.URL + "/",
		"POSTER_FETCH_ALLOW_PRIVATE": "true", "EVENT_POLL_INTERVAL": "20ms"})

	// The old diary: saved without the outbox.
	ctx := context.Background()
	old := cfg
	old.EventBus = wiring.EventBusChannel
	store, err := wiring.OpenStore(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	user := porttest.NewUser(t, "owner@example.com")
	if err := store.Users().SaveUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	movie := porttest.NewMovie(t, porttest.NewExternalID(t), "Heat", 1995, "Michael Mann")
	if _, err := store.Movies().SaveViewing(ctx, domain.Viewing{Movie: movie, Review: porttest.NewReview(t, movie.ID, user.ID, 5, porttest.FixtureTime)}); err != nil {
		t.Fatal(err)
	}

	logs := &syncBuffer{}
	workCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- wiring.Work(workCtx, cfg, wiring.NewLogger(logs, cfg)) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := store.Movies().MovieByID(ctx, movie.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.HasPoster() {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no poster stored by the worker; log:\n%s", logs)
		}
		select {
		case err := <-done:
			t.Fatalf("Work returned early: %v; log:\n%s", err, logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Work = %v after cancel, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Work did not return after cancel")
	}
	_ = store.Close()
	for _, want := range []string{`msg="poster backfill" events=1`, "moviediary worker running", "event=movie_discovered", "outbox dispatcher stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestWorkNeedsTheOutbox(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, map[string]string{"EVENT_BUS": "channel"})
	var ce *wiring.ConfigError
	if err := wiring.Work(context.Background(), cfg, discardLogger()); !errors.As(err, &ce) || ce.Var != "EVENT_BUS" {
		t.Errorf("Work with EVENT_BUS=channel = %v, want a ConfigError naming EVENT_BUS", err)
	}
}

func TestEventsCommandsOnAnEmptyOutbox(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, nil)
	var out bytes.Buffer
	if err := wiring.ListDeadEvents(context.Background(), cfg, &out, 10); err != nil || strings.TrimSpace(out.String()) != "no dead events" {
		t.Errorf("ListDeadEvents = %v, %q", err, out.String())
	}
	for _, id := range []string{"nonsense", domain.NewEventID().String()} {
		if err := wiring.RetryEvent(context.Background(), cfg, discardLogger(), id); !errors.Is(err, wiring.ErrUnknownEvent) {
			t.Errorf("RetryEvent(%s) = %v, want ErrUnknownEvent", id, err)
		}
	}
}

func TestNATSConfig(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, nil)
	if cfg.NATSURL != "nats://127.0.0.1:4222" || cfg.NATSStream != "MOVIEDIARY_EVENTS" ||
		cfg.NATSSubjectPrefix != "moviediary.events" || cfg.NATSDurable != "moviediary-handlers" {
		t.Errorf("defaults: %q %q %q %q", cfg.NATSURL, cfg.NATSStream, cfg.NATSSubjectPrefix, cfg.NATSDurable)
	}
	cfg, _ = testConfig(t, map[string]string{"EVENT_BUS": "NATS", "NATS_URL": "nats://u:secret@a:4222,nats://b:4222",
		"NATS_STREAM": "DIARY", "NATS_SUBJECT_PREFIX": "diary.ev", "NATS_DURABLE": "workers"})
	if cfg.EventBus != wiring.EventBusNATS || cfg.NATSURL != "nats://u:secret@a:4222,nats://b:4222" ||
		cfg.NATSStream != "DIARY" || cfg.NATSSubjectPrefix != "diary.ev" || cfg.NATSDurable != "workers" {
		t.Errorf("set: %+v", cfg)
	}
	var logged bytes.Buffer
	wiring.NewLogger(&logged, cfg).Info("start", "config", cfg)
	if strings.Contains(logged.String(), "secret") || !strings.Contains(logged.String(), "nats://b:4222") {
		t.Errorf("start-up log shows the NATS password or lacks the URLs: %s", logged.String())
	}
	for _, tc := range []struct{ name, value string }{
		{"NATS_URL", "::"},
		{"NATS_STREAM", "a.b"},
		{"NATS_DURABLE", "x/y"},
		{"NATS_SUBJECT_PREFIX", "a..b"},
		{"NATS_SUBJECT_PREFIX", "a.*"},
	} {
		_, err := wiring.LoadConfig(func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		var ce *wiring.ConfigError
		if !errors.As(err, &ce) || ce.Var != tc.name {
			t.Errorf("%s=%s: err = %v, want a ConfigError naming it", tc.name, tc.value, err)
		}
	}
}
