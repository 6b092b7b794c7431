package application_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// diaryFixture is a small diary: two users, two movies, and viewings that
// share a watched_at so that the review ID has to break ties.
type diaryFixture struct {
	movies  [2]domain.Movie
	users   [2]domain.UserID
	entries []domain.DiaryEntry
}

func newDiaryFixture() diaryFixture {
	f := diaryFixture{
		movies: [2]domain.Movie{
			mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
			mustMovie(otherID, "The Godfather", 1972, ""),
		},
		users: [2]domain.UserID{domain.NewUserID(), domain.NewUserID()},
	}
	base := time.Date(2024, 1, 1, 20, 0, 0, 0, time.UTC)
	for i := range 11 {
		movie := f.movies[i%2]
		watched := base.Add(time.Duration(i/3) * 24 * time.Hour) // three viewings per day
		r := must(domain.NewReview(movie.ID, f.users[i%2], domain.MustNewRating(float64(i%6)), domain.Comment{}, watched, fixedNow))
		f.entries = append(f.entries, domain.DiaryEntry{Movie: movie, Review: r})
	}
	return f
}

// serve answers QueryDiary like a repository would, over the fixture.
func (f diaryFixture) serve(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	var matching []domain.DiaryEntry
	for _, e := range f.entries {
		if (q.Filter.MovieID.IsZero() || e.Movie.ID == q.Filter.MovieID) &&
			(q.Filter.UserID.IsZero() || e.Review.UserID == q.Filter.UserID) {
			matching = append(matching, e)
		}
	}
	slices.SortFunc(matching, domain.CompareDiaryEntries(q.Filter.Sort))
	start := q.Page.Offset()
	if q.After != nil {
		start = len(matching)
		for i, e := range matching {
			if q.After.Precedes(e, q.Filter.Sort) {
				start = i
				break
			}
		}
	}
	start = min(start, len(matching))
	end := min(start+q.Page.Limit(), len(matching))
	return domain.DiaryPage{Entries: matching[start:end], TotalCount: len(matching), HasMore: end < len(matching)}, nil
}

// cursorKey signs the cursors of the GetDiary under test; otherCursorKey
// is another server's.
var (
	cursorKey      = []byte("cursor-key-0123456789abcdef012345")
	otherCursorKey = []byte("other-key-0123456789abcdef0123456")
)

func newGetDiary(t *testing.T) (*application.GetDiary, *mock.MockDiaryReader) {
	t.Helper()
	reader := mock.NewMockDiaryReader(gomock.NewController(t))
	return must(application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(cursorKey), application.WithDiaryClock(clock))), reader
}

// signCursor builds a cursor in the documented layout (application's
// cursor.go) and signs it with key: version 2, watched_at as a signed
// varint of seconds and an unsigned varint of nanoseconds, the review ID,
// the filter hash, and the first 16 bytes of HMAC-SHA256 over all that.
func signCursor(key []byte, secs int64, nanos uint64, id [16]byte, f domain.DiaryFilter) string {
	b := []byte{2}
	b = binary.AppendVarint(b, secs)
	b = binary.AppendUvarint(b, nanos)
	b = append(b, id[:]...)
	var movie, user string
	if !f.MovieID.IsZero() {
		movie = f.MovieID.String()
	}
	if !f.UserID.IsZero() {
		user = f.UserID.String()
	}
	sum := sha256.Sum256([]byte("diary|movie=" + movie + "|user=" + user + "|sort=" + f.Sort.String()))
	b = append(b, sum[:6]...)
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	b = append(b, mac.Sum(nil)[:16]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestGetDiaryTranslatesTheQuery(t *testing.T) {
	t.Parallel()
	movieID, userID := domain.NewMovieID(), domain.NewUserID()
	tests := []struct {
		name       string
		query      application.GetDiaryQuery
		wantFilter domain.DiaryFilter
		wantLimit  int
		wantOffset int
	}{
		{
			name:       "defaults: every entry, newest first, 20 from the start",
			query:      application.GetDiaryQuery{},
			wantFilter: domain.DiaryFilter{Sort: domain.SortDesc},
			wantLimit:  20,
		},
		{
			name: "filters, sort and page are passed on",
			query: application.GetDiaryQuery{
				MovieID: movieID.String(), UserID: " " + userID.String() + " ", SortBy: "asc",
				Limit: ptr(5), Offset: ptr(10),
			},
			wantFilter: domain.DiaryFilter{MovieID: movieID, UserID: userID, Sort: domain.SortAsc},
			wantLimit:  5,
			wantOffset: 10,
		},
		{
			name:       "lower page bounds are accepted",
			query:      application.GetDiaryQuery{SortBy: "desc", Limit: ptr(1), Offset: ptr(0)},
			wantFilter: domain.DiaryFilter{Sort: domain.SortDesc},
			wantLimit:  1,
		},
		{
			name:       "the largest page is accepted",
			query:      application.GetDiaryQuery{Limit: ptr(100)},
			wantFilter: domain.DiaryFilter{Sort: domain.SortDesc},
			wantLimit:  100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, reader := newGetDiary(t)
			var got domain.DiaryQuery
			reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(
				func(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
					got = q
					return domain.DiaryPage{TotalCount: 3}, nil
				})
			res, err := uc.Handle(t.Context(), tt.query)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got.Filter != tt.wantFilter || got.Page.Limit() != tt.wantLimit || got.Page.Offset() != tt.wantOffset || got.After != nil {
				t.Errorf("query = %+v (limit %d, offset %d), want filter %+v, limit %d, offset %d, no position",
					got, got.Page.Limit(), got.Page.Offset(), tt.wantFilter, tt.wantLimit, tt.wantOffset)
			}
			if res.Limit != tt.wantLimit || res.Offset == nil || *res.Offset != tt.wantOffset || res.TotalCount != 3 || res.NextCursor != "" {
				t.Errorf("result = %+v, want limit %d, offset %d, total 3, no cursor", res, tt.wantLimit, tt.wantOffset)
			}
		})
	}
}

func TestGetDiaryRejectsBadParameters(t *testing.T) {
	t.Parallel()
	someCursor := func() string {
		f := newDiaryFixture()
		uc, reader := newGetDiary(t)
		reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(f.serve)
		return must(uc.Handle(t.Context(), application.GetDiaryQuery{Limit: ptr(2)})).NextCursor
	}()
	if someCursor == "" {
		t.Fatal("a first page of 2 of 11 entries gave no next cursor")
	}
	raw := must(base64.RawURLEncoding.DecodeString(someCursor))
	reencode := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	flipped := slices.Clone(raw)
	flipped[len(flipped)-1] ^= 0xff // the tag no longer matches
	hashFlipped := slices.Clone(raw)
	hashFlipped[len(hashFlipped)-17] ^= 0xff // the filter hash, under the old tag
	timeMoved := slices.Clone(raw)
	timeMoved[1] ^= 0x02 // the seconds move by one, under the old tag
	idChanged := slices.Clone(raw)
	idChanged[len(idChanged)-23] ^= 0x01 // the review ID's last byte, under the old tag
	// What a client could make of an unsigned version 1 cursor.
	v1 := append([]byte{1}, raw[1:len(raw)-16]...)
	desc := domain.DiaryFilter{Sort: domain.SortDesc}
	someID := domain.NewReviewID().UUID()

	tests := []struct {
		name       string
		query      application.GetDiaryQuery
		wantFields []string
		wantRule   string
	}{
		{"limit 0", application.GetDiaryQuery{Limit: ptr(0)}, []string{"limit"}, "1 to 100"},
		{"limit 101", application.GetDiaryQuery{Limit: ptr(101)}, []string{"limit"}, "1 to 100"},
		{"negative offset", application.GetDiaryQuery{Offset: ptr(-1)}, []string{"offset"}, "0 or more"},
		{"unknown sort", application.GetDiaryQuery{SortBy: "newest"}, []string{"sort_by"}, "asc or desc"},
		{"every bad parameter at once", application.GetDiaryQuery{
			MovieID: "42", UserID: "me", SortBy: "ASC", Limit: ptr(-5), Offset: ptr(-5),
		}, []string{"movie_id", "user_id", "sort_by", "limit", "offset"}, ""},
		{"cursor with an offset", application.GetDiaryQuery{Cursor: someCursor, Offset: ptr(0), Limit: ptr(2)}, []string{"cursor"}, "offset"},
		{"cursor that is not base64url", application.GetDiaryQuery{Cursor: "%%%", Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor cut short", application.GetDiaryQuery{Cursor: reencode(raw[:len(raw)-3]), Limit: ptr(2)}, []string{"cursor"}, "next_cursor of a previous page"},
		{"cursor with trailing bytes", application.GetDiaryQuery{Cursor: reencode(append(slices.Clone(raw), 0)), Limit: ptr(2)}, []string{"cursor"}, "next_cursor of a previous page"},
		{"cursor of another version", application.GetDiaryQuery{Cursor: reencode(append([]byte{9}, raw[1:]...)), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"empty cursor payload", application.GetDiaryQuery{Cursor: reencode([]byte{1}), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with a broken time", application.GetDiaryQuery{Cursor: reencode([]byte{2, 0x80}), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with its tag changed", application.GetDiaryQuery{Cursor: reencode(flipped), Limit: ptr(2)}, []string{"cursor"}, "not issued by this server or was altered"},
		{"cursor with its filter hash changed", application.GetDiaryQuery{Cursor: reencode(hashFlipped), Limit: ptr(2)}, []string{"cursor"}, "not issued by this server or was altered"},
		{"cursor with its time moved", application.GetDiaryQuery{Cursor: reencode(timeMoved), Limit: ptr(2)}, []string{"cursor"}, "not issued by this server or was altered"},
		{"cursor with its review ID changed", application.GetDiaryQuery{Cursor: reencode(idChanged), Limit: ptr(2)}, []string{"cursor"}, "not issued by this server or was altered"},
		{"cursor with its tag stripped", application.GetDiaryQuery{Cursor: reencode(raw[:len(raw)-16]), Limit: ptr(2)}, []string{"cursor"}, ""},
		{"unsigned version 1 cursor", application.GetDiaryQuery{Cursor: reencode(v1), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor signed with another key", application.GetDiaryQuery{Cursor: signCursor(otherCursorKey, 1704110400, 0, someID, desc), Limit: ptr(2)}, []string{"cursor"}, "not issued by this server"},
		{"cursor far longer than any cursor", application.GetDiaryQuery{Cursor: strings.Repeat("A", 4096), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor used with another sort", application.GetDiaryQuery{Cursor: someCursor, SortBy: "asc", Limit: ptr(2)}, []string{"cursor"}, "other filters or another sort"},
		{"cursor used with a movie filter", application.GetDiaryQuery{Cursor: someCursor, MovieID: domain.NewMovieID().String(), Limit: ptr(2)}, []string{"cursor"}, "other filters"},
		{"cursor used with a user filter", application.GetDiaryQuery{Cursor: someCursor, UserID: domain.NewUserID().String(), Limit: ptr(2)}, []string{"cursor"}, "other filters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, _ := newGetDiary(t) // no expectations: the reader is never asked
			_, err := uc.Handle(t.Context(), tt.query)
			rules := requireFields(t, err, tt.wantFields...)
			if tt.wantRule != "" {
				if got := strings.Join(rules[tt.wantFields[0]], "; "); !strings.Contains(got, tt.wantRule) {
					t.Errorf("rule = %q, want it to mention %q", got, tt.wantRule)
				}
			}
		})
	}
}

// A cursor this server signed is still checked field by field: were the
// key to leak, a time the database cannot hold (PostgreSQL refuses
// seconds near ±2^63) or one the domain does not allow never reaches the
// reader.
func TestGetDiaryBoundsEverySignedCursorField(t *testing.T) {
	t.Parallel()
	desc := domain.DiaryFilter{Sort: domain.SortDesc}
	id := domain.NewReviewID().UUID()
	first1888 := time.Date(domain.FirstFilmYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	latest := fixedNow.Add(domain.ClockSkew).Unix()
	tests := []struct {
		name   string
		cursor string
		rule   string // "" means accepted
	}{
		{"seconds 2^63-1", signCursor(cursorKey, math.MaxInt64, 0, id, desc), "outside the diary"},
		{"seconds -2^63", signCursor(cursorKey, math.MinInt64, 0, id, desc), "outside the diary"},
		{"year 1", signCursor(cursorKey, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 0, id, desc), "outside the diary"},
		{"a second before 1888", signCursor(cursorKey, first1888-1, 0, id, desc), "outside the diary"},
		{"the first second of 1888", signCursor(cursorKey, first1888, 0, id, desc), ""},
		{"now plus the clock skew", signCursor(cursorKey, latest, 0, id, desc), ""},
		{"a second after now plus the clock skew", signCursor(cursorKey, latest+1, 0, id, desc), "outside the diary"},
		{"a nanosecond after now plus the clock skew", signCursor(cursorKey, latest, 1, id, desc), "outside the diary"},
		{"year 10000", signCursor(cursorKey, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 0, id, desc), "outside the diary"},
		{"a billion nanoseconds", signCursor(cursorKey, 1704110400, uint64(time.Second), id, desc), "malformed"},
		{"2^64-1 nanoseconds", signCursor(cursorKey, 1704110400, math.MaxUint64, id, desc), "malformed"},
		{"the nil review ID", signCursor(cursorKey, 1704110400, 0, [16]byte{}, desc), "malformed"},
		{"another sort", signCursor(cursorKey, 1704110400, 0, id, domain.DiaryFilter{Sort: domain.SortAsc}), "other filters or another sort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, reader := newGetDiary(t)
			if tt.rule == "" {
				reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(
					func(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
						if q.After == nil || q.After.ReviewID.UUID() != id {
							t.Errorf("position = %+v, want the cursor's", q.After)
						}
						return domain.DiaryPage{}, nil
					})
				if _, err := uc.Handle(t.Context(), application.GetDiaryQuery{Cursor: tt.cursor}); err != nil {
					t.Fatalf("Handle: %v", err)
				}
				return
			}
			// No expectations: the reader is never asked.
			_, err := uc.Handle(t.Context(), application.GetDiaryQuery{Cursor: tt.cursor})
			rules := requireFields(t, err, "cursor")
			if got := strings.Join(rules["cursor"], "; "); !strings.Contains(got, tt.rule) {
				t.Errorf("rule = %q, want it to mention %q", got, tt.rule)
			}
		})
	}
}

// Cursors are signed with the key the use case was built with: another
// instance with the same key (a restart with the same secret) accepts them,
// one with another key refuses them.
func TestGetDiaryCursorsAreBoundToTheKey(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	build := func(key []byte) *application.GetDiary {
		reader := mock.NewMockDiaryReader(gomock.NewController(t))
		reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(f.serve).AnyTimes()
		return must(application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(key), application.WithDiaryClock(clock)))
	}
	first := must(build(cursorKey).Handle(t.Context(), application.GetDiaryQuery{Limit: ptr(2)}))
	if first.NextCursor == "" {
		t.Fatal("no next cursor")
	}
	next := application.GetDiaryQuery{Limit: ptr(2), Cursor: first.NextCursor}
	again := must(build(bytes.Clone(cursorKey)).Handle(t.Context(), next))
	if len(again.Entries) != 2 || again.Entries[0].Review.ID == first.Entries[1].Review.ID {
		t.Errorf("page 2 from a second instance with the same key = %d entries", len(again.Entries))
	}
	_, err := build(otherCursorKey).Handle(t.Context(), next)
	rules := requireFields(t, err, "cursor")
	if got := strings.Join(rules["cursor"], "; "); !strings.Contains(got, "not issued by this server") {
		t.Errorf("rule = %q", got)
	}
	if strings.ContainsAny(first.NextCursor, "+/=") {
		t.Errorf("cursor %q is not unpadded base64url", first.NextCursor)
	}
}

// The key is copied: changing the caller's slice later changes nothing.
func TestNewGetDiaryCopiesTheCursorKey(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	key := bytes.Clone(cursorKey)
	reader := mock.NewMockDiaryReader(gomock.NewController(t))
	reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(f.serve).AnyTimes()
	uc := must(application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(key), application.WithDiaryClock(clock)))
	first := must(uc.Handle(t.Context(), application.GetDiaryQuery{Limit: ptr(2)}))
	key[0] ^= 0xff
	if _, err := uc.Handle(t.Context(), application.GetDiaryQuery{Limit: ptr(2), Cursor: first.NextCursor}); err != nil {
		t.Errorf("changing the caller's slice changed the key: %v", err)
	}
}

func TestGetDiaryCursorPagesThroughEveryEntryOnce(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	tests := []struct {
		name  string
		query application.GetDiaryQuery
	}{
		{"newest first", application.GetDiaryQuery{Limit: ptr(3)}},
		{"oldest first", application.GetDiaryQuery{SortBy: "asc", Limit: ptr(4)}},
		{"one user, starting from an offset page", application.GetDiaryQuery{UserID: f.users[0].String(), Limit: ptr(2), Offset: ptr(0)}},
		{"one movie, oldest first, page of one", application.GetDiaryQuery{MovieID: f.movies[1].ID.String(), SortBy: "asc", Limit: ptr(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, reader := newGetDiary(t)
			reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(f.serve).AnyTimes()

			// What one big offset page says, to compare against.
			all := tt.query
			all.Limit = ptr(100)
			want := must(uc.Handle(t.Context(), all)).Entries

			var got []domain.DiaryEntry
			q := tt.query
			for page := 0; ; page++ {
				if page > len(f.entries) {
					t.Fatal("cursor paging does not end")
				}
				res, err := uc.Handle(t.Context(), q)
				if err != nil {
					t.Fatalf("page %d: %v", page, err)
				}
				if page == 0 && (res.Offset == nil || *res.Offset != 0) {
					t.Errorf("first page offset = %v, want 0", res.Offset)
				}
				if page > 0 && res.Offset != nil {
					t.Errorf("cursor page %d offset = %d, want nil", page, *res.Offset)
				}
				if res.TotalCount != len(want) || res.Limit != *tt.query.Limit {
					t.Errorf("page %d: total %d, limit %d; want %d, %d", page, res.TotalCount, res.Limit, len(want), *tt.query.Limit)
				}
				got = append(got, res.Entries...)
				if res.NextCursor == "" {
					break
				}
				if strings.ContainsAny(res.NextCursor, "+/=") {
					t.Errorf("cursor %q is not unpadded base64url", res.NextCursor)
				}
				q.Offset, q.Cursor = nil, res.NextCursor
			}
			if len(got) != len(want) {
				t.Fatalf("paged %d entries, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Review.ID != want[i].Review.ID {
					t.Fatalf("entry %d = %v, want %v", i, got[i].Review.ID, want[i].Review.ID)
				}
			}
		})
	}
}

func TestGetDiaryNamesTheAuthorsWhenAsked(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	ann := domain.User{ID: f.users[0], DisplayName: domain.MustNewDisplayName("Ann")}
	unnamed := domain.User{ID: f.users[1]}
	noAccount := domain.NewUserID()
	orphan := f.entries[0]
	orphan.Review = must(domain.NewReview(orphan.Movie.ID, noAccount, domain.Rating{}, domain.Comment{}, orphan.Review.WatchedAt, fixedNow))
	page := domain.DiaryPage{Entries: []domain.DiaryEntry{f.entries[0], f.entries[1], f.entries[2], orphan}, TotalCount: 4}
	users := usersFinder{ann.ID: ann, unnamed.ID: unnamed}

	tests := []struct {
		name string
		q    application.GetDiaryQuery
		want map[domain.UserID]string
	}{
		{"asked", application.GetDiaryQuery{Authors: true},
			map[domain.UserID]string{ann.ID: "Ann", unnamed.ID: domain.PublicName(unnamed.ID, domain.DisplayName{})}},
		{"asked on a film's page", application.GetDiaryQuery{Authors: true, MovieID: f.movies[0].ID.String()},
			map[domain.UserID]string{ann.ID: "Ann", unnamed.ID: domain.PublicName(unnamed.ID, domain.DisplayName{})}},
		{"not asked", application.GetDiaryQuery{}, nil},
		{"asked on one user's page", application.GetDiaryQuery{Authors: true, UserID: ann.ID.String()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reader := mock.NewMockDiaryReader(gomock.NewController(t))
			reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).Return(page, nil)
			uc := must(application.NewGetDiary(reader, users, application.WithCursorKey(cursorKey)))
			res := must(uc.Handle(t.Context(), tt.q))
			if (res.Authors == nil) != (tt.want == nil) || len(res.Authors) != len(tt.want) {
				t.Fatalf("Authors = %v, want %v", res.Authors, tt.want)
			}
			for id, name := range tt.want {
				if res.Authors[id] != name {
					t.Errorf("Authors[%s] = %q, want %q", id, res.Authors[id], name)
				}
			}
			if _, ok := res.Authors[noAccount]; ok {
				t.Errorf("Authors names %s, who has no account", noAccount)
			}
		})
	}
}

// failingUsers fails every read: the store of accounts is down.
type failingUsers struct{ publicUsers }

func (failingUsers) UsersByID(context.Context, []domain.UserID) ([]domain.User, error) {
	return nil, errDB
}

func TestGetDiaryKeepsTheAuthorsErrorKind(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	reader := mock.NewMockDiaryReader(gomock.NewController(t))
	reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).Return(domain.DiaryPage{Entries: f.entries[:2], TotalCount: 2}, nil)
	uc := must(application.NewGetDiary(reader, failingUsers{}, application.WithCursorKey(cursorKey)))
	_, err := uc.Handle(t.Context(), application.GetDiaryQuery{Authors: true})
	requireKind(t, err, domain.ErrInfrastructure)
}

func TestGetDiaryKeepsTheReaderErrorKind(t *testing.T) {
	t.Parallel()
	uc, reader := newGetDiary(t)
	reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).Return(domain.DiaryPage{}, errDB)
	_, err := uc.Handle(t.Context(), application.GetDiaryQuery{})
	requireKind(t, err, domain.ErrInfrastructure)
}

func TestGetDiaryGivesNoCursorForAnEmptyPage(t *testing.T) {
	t.Parallel()
	// A reader that claims more entries but returned none (an offset past
	// the end) gives no position to continue from.
	uc, reader := newGetDiary(t)
	reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).Return(domain.DiaryPage{TotalCount: 5, HasMore: true}, nil)
	res := must(uc.Handle(t.Context(), application.GetDiaryQuery{Offset: ptr(50)}))
	if res.NextCursor != "" || len(res.Entries) != 0 || *res.Offset != 50 {
		t.Errorf("result = %+v, want no entries, offset 50 and no cursor", res)
	}
}

func TestNewGetDiaryRejectsANilReader(t *testing.T) {
	t.Parallel()
	_, err := application.NewGetDiary(nil, publicUsers{}, application.WithCursorKey(cursorKey))
	requireKind(t, err, application.ErrMissingDependency)
}

func TestNewGetDiaryRejectsAShortCursorKey(t *testing.T) {
	t.Parallel()
	reader := mock.NewMockDiaryReader(gomock.NewController(t))
	for _, key := range [][]byte{nil, {}, cursorKey[:application.MinCursorKeyBytes-1]} {
		_, err := application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(key))
		requireKind(t, err, domain.ErrMisconfigured)
	}
	if _, err := application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(cursorKey[:application.MinCursorKeyBytes])); err != nil {
		t.Errorf("a %d-byte key: %v", application.MinCursorKeyBytes, err)
	}
}

// Without WithCursorKey every GetDiary signs with a random key of its own:
// its cursors work with it and with nothing else.
func TestGetDiaryWithoutAKeySignsWithARandomOne(t *testing.T) {
	t.Parallel()
	f := newDiaryFixture()
	build := func() *application.GetDiary {
		reader := mock.NewMockDiaryReader(gomock.NewController(t))
		reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(f.serve).AnyTimes()
		return must(application.NewGetDiary(reader, publicUsers{}))
	}
	uc := build()
	first := must(uc.Handle(t.Context(), application.GetDiaryQuery{Limit: ptr(2)}))
	next := application.GetDiaryQuery{Limit: ptr(2), Cursor: first.NextCursor}
	if _, err := uc.Handle(t.Context(), next); err != nil {
		t.Errorf("its own cursor: %v", err)
	}
	_, err := build().Handle(t.Context(), next)
	requireFields(t, err, "cursor")
}
