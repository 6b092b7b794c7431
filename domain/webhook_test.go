package domain_test

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// hookNow is the clock of the webhook and play tests.
var hookNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestParseWebhookSource(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plex", "jellyfin", "emby"} {
		got, err := domain.ParseWebhookSource(s)
		if err != nil || string(got) != s {
			t.Errorf("ParseWebhookSource(%q) = %q, %v; want %q", s, got, err, s)
		}
	}
	for _, s := range []string{"", "Plex", "PLEX", " plex", "plex ", "kodi", "plex/emby"} {
		got, err := domain.ParseWebhookSource(s)
		if got != "" {
			t.Errorf("ParseWebhookSource(%q) = %q, want none", s, got)
		}
		checkFieldErr(t, err, "source")
	}
}

func TestNewWebhookSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 64 {
		s := domain.NewWebhookSecret()
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("secret %q is not unpadded URL-safe base64: %v", s, err)
		}
		if len(raw) < 16 {
			t.Fatalf("secret %q holds %d bytes, want at least 128 bits", s, len(raw))
		}
		if len(raw) != 32 {
			t.Errorf("secret %q holds %d bytes, want the documented 256 bits", s, len(raw))
		}
		if seen[s] {
			t.Fatalf("secret %q made twice", s)
		}
		seen[s] = true
	}
}

func TestHashWebhookSecret(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"
	want := sha256.Sum256([]byte(secret))
	if got := domain.HashWebhookSecret(secret); got != domain.WebhookSecretHash(want) {
		t.Errorf("HashWebhookSecret = %x, want the SHA-256 %x", got, want)
	}
	if domain.HashWebhookSecret(secret) == domain.HashWebhookSecret(secret+"x") {
		t.Error("two secrets hash alike")
	}
}

func TestNewWebhook(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	at := time.Date(2025, 6, 1, 14, 0, 0, 123_456_789, time.FixedZone("CEST", 2*60*60))
	tests := []struct {
		name        string
		source      domain.WebhookSource
		plexAccount string
		wantAccount string
	}{
		{"a plex webhook for every account", domain.SourcePlex, "", ""},
		{"a plex webhook for one account, trimmed", domain.SourcePlex, "  alice \t", "alice"},
		{"a plex account of 255 characters", domain.SourcePlex, strings.Repeat("é", 255), strings.Repeat("é", 255)},
		{"a jellyfin webhook", domain.SourceJellyfin, "", ""},
		{"an emby webhook with a blank account", domain.SourceEmby, "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook, secret, err := domain.NewWebhook(user, tt.source, tt.plexAccount, at)
			if err != nil {
				t.Fatalf("NewWebhook: %v", err)
			}
			if hook.ID.IsZero() || hook.UserID != user || hook.Source != tt.source || hook.PlexAccount != tt.wantAccount {
				t.Errorf("webhook %+v, want user %v, source %q, account %q", hook, user, tt.source, tt.wantAccount)
			}
			if want := time.Date(2025, 6, 1, 12, 0, 0, 123_456_000, time.UTC); !hook.CreatedAt.Equal(want) || hook.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt = %v, want %v (UTC, microseconds)", hook.CreatedAt, want)
			}
			if !hook.LastUsedAt.IsZero() {
				t.Errorf("LastUsedAt = %v, want never used", hook.LastUsedAt)
			}
			if secret == "" || hook.SecretHash != domain.HashWebhookSecret(secret) {
				t.Errorf("SecretHash is not the hash of the secret %q", secret)
			}
			if strings.Contains(hook.PlexAccount+hook.ID.String(), secret) {
				t.Error("the record holds the secret")
			}
		})
	}
	t.Run("each webhook gets its own ID and secret", func(t *testing.T) {
		t.Parallel()
		a, sa, _ := domain.NewWebhook(user, domain.SourcePlex, "", at)
		b, sb, _ := domain.NewWebhook(user, domain.SourcePlex, "", at)
		if a.ID == b.ID || sa == sb || a.SecretHash == b.SecretHash {
			t.Errorf("two webhooks share an ID or a secret: %v/%v", a.ID, b.ID)
		}
	})
}

func TestNewWebhook_Validates(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	tests := []struct {
		name        string
		user        domain.UserID
		source      domain.WebhookSource
		plexAccount string
		want        []string
	}{
		{"no user", domain.UserID{}, domain.SourcePlex, "", []string{"user_id"}},
		{"an unknown source", user, "kodi", "", []string{"source"}},
		{"a plex account on a jellyfin webhook", user, domain.SourceJellyfin, "alice", []string{"plex_account"}},
		{"a plex account on an emby webhook", user, domain.SourceEmby, "alice", []string{"plex_account"}},
		{"a plex account of 256 characters", user, domain.SourcePlex, strings.Repeat("a", 256), []string{"plex_account"}},
		{"a plex account with a control character", user, domain.SourcePlex, "ali\x00ce", []string{"plex_account"}},
		{"a plex account with a line break inside", user, domain.SourcePlex, "ali\nce", []string{"plex_account"}},
		{"a plex account that is not UTF-8", user, domain.SourcePlex, "ali\xffce", []string{"plex_account"}},
		{"everything at once", domain.UserID{}, "", "alice", []string{"user_id", "source", "plex_account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook, secret, err := domain.NewWebhook(tt.user, tt.source, tt.plexAccount, hookNow)
			if got := validationFields(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (error: %v)", got, tt.want, err)
			}
			if hook != (domain.Webhook{}) || secret != "" {
				t.Errorf("a refused webhook came with %+v and a secret %q", hook, secret)
			}
		})
	}
}

func TestWebhook_Accepts(t *testing.T) {
	t.Parallel()
	anyAccount := domain.Webhook{Source: domain.SourcePlex}
	alice := domain.Webhook{Source: domain.SourcePlex, PlexAccount: "Alice"}
	tests := []struct {
		name    string
		hook    domain.Webhook
		account string
		want    bool
	}{
		{"an unlimited webhook accepts any account", anyAccount, "bob", true},
		{"an unlimited webhook accepts a play naming no account", anyAccount, "", true},
		{"a limited webhook accepts its account", alice, "Alice", true},
		{"names compare ignoring case", alice, "aLICE", true},
		{"surrounding blanks are ignored", alice, "  alice\t", true},
		{"a limited webhook refuses another account", alice, "bob", false},
		{"a limited webhook refuses a prefix", alice, "Ali", false},
		{"a limited webhook refuses a play naming no account", alice, "", false},
	}
	for _, tt := range tests {
		if got := tt.hook.Accepts(tt.account); got != tt.want {
			t.Errorf("%s: Accepts(%q) = %v, want %v", tt.name, tt.account, got, tt.want)
		}
	}
}

func TestWebhookID(t *testing.T) {
	t.Parallel()
	id := domain.NewWebhookID()
	if id.IsZero() {
		t.Fatal("NewWebhookID is zero")
	}
	got, err := domain.ParseWebhookID(id.String())
	if err != nil || got != id {
		t.Errorf("ParseWebhookID(%q) = %v, %v", id, got, err)
	}
	for _, s := range []string{"", "nope", nilUUID} {
		_, err := domain.ParseWebhookID(s)
		checkFieldErr(t, err, "webhook_id")
	}
	if _, err := domain.WebhookIDFromUUID(id.UUID()); err != nil {
		t.Errorf("WebhookIDFromUUID: %v", err)
	}
	if !(domain.WebhookID{}).IsZero() {
		t.Error("the zero WebhookID is not zero")
	}
}

// playArgs are NewPlay's arguments.
type playArgs struct {
	user   domain.UserID
	source domain.WebhookSource
	kind   domain.PlayKind
	ext    domain.ExternalMetadataID
	title  domain.MovieTitle
	year   domain.ReleaseYear
	at     time.Time
	rating domain.Rating
}

// validPlayArgs name a valid watched play by IMDb ID, title and year, an
// hour before hookNow.
func validPlayArgs() playArgs {
	return playArgs{
		user:   domain.NewUserID(),
		source: domain.SourcePlex,
		kind:   domain.PlayWatched,
		ext:    domain.MustParseExternalMetadataID("tt0090728"),
		title:  domain.MustNewMovieTitle("Big Trouble in Little China"),
		year:   domain.MustNewReleaseYear(1986),
		at:     hookNow.Add(-time.Hour),
	}
}

func (a playArgs) newPlay() (domain.Play, error) {
	return domain.NewPlay(a.user, a.source, a.kind, a.ext, a.title, a.year, a.at, a.rating, hookNow)
}

func TestNewPlay(t *testing.T) {
	t.Parallel()
	cest := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name   string
		change func(*playArgs)
		want   func(p *domain.Play)
	}{
		{"a watched play by IMDb ID, title and year", func(*playArgs) {}, func(*domain.Play) {}},
		{"by IMDb ID alone", func(a *playArgs) { a.title, a.year = domain.MovieTitle{}, domain.ReleaseYear{} },
			func(p *domain.Play) { p.Title, p.Year = domain.MovieTitle{}, domain.ReleaseYear{} }},
		{"by title alone", func(a *playArgs) { a.ext, a.year = domain.ExternalMetadataID{}, domain.ReleaseYear{} },
			func(p *domain.Play) { p.ExternalID, p.Year = domain.ExternalMetadataID{}, domain.ReleaseYear{} }},
		{"a time in another zone is kept as its instant, in UTC, to the second",
			func(a *playArgs) { a.at = time.Date(2025, 6, 1, 13, 30, 15, 999_999_999, cest) },
			func(p *domain.Play) { p.At = time.Date(2025, 6, 1, 11, 30, 15, 0, time.UTC) }},
		{"a time within the clock skew", func(a *playArgs) { a.at = hookNow.Add(domain.ClockSkew) },
			func(p *domain.Play) { p.At = hookNow.Add(domain.ClockSkew) }},
		{"a rating of zero stars is a rating", func(a *playArgs) { a.kind, a.rating = domain.PlayRated, domain.MustNewRating(0) },
			func(p *domain.Play) { p.Kind, p.Rating = domain.PlayRated, domain.MustNewRating(0) }},
		{"a jellyfin rating of four and a half", func(a *playArgs) {
			a.source, a.kind, a.rating = domain.SourceJellyfin, domain.PlayRated, domain.MustNewRating(4.5)
		}, func(p *domain.Play) {
			p.Source, p.Kind, p.Rating = domain.SourceJellyfin, domain.PlayRated, domain.MustNewRating(4.5)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validPlayArgs()
			tt.change(&a)
			got, err := a.newPlay()
			if err != nil {
				t.Fatalf("NewPlay: %v", err)
			}
			b := validPlayArgs()
			want := domain.Play{User: a.user, Source: b.source, Kind: b.kind, ExternalID: b.ext, Title: b.title,
				Year: b.year, At: b.at, Rating: b.rating}
			tt.want(&want)
			if !got.At.Equal(want.At) || got.At.Location() != time.UTC {
				t.Errorf("At = %v, want %v in UTC", got.At, want.At)
			}
			got.At, want.At = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("play = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNewPlay_Validates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*playArgs)
		want   []string
	}{
		{"no user", func(a *playArgs) { a.user = domain.UserID{} }, []string{"user_id"}},
		{"no source", func(a *playArgs) { a.source = "" }, []string{"source"}},
		{"an unknown source", func(a *playArgs) { a.source = "kodi" }, []string{"source"}},
		{"an unknown kind", func(a *playArgs) { a.kind = "paused" }, []string{"kind"}},
		{"no kind", func(a *playArgs) { a.kind = "" }, []string{"kind"}},
		{"a rating without a rating", func(a *playArgs) { a.kind = domain.PlayRated }, []string{"rating"}},
		{"neither an IMDb ID nor a title", func(a *playArgs) {
			a.ext, a.title, a.year = domain.ExternalMetadataID{}, domain.MovieTitle{}, domain.ReleaseYear{}
		}, []string{"film"}},
		{"a year alone does not name a film", func(a *playArgs) { a.ext, a.title = domain.ExternalMetadataID{}, domain.MovieTitle{} }, []string{"film"}},
		{"no time", func(a *playArgs) { a.at = time.Time{} }, []string{"watched_at"}},
		{"a time past the clock skew", func(a *playArgs) { a.at = hookNow.Add(domain.ClockSkew + time.Second) }, []string{"watched_at"}},
		{"a time before films", func(a *playArgs) { a.at = time.Date(1887, 12, 31, 0, 0, 0, 0, time.UTC) }, []string{"watched_at"}},
		{"everything at once", func(a *playArgs) {
			*a = playArgs{kind: domain.PlayRated, at: hookNow.Add(time.Hour)}
		}, []string{"user_id", "source", "rating", "film", "watched_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validPlayArgs()
			tt.change(&a)
			p, err := a.newPlay()
			if got := validationFields(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (error: %v)", got, tt.want, err)
			}
			if p != (domain.Play{}) {
				t.Errorf("a refused play came back as %+v", p)
			}
		})
	}
}

func TestPlay_FilmKey(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID("tt0090728")
	title := domain.MustNewMovieTitle("Big Trouble in Little China")
	year := domain.MustNewReleaseYear(1986)
	tests := []struct {
		name string
		play domain.Play
		want string
	}{
		{"the IMDb ID when known", domain.Play{ExternalID: ext, Title: title, Year: year}, "imdb:tt0090728"},
		{"the IMDb ID wins over another title", domain.Play{ExternalID: ext, Title: domain.MustNewMovieTitle("Other")}, "imdb:tt0090728"},
		{"else the title, case-folded, and year", domain.Play{Title: title, Year: year}, "title:big trouble in little china|1986"},
		{"a title without a year", domain.Play{Title: title}, "title:big trouble in little china|0"},
	}
	for _, tt := range tests {
		if got := tt.play.FilmKey(); got != tt.want {
			t.Errorf("%s: FilmKey = %q, want %q", tt.name, got, tt.want)
		}
	}
	upper := domain.Play{Title: domain.MustNewMovieTitle("BIG TROUBLE IN LITTLE CHINA"), Year: year}
	if upper.FilmKey() != (domain.Play{Title: title, Year: year}).FilmKey() {
		t.Error("titles differing only in case have different keys")
	}
	if (domain.Play{Title: title, Year: year}).FilmKey() == (domain.Play{Title: title, Year: domain.MustNewReleaseYear(1987)}).FilmKey() {
		t.Error("remakes of other years share a key")
	}
}
