package presentation_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAPITokensNeverReachTheLog: a personal API token that is created,
// used, revoked and then refused appears nowhere in the server's log, at
// DEBUG level, and neither does the Authorization header.
func TestAPITokensNeverReachTheLog(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	jwt := a.token()
	bearer := func(method, path, token, body string) *http.Response {
		h := http.Header{"Authorization": {"Bearer " + token}}
		if body != "" {
			h.Set("Content-Type", "application/json")
		}
		return a.do(request{method: method, path: path, body: body, header: h})
	}
	res := bearer(http.MethodPost, "/api/tokens", jwt, `{"name":"phone"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/tokens = %d: %s", res.StatusCode, readBody(t, res))
	}
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	decodeJSONBody(t, res, &created)
	review := `{"manual_title":"Logged by a token","manual_release_year":2001,"rating":4.5,"watched_at":"2024-02-03T04:05:06"}`
	if res := bearer(http.MethodPost, "/api/reviews", created.Token, review); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/reviews with the token = %d: %s", res.StatusCode, readBody(t, res))
	}
	if res := bearer(http.MethodDelete, "/api/tokens/"+created.ID, created.Token, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /api/tokens/{id} = %d: %s", res.StatusCode, readBody(t, res))
	}
	wantProblem(t, bearer(http.MethodGet, "/api/tokens", created.Token, ""), http.StatusUnauthorized)

	logs := a.logs.String()
	if !strings.Contains(logs, "route=/api/tokens") {
		t.Fatalf("the requests were not logged at all:\n%s", logs)
	}
	for _, secret := range []string{created.Token, created.Token[len(created.Token)-20:], jwt, "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

// TestTokenListNeverShowsTheToken: GET /api/tokens lists every field but
// the token itself.
func TestTokenListNeverShowsTheToken(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	jwt := a.token()
	res := a.do(request{method: http.MethodPost, path: "/api/tokens", body: `{"name":"script","expires_at":"2099-01-01T00:00:00Z"}`,
		header: http.Header{"Authorization": {"Bearer " + jwt}, "Content-Type": {"application/json"}}})
	var created struct {
		Token string `json:"token"`
	}
	decodeJSONBody(t, res, &created)
	res = a.do(request{method: http.MethodGet, path: "/api/tokens", header: http.Header{"Authorization": {"Bearer " + jwt}}})
	body := readBody(t, res)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("GET /api/tokens = %d %s (%v)", res.StatusCode, body, err)
	}
	if _, ok := list.Items[0]["token"]; ok || created.Token == "" || strings.Contains(body, created.Token) {
		t.Errorf("the list shows the token: %s", body)
	}
	if list.Items[0]["last_used_at"] != nil || list.Items[0]["expires_at"] != "2099-01-01T00:00:00Z" {
		t.Errorf("listed %v, want last_used_at null and the expiry", list.Items[0])
	}
}
