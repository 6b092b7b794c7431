package e2e_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// TestWholeDiaryNamesItsAuthors: the whole diary's page and feed name who
// logged each entry by their public name — a display name, or "Diarist"
// and the end of the account's ID — linked to their page; a new name shows
// on the next read; one user's page names nobody per entry; a private
// diary's author is not named to others, and no email is shown.
func TestWholeDiaryNamesItsAuthors(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		annToken, ann := s.account(t, "ann-author@example.com")
		bobToken, bob := s.account(t, "bob-author@example.com")
		s.setProfile(t, annToken, map[string]any{"display_name": "Ann <Author>"})
		s.logReview(t, annToken, map[string]any{"manual_title": "Authored One", "manual_release_year": 2001, "watched_at": watched(0)})
		s.logReview(t, bobToken, map[string]any{"manual_title": "Authored Two", "manual_release_year": 2002, "watched_at": watched(1)})
		bobName := "Diarist " + bob[len(bob)-8:]

		page := func(path string) string {
			t.Helper()
			r := s.get(t, path)
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %s", path, r)
			}
			body := string(r.Body)
			if strings.Contains(body, "@example.com") {
				t.Fatalf("GET %s shows an email address", path)
			}
			return body
		}
		byLink := func(id, escapedName string) string {
			return `by <a href="/users/` + id + `">` + escapedName + `</a>`
		}
		creators := func() map[string]string {
			t.Helper()
			var feed struct {
				Items []struct {
					Title   string `xml:"title"`
					Creator string `xml:"http://purl.org/dc/elements/1.1/ creator"`
				} `xml:"channel>item"`
			}
			if err := xml.Unmarshal([]byte(page("/feed.rss")), &feed); err != nil {
				t.Fatalf("feed: %v", err)
			}
			out := map[string]string{}
			for _, it := range feed.Items {
				out[it.Title] = it.Creator
			}
			return out
		}

		diary := page("/diary")
		for _, want := range []string{byLink(ann, "Ann &lt;Author&gt;"), byLink(bob, bobName)} {
			if !strings.Contains(diary, want) {
				t.Errorf("/diary does not show %q", want)
			}
		}
		if got := creators(); got["Authored One (2001)"] != "Ann <Author>" || got["Authored Two (2002)"] != bobName {
			t.Errorf("/feed.rss dc:creator = %v, want Ann <Author> and %s", got, bobName)
		}
		if user := page("/users/" + ann); strings.Contains(user, "by <a href=") {
			t.Errorf("Ann's own page names authors per entry")
		}

		// A new name shows on the next read of the cached page and feed.
		s.setProfile(t, annToken, map[string]any{"display_name": "Ann Renamed"})
		if diary := page("/diary"); !strings.Contains(diary, byLink(ann, "Ann Renamed")) || strings.Contains(diary, "Ann &lt;Author&gt;") {
			t.Errorf("/diary after the rename does not show the new name only")
		}
		if got := creators(); got["Authored One (2001)"] != "Ann Renamed" {
			t.Errorf("/feed.rss after the rename: dc:creator = %v", got)
		}

		// A private diary's author is named to nobody else.
		s.setProfile(t, bobToken, map[string]any{"private": true})
		if diary := page("/diary"); strings.Contains(diary, bobName) || strings.Contains(diary, "/users/"+bob) {
			t.Errorf("/diary names the author of a private diary")
		}
		if got := creators(); got["Authored Two (2002)"] != "" {
			t.Errorf("/feed.rss names the author of a private diary: %v", got)
		}
	})
}
