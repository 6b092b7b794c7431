package presentation_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOwnerLoginUnderFlood measures the owner's login latency while other
// addresses flood the server; it is a measurement, not a check, and runs
// only when asked (it keeps every core busy for a few minutes):
//
//	MOVIEDIARY_FLOOD=1 go test -count=1 -timeout 60m -run TestOwnerLoginUnderFlood -v ./presentation/
//
// Each scenario starts 400 concurrent clients that send requests back to
// back, through a trusted 127.0.0.1 with X-Forwarded-For, as behind a
// reverse proxy. "many addresses": every request from an address of its
// own, so the per-IP limit never stops them (the worst case: an attacker
// with many addresses); "400 addresses": each client keeps its address
// and so stays within its 10 attempts a minute. After a warm-up the owner
// logs in 10 times, one after the other, giving up after a minute (status
// 0): from "a new address" each time, or from "its usual address", the
// one it signed up from. The figures are logged.
func TestOwnerLoginUnderFlood(t *testing.T) {
	if os.Getenv("MOVIEDIARY_FLOOD") == "" {
		t.Skip("a measurement: set MOVIEDIARY_FLOOD=1 to run it")
	}
	const (
		flooders  = 400
		samples   = 10
		warmUp    = 3 * time.Second
		giveUp    = time.Minute // an owner login slower than this counts as failed
		ownerAddr = "203.0.113.7"
	)
	badLogin := func(n int64) (string, string) {
		return "/api/auth/login", fmt.Sprintf(`{"email":"guess%d@example.com","password":"wrong password %d"}`, n, n)
	}
	badOwnerLogin := func(n int64) (string, string) {
		return "/api/auth/login", fmt.Sprintf(`{"email":%q,"password":"wrong password %d"}`, ownerEmail, n)
	}
	signUp := func(n int64) (string, string) {
		return "/api/auth/register", fmt.Sprintf(`{"email":"guest%d@example.com","password":"long enough password"}`, n)
	}
	scenarios := []struct {
		name       string
		flood      func(n int64) (path, body string)
		fixedAddrs bool // each flooder keeps one address
		usualAddr  bool // the owner logs in from the address it signed up from
	}{
		{"no flood, a new address", nil, false, false},
		{"400 bad logins from many addresses, owner from a new address", badLogin, false, false},
		{"400 bad logins from many addresses, owner from its usual address", badLogin, false, true},
		{"400 bad logins of the owner's email from many addresses, owner from its usual address", badOwnerLogin, false, true},
		{"400 bad logins from 400 addresses, owner from a new address", badLogin, true, false},
		{"400 closed sign-ups from many addresses, owner from a new address", signUp, false, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
			srv := httptest.NewServer(a.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * flooders}}
			defer client.CloseIdleConnections()

			var addr atomic.Int64
			freshAddr := func() string {
				n := addr.Add(1)
				return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
			}
			post := func(ctx context.Context, from, path, body string) (int, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, bytes.NewBufferString(body))
				if err != nil {
					return 0, err
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", from)
				res, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				return res.StatusCode, nil
			}
			// The owner signs up from its usual address: sign-up is closed.
			good := fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword)
			if status, err := post(t.Context(), ownerAddr, "/api/auth/register", good); err != nil || status != http.StatusCreated {
				t.Fatalf("owner sign-up: %d %v", status, err)
			}

			ctx, stop := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			var mu sync.Mutex
			floodStatus := map[int]int{}
			if sc.flood != nil {
				for range flooders {
					wg.Go(func() {
						mine := freshAddr()
						for ctx.Err() == nil {
							from := mine
							if !sc.fixedAddrs {
								from = freshAddr()
							}
							path, body := sc.flood(addr.Load())
							status, err := post(ctx, from, path, body)
							if err != nil {
								continue
							}
							mu.Lock()
							floodStatus[status]++
							mu.Unlock()
						}
					})
				}
				time.Sleep(warmUp) // a measurement: let the flood build up
			}

			var took []time.Duration
			ownerStatus := map[int]int{}
			began := time.Now()
			for range samples {
				from := ownerAddr
				if !sc.usualAddr {
					from = "198.51.100." + fmt.Sprint(len(took)+1)
				}
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), giveUp)
				status, err := post(ctx, from, "/api/auth/login", good)
				cancel()
				if err != nil {
					status = 0 // gave up waiting
				}
				took = append(took, time.Since(start))
				ownerStatus[status]++
			}
			elapsed := time.Since(began)
			stop()
			wg.Wait()

			slices.Sort(took)
			pct := func(p float64) time.Duration { return took[int(p*float64(len(took)-1)+0.5)] }
			mu.Lock()
			defer mu.Unlock()
			t.Logf("owner login over %d tries in %s: median %s, p95 %s, max %s; owner statuses %v; flood statuses %v",
				samples, elapsed.Round(time.Millisecond), pct(0.5).Round(time.Millisecond), pct(0.95).Round(time.Millisecond),
				took[len(took)-1].Round(time.Millisecond), ownerStatus, floodStatus)
		})
	}
}
