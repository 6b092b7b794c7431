package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTokenAddThenRevokedEverywhere: `moviediary token add` prints a
// personal API token that logs films on either of two servers sharing one
// PostgreSQL database; revoked on A, it is refused by A at once and by B
// within a second (B's credential cache lives AUTH_CACHE_TTL, 500 ms).
func TestTokenAddThenRevokedEverywhere(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "postgres")
	a, baseA := d.serve()
	b, baseB := d.serve()
	signIn(t, baseA) // creates owner@example.com

	code, stdout, stderr := d.run("token", "add", "--email", "owner@example.com", "--name", "phone shortcut")
	if code != 0 {
		t.Fatalf("token add: exit %d; stderr:\n%s", code, stderr)
	}
	token := strings.TrimSpace(stdout)
	if !strings.HasPrefix(token, "mdpat_") || len(token) < len("mdpat_")+43 || strings.Contains(token, "\n") {
		t.Fatalf("token add printed %q, want one mdpat_ token of at least 256 bits", stdout)
	}
	if strings.Contains(stderr, token) {
		t.Error("token add logged the token")
	}
	review := map[string]any{"manual_title": "Token Film", "manual_release_year": 2001, "rating": 3.5, "watched_at": "2024-05-01T20:00:00"}
	for _, base := range []string{baseA, baseB} {
		if code := postJSON(t, base, "/api/reviews", token, review, nil); code != http.StatusCreated {
			t.Fatalf("POST /api/reviews with the token on %s = %d, want 201", base, code)
		}
	}

	var list struct {
		Items []struct {
			ID, Name, Prefix string
			LastUsedAt       *string `json:"last_used_at"`
		}
	}
	getJSON(t, baseA, "/api/tokens", token, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "phone shortcut" || !strings.HasPrefix(token, list.Items[0].Prefix) || list.Items[0].LastUsedAt == nil {
		t.Fatalf("GET /api/tokens = %+v, want the one token, its prefix and a last use", list.Items)
	}

	req, _ := http.NewRequest(http.MethodDelete, baseA+"/api/tokens/"+list.Items[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /api/tokens/{id} = %d, want 204", res.StatusCode)
	}
	revoked := time.Now()
	if code := postJSON(t, baseA, "/api/reviews", token, review, nil); code != http.StatusUnauthorized {
		t.Errorf("A right after revoking: %d, want 401", code)
	}
	for postJSON(t, baseB, "/api/reviews", token, review, nil) != http.StatusUnauthorized {
		if time.Since(revoked) > time.Second {
			t.Fatal("B still accepts the revoked token after 1 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.stop(syscall.SIGTERM)
	b.stop(syscall.SIGTERM)
}

// TestTokenAddRefusesUnknownAccounts: no account, no token; bad flags are
// usage errors.
func TestTokenAddRefusesUnknownAccounts(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "sqlite")
	if code, stdout, stderr := d.run("token", "add", "--email", "nobody@example.com", "--name", "x"); code != 1 || stdout != "" || !strings.Contains(stderr, "no account with email nobody@example.com") {
		t.Errorf("token add for an unknown account: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"token", "add", "--email", "a@example.com"},
		{"token", "add", "--email", "a@example.com", "--name", "x", "--expires", "soon"},
		{"token", "list"},
	} {
		if code, _, stderr := d.run(args...); code != 2 || !strings.Contains(stderr, "token") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error (2)", args, code, stderr)
		}
	}
}

// getJSON gets base+path with a bearer token and decodes the 200 answer.
func getJSON(t *testing.T, base, path, token string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" { // an empty bearer token is refused, as any other bad one
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: decode %s: %v", path, b, err)
	}
}
