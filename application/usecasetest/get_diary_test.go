package application_test

import (
	"context"
	"encoding/base64"
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
		r := must(domain.NewReview(movie.ID, f.users[i%2], domain.MustNewRating(i%6), domain.Comment{}, watched, fixedNow))
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

func newGetDiary(t *testing.T) (*application.GetDiary, *mock.MockDiaryReader) {
	t.Helper()
	reader := mock.NewMockDiaryReader(gomock.NewController(t))
	return must(application.NewGetDiary(reader)), reader
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
	flipped[len(flipped)-1] ^= 0xff // the filter hash no longer matches

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
		{"cursor cut short", application.GetDiaryQuery{Cursor: reencode(raw[:len(raw)-3]), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with trailing bytes", application.GetDiaryQuery{Cursor: reencode(append(slices.Clone(raw), 0)), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor of another version", application.GetDiaryQuery{Cursor: reencode(append([]byte{9}, raw[1:]...)), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"empty cursor payload", application.GetDiaryQuery{Cursor: reencode([]byte{1}), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with a broken time", application.GetDiaryQuery{Cursor: reencode([]byte{1, 0x80}), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with too many nanoseconds", application.GetDiaryQuery{Cursor: reencode([]byte{1, 2, 0xff, 0xff, 0xff, 0xff, 0x0f}), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"cursor with a nil review ID", application.GetDiaryQuery{Cursor: reencode(append([]byte{1, 2, 0}, make([]byte, 22)...)), Limit: ptr(2)}, []string{"cursor"}, "malformed"},
		{"tampered cursor", application.GetDiaryQuery{Cursor: reencode(flipped), Limit: ptr(2)}, []string{"cursor"}, "other filters"},
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
	_, err := application.NewGetDiary(nil)
	requireKind(t, err, application.ErrMissingDependency)
}
