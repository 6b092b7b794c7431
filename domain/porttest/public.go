package porttest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// PublicStore is what a TestPublicDiary subtest works on: three views of
// one store, so that the movie repository and the statistics see the
// accounts (and their privacy) the user repository keeps.
type PublicStore struct {
	// Movies is the store's movies and viewings.
	Movies domain.MovieRepository
	// Users is the store's accounts.
	Users domain.UserRepository
	// Stats is the store's statistics.
	Stats domain.StatsReader
	// Imports, when not nil, is the store's import jobs: the suite then
	// checks that viewings stored by SaveImportBatch count in the
	// statistics too. Nil skips that check.
	Imports domain.ImportRepository
}

// TestPublicDiary runs the contract of what public pages read: profiles
// (domain.ProfileWriter and the users' display names and privacy), the
// visibility of private diaries in MovieRepository's reads, and
// domain.StatsReader. newStore must return a new, empty store each time;
// it is called once per subtest. Users are saved through
// PublicStore.Users, so a store may refer to them; viewings are also
// logged for a user ID with no account, whose diary is public.
//
// The suite pins UpdateProfile (a name set and removed, privacy on and
// off, nil fields unchanged, the result read back by UserByID, UsersByID,
// UserByEmail and Owner, ErrNotFound); QueryDiary's entries and exact TotalCount for
// a signed-out viewer, a private diary's owner and anyone else, with every
// filter, paged by offset and by position; ReviewHistory's viewer; and
// DiaryStats, field by field, against statistics computed here from the
// same viewings, for a user and for the whole diary, for a year and for
// all time, with a short and the default top — before and after edits,
// deletions, a movie merged into another, a director found later, a diary
// made private and public again, and (with Imports) an import batch.
func TestPublicDiary(t *testing.T, newStore func(t *testing.T) PublicStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s PublicStore)
	}{
		{"UpdateProfile sets and removes a name and privacy", testUpdateProfile},
		{"UpdateProfile of an unknown user is not found", testUpdateProfileUnknown},
		{"QueryDiary leaves private diaries out for others", testPublicDiaryVisibility},
		{"QueryDiary pages skip private entries consistently", testPublicDiaryPaging},
		{"QueryDiary follows a diary made private or public", testPublicDiaryPrivacyChange},
		{"ReviewHistory leaves private viewings out for others", testPublicReviewHistory},
		{"DiaryStats match the viewings", testStatsMatch},
		{"DiaryStats stay exact through edits, deletions and merges", testStatsAfterWrites},
		{"DiaryStats of an unknown user or an empty store are zero", testStatsZero},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

func testUpdateProfile(t *testing.T, s PublicStore) {
	ctx := t.Context()
	u := NewUser(t, "profile@example.com")
	mustSaveUser(t, s.Users, u)
	other := NewUser(t, "other@example.com")
	other.CreatedAt = FixtureTime.Add(time.Hour)
	mustSaveUser(t, s.Users, other)
	checkProfileEverywhere(t, s, "a new user", u)

	name := domain.MustNewDisplayName("Film Fan")
	on, off := true, false
	noName := domain.DisplayName{}
	steps := []struct {
		name   string
		update domain.ProfileUpdate
		want   func(u domain.User) domain.User
	}{
		{"set a name", domain.ProfileUpdate{DisplayName: &name}, func(u domain.User) domain.User { u.DisplayName = name; return u }},
		{"make private, name kept", domain.ProfileUpdate{Private: &on}, func(u domain.User) domain.User { u.Private = true; return u }},
		{"change nothing", domain.ProfileUpdate{}, func(u domain.User) domain.User { return u }},
		{"remove the name, privacy kept", domain.ProfileUpdate{DisplayName: &noName}, func(u domain.User) domain.User { u.DisplayName = domain.DisplayName{}; return u }},
		{"set both", domain.ProfileUpdate{DisplayName: &name, Private: &off}, func(u domain.User) domain.User {
			u.DisplayName, u.Private = name, false
			return u
		}},
		{"make public again, name kept", domain.ProfileUpdate{Private: &off}, func(u domain.User) domain.User { return u }},
	}
	want := u
	for _, step := range steps {
		want = step.want(want)
		got, err := s.Users.UpdateProfile(ctx, u.ID, step.update)
		if err != nil {
			t.Fatalf("%s: UpdateProfile: %v", step.name, err)
		}
		checkProfile(t, step.name+": UpdateProfile", got, want)
		checkProfileEverywhere(t, s, step.name, want)
	}
	got, err := s.Users.UserByID(ctx, other.ID)
	if err != nil {
		t.Fatalf("UserByID(other): %v", err)
	}
	checkProfile(t, "another user after the updates", got, other)
}

// checkProfileEverywhere checks that UserByID, UsersByID, UserByEmail and,
// since u is the first account, Owner return u.
func checkProfileEverywhere(t *testing.T, s PublicStore, what string, u domain.User) {
	t.Helper()
	ctx := t.Context()
	byID, err := s.Users.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("%s: UserByID: %v", what, err)
	}
	checkProfile(t, what+": UserByID", byID, u)
	list, err := s.Users.UsersByID(ctx, []domain.UserID{u.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("%s: UsersByID = %v, %v; want the user", what, list, err)
	}
	checkProfile(t, what+": UsersByID", list[0], u)
	byEmail, err := s.Users.UserByEmail(ctx, u.Email)
	if err != nil {
		t.Fatalf("%s: UserByEmail: %v", what, err)
	}
	checkProfile(t, what+": UserByEmail", byEmail, u)
	owner, err := s.Users.Owner(ctx)
	if err != nil {
		t.Fatalf("%s: Owner: %v", what, err)
	}
	checkProfile(t, what+": Owner", owner, u)
}

// checkProfile is checkUser with the display name and privacy.
func checkProfile(t *testing.T, what string, got, want domain.User) {
	t.Helper()
	checkUser(t, what, got, want)
	if got.DisplayName != want.DisplayName || got.Private != want.Private {
		t.Errorf("%s: DisplayName %q, Private %v; want %q, %v", what, got.DisplayName, got.Private, want.DisplayName, want.Private)
	}
}

func testUpdateProfileUnknown(t *testing.T, s PublicStore) {
	mustSaveUser(t, s.Users, NewUser(t, "known@example.com"))
	on := true
	if _, err := s.Users.UpdateProfile(t.Context(), domain.NewUserID(), domain.ProfileUpdate{Private: &on}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateProfile(unknown) error = %v, want ErrNotFound", err)
	}
}

// publicModel is what the suite stored, from which it computes what every
// read must return.
type publicModel struct {
	movies  map[domain.MovieID]domain.Movie
	reviews map[domain.ReviewID]domain.Review
	// private holds the accounts whose diary is private.
	private map[domain.UserID]bool
}

// publicFixture is a store seeded with four diaries — alice and carol
// public, bob private, and ghost with no account — over three years, rated
// and unrated, with rewatches, ties of watched_at and of counts, viewings
// on both sides of a new year (UTC), and movies with and without director
// and external ID.
type publicFixture struct {
	publicModel
	alice, bob, carol, ghost domain.UserID
	// ran and ikiru share a director; dup is a copy of ran without an
	// external ID (merged into ran later); stray has no external ID or
	// director (identified later); nodir has an external ID and no
	// director. Directors "Agnès Varda", "Frank Capra" and "Éric Rohmer"
	// tie in the whole diary, and sort differently in byte order than in
	// a linguistic one.
	ran, ikiru, cleo, rayon, capra, nodir, dup, stray domain.Movie
	// byKey names the fixture's reviews: user initial, movie, index.
	byKey map[string]domain.Review
}

// unrated stands for no rating in the fixture's tables (a rating of 0
// stars is a rating).
const unrated = -1

// ratingOrNone returns the rating of stars, or none for unrated.
func ratingOrNone(t *testing.T, stars float64) domain.Rating {
	t.Helper()
	if stars == unrated {
		return domain.Rating{}
	}
	return mustRating(t, stars)
}

// day returns the instant in UTC.
func day(year int, month time.Month, d, hour, minute, sec int) time.Time {
	return time.Date(year, month, d, hour, minute, sec, 0, time.UTC)
}

func seedPublicDiary(t *testing.T, s PublicStore) *publicFixture {
	t.Helper()
	ctx := t.Context()
	f := &publicFixture{
		publicModel: publicModel{
			movies:  map[domain.MovieID]domain.Movie{},
			reviews: map[domain.ReviewID]domain.Review{},
			private: map[domain.UserID]bool{},
		},
		byKey: map[string]domain.Review{},
	}
	users := map[string]domain.User{}
	for i, name := range []string{"alice", "bob", "carol"} {
		u := NewUser(t, name+"-"+domain.NewUserID().String()[:8]+"@example.com")
		u.CreatedAt = FixtureTime.Add(time.Duration(i) * time.Minute)
		mustSaveUser(t, s.Users, u)
		users[name] = u
	}
	f.alice, f.bob, f.carol, f.ghost = users["alice"].ID, users["bob"].ID, users["carol"].ID, domain.NewUserID()
	on := true
	if _, err := s.Users.UpdateProfile(ctx, f.bob, domain.ProfileUpdate{Private: &on}); err != nil {
		t.Fatalf("UpdateProfile(bob private): %v", err)
	}
	f.private[f.bob] = true
	aliceName := domain.MustNewDisplayName("Alice")
	if _, err := s.Users.UpdateProfile(ctx, f.alice, domain.ProfileUpdate{DisplayName: &aliceName}); err != nil {
		t.Fatalf("UpdateProfile(alice name): %v", err)
	}

	f.ran = NewMovie(t, NewExternalID(t), "Ran", 1985, "Akira Kurosawa")
	f.ikiru = NewMovie(t, NewExternalID(t), "Ikiru", 1952, "Akira Kurosawa")
	f.cleo = NewMovie(t, NewExternalID(t), "Cléo from 5 to 7", 1962, "Agnès Varda")
	f.rayon = NewMovie(t, NewExternalID(t), "Le Rayon vert", 1986, "Éric Rohmer")
	f.capra = NewMovie(t, NewExternalID(t), "It Happened One Night", 1934, "Frank Capra")
	f.nodir = NewMovie(t, NewExternalID(t), "Workers Leaving the Factory", 1895, "")
	f.dup = NewMovie(t, domain.ExternalMetadataID{}, "Ran", 1985, "")
	f.stray = NewMovie(t, domain.ExternalMetadataID{}, "Jeanne Dielman", 1975, "")

	type row struct {
		key    string
		user   domain.UserID
		movie  domain.Movie
		rating float64
		at     time.Time
	}
	rows := []row{
		{"a-ran-1", f.alice, f.ran, 4.5, day(2022, 3, 5, 20, 0, 0)},
		{"a-ran-2", f.alice, f.ran, 5, day(2023, 12, 31, 23, 59, 59)},
		{"a-ikiru", f.alice, f.ikiru, unrated, day(2024, 1, 1, 0, 0, 0)},
		{"a-cleo", f.alice, f.cleo, 3.5, day(2024, 1, 15, 21, 0, 0)},
		{"a-nodir", f.alice, f.nodir, 2, day(2024, 2, 10, 18, 0, 0)},
		{"a-dup", f.alice, f.dup, 4, day(2023, 6, 1, 12, 0, 0)},
		{"a-stray", f.alice, f.stray, unrated, day(2023, 6, 1, 12, 0, 0)},
		{"a-rayon", f.alice, f.rayon, 3, day(2023, 7, 14, 21, 0, 0)},
		{"b-cleo-1", f.bob, f.cleo, 1, day(2023, 4, 4, 10, 0, 0)},
		{"b-cleo-2", f.bob, f.cleo, 1.5, day(2024, 1, 15, 21, 0, 0)},
		{"b-nodir", f.bob, f.nodir, 0, day(2022, 8, 8, 8, 0, 0)},
		{"b-ikiru", f.bob, f.ikiru, 5, day(2024, 3, 3, 3, 3, 3)},
		{"b-capra", f.bob, f.capra, 4, day(2024, 3, 4, 20, 0, 0)},
		{"c-ikiru", f.carol, f.ikiru, 3, day(2023, 4, 4, 10, 0, 0)},
		{"c-ran", f.carol, f.ran, 3, day(2024, 2, 29, 22, 0, 0)},
		{"c-stray", f.carol, f.stray, 2.5, day(2022, 12, 31, 23, 0, 0)},
		{"c-cleo", f.carol, f.cleo, unrated, day(2024, 5, 5, 5, 5, 0)},
		{"c-capra-1", f.carol, f.capra, 3.5, day(2023, 7, 14, 21, 0, 0)},
		{"c-rayon", f.carol, f.rayon, 4, day(2024, 11, 30, 23, 59, 59)},
		{"c-capra-2", f.carol, f.capra, 2, day(2024, 12, 1, 0, 0, 0)},
		{"g-nodir", f.ghost, f.nodir, 4.5, day(2023, 9, 9, 9, 9, 0)},
		{"g-dup", f.ghost, f.dup, 0.5, day(2024, 1, 1, 0, 0, 0)},
		{"g-ikiru", f.ghost, f.ikiru, 3, day(2022, 3, 5, 20, 0, 0)},
	}
	for _, r := range rows {
		rev := NewReview(t, r.movie.ID, r.user, 0, r.at)
		rev.Rating = ratingOrNone(t, r.rating)
		saved := mustSaveViewing(t, s.Movies, domain.Viewing{Movie: r.movie, Review: rev})
		f.movies[saved.Movie.ID] = saved.Movie
		f.reviews[rev.ID] = saved.Review
		f.byKey[r.key] = saved.Review
	}
	return f
}

// visible reports whether viewer may see r.
func (m *publicModel) visible(r domain.Review, viewer domain.UserID) bool {
	return !m.private[r.UserID] || (!viewer.IsZero() && viewer == r.UserID)
}

// entries returns what QueryDiary must list for filter, in its order.
func (m *publicModel) entries(filter domain.DiaryFilter) []domain.DiaryEntry {
	var out []domain.DiaryEntry
	for _, r := range m.reviews {
		if (filter.MovieID.IsZero() || r.MovieID == filter.MovieID) && (filter.UserID.IsZero() || r.UserID == filter.UserID) && m.visible(r, filter.Viewer) {
			out = append(out, domain.DiaryEntry{Movie: m.movies[r.MovieID], Review: r})
		}
	}
	slices.SortFunc(out, domain.CompareDiaryEntries(filter.Sort))
	return out
}

// stats computes what DiaryStats must return for q.
func (m *publicModel) stats(q domain.StatsQuery) domain.Stats {
	var s domain.Stats
	films := map[domain.MovieID]int{}
	type yearAcc struct {
		viewings int
		films    map[domain.MovieID]bool
	}
	years := map[int]*yearAcc{}
	type ym struct {
		year  int
		month time.Month
	}
	months := map[ym]int{}
	ratings := map[domain.Rating]int{}
	directors := map[domain.Director]int{}
	for _, r := range m.reviews {
		if q.User.IsZero() && m.private[r.UserID] || !q.User.IsZero() && r.UserID != q.User {
			continue
		}
		w := r.WatchedAt.UTC()
		if q.Year != 0 && w.Year() != q.Year {
			continue
		}
		s.Viewings++
		films[r.MovieID]++
		if !r.Rating.IsZero() {
			s.Rated++
			s.RatingHalves += r.Rating.Halves()
			ratings[r.Rating]++
		}
		y := years[w.Year()]
		if y == nil {
			y = &yearAcc{films: map[domain.MovieID]bool{}}
			years[w.Year()] = y
		}
		y.viewings++
		y.films[r.MovieID] = true
		months[ym{w.Year(), w.Month()}]++
		if d := m.movies[r.MovieID].Director; !d.IsZero() {
			directors[d]++
		}
	}
	if s.Viewings == 0 {
		return domain.Stats{}
	}
	s.Films = len(films)
	for year, acc := range years {
		s.ByYear = append(s.ByYear, domain.YearStats{Year: year, Viewings: acc.viewings, Films: len(acc.films)})
	}
	slices.SortFunc(s.ByYear, func(a, b domain.YearStats) int { return cmp.Compare(a.Year, b.Year) })
	for k, n := range months {
		s.ByMonth = append(s.ByMonth, domain.MonthStats{Year: k.year, Month: k.month, Viewings: n})
	}
	slices.SortFunc(s.ByMonth, func(a, b domain.MonthStats) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Month, b.Month))
	})
	for rating, n := range ratings {
		s.Ratings = append(s.Ratings, domain.RatingCount{Rating: rating, Count: n})
	}
	slices.SortFunc(s.Ratings, func(a, b domain.RatingCount) int { return cmp.Compare(b.Rating.Halves(), a.Rating.Halves()) })
	for id, n := range films {
		s.TopFilms = append(s.TopFilms, domain.FilmCount{Movie: m.movies[id], Viewings: n})
	}
	slices.SortFunc(s.TopFilms, func(a, b domain.FilmCount) int {
		ai, bi := a.Movie.ID.UUID(), b.Movie.ID.UUID()
		return cmp.Or(cmp.Compare(b.Viewings, a.Viewings), strings.Compare(string(ai[:]), string(bi[:])))
	})
	s.TopFilms = s.TopFilms[:min(len(s.TopFilms), q.TopOrDefault())]
	for d, n := range directors {
		s.TopDirectors = append(s.TopDirectors, domain.DirectorCount{Director: d, Viewings: n})
	}
	slices.SortFunc(s.TopDirectors, func(a, b domain.DirectorCount) int {
		return cmp.Or(cmp.Compare(b.Viewings, a.Viewings), strings.Compare(a.Director.String(), b.Director.String()))
	})
	s.TopDirectors = s.TopDirectors[:min(len(s.TopDirectors), q.TopOrDefault())]
	return s
}

// viewers are the readers the visibility tests try.
func (f *publicFixture) viewers() []struct {
	name string
	id   domain.UserID
} {
	return []struct {
		name string
		id   domain.UserID
	}{
		{"signed out", domain.UserID{}},
		{"alice (public)", f.alice},
		{"bob (private, the owner)", f.bob},
		{"carol (public)", f.carol},
		{"ghost (no account)", f.ghost},
	}
}

// publicFilters are the filters the visibility tests try, without viewer.
func (f *publicFixture) publicFilters() []struct {
	name   string
	filter domain.DiaryFilter
} {
	type nf = struct {
		name   string
		filter domain.DiaryFilter
	}
	var out []nf
	for _, order := range []domain.SortOrder{domain.SortDesc, domain.SortAsc} {
		for _, c := range []nf{
			{"whole diary", domain.DiaryFilter{}},
			{"movie with private viewings", domain.DiaryFilter{MovieID: f.cleo.ID}},
			{"movie without", domain.DiaryFilter{MovieID: f.ran.ID}},
			{"private user", domain.DiaryFilter{UserID: f.bob}},
			{"public user", domain.DiaryFilter{UserID: f.alice}},
			{"user without account", domain.DiaryFilter{UserID: f.ghost}},
			{"private user and movie", domain.DiaryFilter{MovieID: f.cleo.ID, UserID: f.bob}},
			{"unknown user", domain.DiaryFilter{UserID: domain.NewUserID()}},
		} {
			c.filter.Sort = order
			out = append(out, nf{name: c.name + " " + order.String(), filter: c.filter})
		}
	}
	return out
}

func testPublicDiaryVisibility(t *testing.T, s PublicStore) {
	f := seedPublicDiary(t, s)
	for _, v := range f.viewers() {
		for _, c := range f.publicFilters() {
			t.Run(v.name+"/"+c.name, func(t *testing.T) {
				filter := c.filter
				filter.Viewer = v.id
				checkVisibleDiary(t, s, &f.publicModel, filter)
			})
		}
	}
}

// checkVisibleDiary checks one page holding every entry of filter, and its
// TotalCount.
func checkVisibleDiary(t *testing.T, s PublicStore, m *publicModel, filter domain.DiaryFilter) {
	t.Helper()
	want := m.entries(filter)
	page := queryDiary(t, s.Movies, domain.DiaryQuery{Filter: filter, Page: mustPage(t, domain.MaxPageLimit, 0)})
	checkEntries(t, page.Entries, want)
	if page.TotalCount != len(want) || page.HasMore {
		t.Errorf("TotalCount, HasMore = %d, %v; want %d, false", page.TotalCount, page.HasMore, len(want))
	}
}

func testPublicDiaryPaging(t *testing.T, s PublicStore) {
	f := seedPublicDiary(t, s)
	for _, v := range f.viewers()[:3] {
		for _, c := range f.publicFilters()[:8] { // newest first
			for _, limit := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/limit %d", v.name, c.name, limit), func(t *testing.T) {
					filter := c.filter
					filter.Viewer = v.id
					want := f.entries(filter)

					var byOffset []domain.DiaryEntry
					for offset := 0; offset <= len(want); offset += limit {
						page := queryDiary(t, s.Movies, domain.DiaryQuery{Filter: filter, Page: mustPage(t, limit, offset)})
						checkEntries(t, page.Entries, want[offset:min(offset+limit, len(want))])
						if wantMore := offset+limit < len(want); page.TotalCount != len(want) || page.HasMore != wantMore {
							t.Errorf("offset %d: TotalCount, HasMore = %d, %v; want %d, %v", offset, page.TotalCount, page.HasMore, len(want), wantMore)
						}
						byOffset = append(byOffset, page.Entries...)
						if t.Failed() {
							return
						}
					}
					checkEntries(t, byOffset, want)

					var byPosition []domain.DiaryEntry
					var after *domain.DiaryPosition
					for pages := 0; pages <= len(want); pages++ {
						page := queryDiary(t, s.Movies, domain.DiaryQuery{Filter: filter, Page: mustPage(t, limit, 0), After: after})
						start := len(byPosition)
						checkEntries(t, page.Entries, want[start:min(start+limit, len(want))])
						if wantMore := start+limit < len(want); page.TotalCount != len(want) || page.HasMore != wantMore {
							t.Errorf("page %d: TotalCount, HasMore = %d, %v; want %d, %v", pages, page.TotalCount, page.HasMore, len(want), wantMore)
						}
						byPosition = append(byPosition, page.Entries...)
						if !page.HasMore || len(page.Entries) == 0 || t.Failed() {
							break
						}
						pos := domain.PositionOf(page.Entries[len(page.Entries)-1])
						after = &pos
					}
					checkEntries(t, byPosition, want)
				})
			}
		}
	}
}

func testPublicDiaryPrivacyChange(t *testing.T, s PublicStore) {
	f := seedPublicDiary(t, s)
	off, on := false, true
	steps := []struct {
		name string
		user domain.UserID
		set  *bool
	}{
		{"bob made public", f.bob, &off},
		{"carol made private", f.carol, &on},
		{"bob made private again", f.bob, &on},
		{"carol made public again", f.carol, &off},
	}
	for _, step := range steps {
		if _, err := s.Users.UpdateProfile(t.Context(), step.user, domain.ProfileUpdate{Private: step.set}); err != nil {
			t.Fatalf("%s: UpdateProfile: %v", step.name, err)
		}
		f.private[step.user] = *step.set
		for _, v := range f.viewers() {
			for _, filter := range []domain.DiaryFilter{{}, {UserID: step.user}, {MovieID: f.capra.ID}} {
				filter.Viewer = v.id
				t.Run(step.name+"/"+v.name, func(t *testing.T) {
					checkVisibleDiary(t, s, &f.publicModel, filter)
				})
			}
		}
	}
}

func testPublicReviewHistory(t *testing.T, s PublicStore) {
	f := seedPublicDiary(t, s)
	for _, v := range f.viewers() {
		for _, m := range []domain.Movie{f.ran, f.ikiru, f.cleo, f.capra, f.nodir, f.dup, f.stray} {
			t.Run(v.name+"/"+m.Title.String(), func(t *testing.T) {
				h, err := s.Movies.ReviewHistory(t.Context(), m.ID, v.id)
				if err != nil {
					t.Fatalf("ReviewHistory: %v", err)
				}
				checkMovie(t, "ReviewHistory.Movie", h.Movie, f.movies[m.ID])
				want := f.entries(domain.DiaryFilter{MovieID: m.ID, Viewer: v.id, Sort: domain.SortAsc})
				got := make([]domain.DiaryEntry, len(h.Viewings))
				for i, r := range h.Viewings {
					got[i] = domain.DiaryEntry{Movie: f.movies[m.ID], Review: r}
				}
				checkEntries(t, got, want)
			})
		}
	}
	if _, err := s.Movies.ReviewHistory(t.Context(), domain.NewMovieID(), f.bob); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ReviewHistory(unknown movie) error = %v, want ErrNotFound", err)
	}
}

// statsQueries are the queries every statistics check asks: each user
// (the private one, the one without account, an unknown one) and the
// whole diary, each year of the fixture, all time and a year without
// viewings, with a top of 1, 3 and the default.
func (f *publicFixture) statsQueries() []struct {
	name string
	q    domain.StatsQuery
} {
	type nq = struct {
		name string
		q    domain.StatsQuery
	}
	users := []struct {
		name string
		id   domain.UserID
	}{
		{"whole diary", domain.UserID{}},
		{"alice", f.alice},
		{"bob (private)", f.bob},
		{"carol", f.carol},
		{"ghost (no account)", f.ghost},
		{"unknown user", domain.NewUserID()},
	}
	var out []nq
	for _, u := range users {
		for _, year := range []int{0, 2022, 2023, 2024, 2030} {
			for _, top := range []int{0, 1, 3} {
				out = append(out, nq{
					name: fmt.Sprintf("%s year %d top %d", u.name, year, top),
					q:    domain.StatsQuery{User: u.id, Year: year, Top: top},
				})
			}
		}
	}
	return out
}

// checkStats checks DiaryStats against the model for every statsQueries
// query.
func checkStats(t *testing.T, s PublicStore, f *publicFixture, when string) {
	t.Helper()
	for _, c := range f.statsQueries() {
		got, err := s.Stats.DiaryStats(t.Context(), c.q)
		if err != nil {
			t.Fatalf("%s: DiaryStats(%s): %v", when, c.name, err)
		}
		if problems := diffStats(got, f.stats(c.q)); len(problems) > 0 {
			t.Errorf("%s: DiaryStats(%s):\n\t%s", when, c.name, strings.Join(problems, "\n\t"))
		}
	}
}

// diffStats lists how got differs from want, field by field; empty and
// nil slices are equal.
func diffStats(got, want domain.Stats) []string {
	var out []string
	scalar := func(name string, g, w int) {
		if g != w {
			out = append(out, fmt.Sprintf("%s = %d, want %d", name, g, w))
		}
	}
	scalar("Viewings", got.Viewings, want.Viewings)
	scalar("Films", got.Films, want.Films)
	scalar("Rated", got.Rated, want.Rated)
	scalar("RatingHalves", got.RatingHalves, want.RatingHalves)
	if !slices.Equal(got.ByYear, want.ByYear) {
		out = append(out, fmt.Sprintf("ByYear = %v, want %v", got.ByYear, want.ByYear))
	}
	if !slices.Equal(got.ByMonth, want.ByMonth) {
		out = append(out, fmt.Sprintf("ByMonth = %v, want %v", got.ByMonth, want.ByMonth))
	}
	ratings := func(rs []domain.RatingCount) string {
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = fmt.Sprintf("%v×%d", r.Rating, r.Count)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	if !slices.Equal(got.Ratings, want.Ratings) {
		out = append(out, fmt.Sprintf("Ratings = %s, want %s", ratings(got.Ratings), ratings(want.Ratings)))
	}
	films := func(fs []domain.FilmCount) string {
		parts := make([]string, len(fs))
		for i, f := range fs {
			parts[i] = fmt.Sprintf("%q/%s×%d", f.Movie.Title, f.Movie.ID.String()[:8], f.Viewings)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	if films(got.TopFilms) != films(want.TopFilms) {
		out = append(out, fmt.Sprintf("TopFilms (title/ID×viewings) = %s, want %s", films(got.TopFilms), films(want.TopFilms)))
	} else {
		for i := range want.TopFilms {
			if got.TopFilms[i].Movie != want.TopFilms[i].Movie {
				out = append(out, fmt.Sprintf("TopFilms[%d].Movie = %s, want the stored %s", i, describeMovie(got.TopFilms[i].Movie), describeMovie(want.TopFilms[i].Movie)))
			}
		}
	}
	directors := func(ds []domain.DirectorCount) string {
		parts := make([]string, len(ds))
		for i, d := range ds {
			parts[i] = fmt.Sprintf("%q×%d", d.Director, d.Viewings)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	if !slices.Equal(got.TopDirectors, want.TopDirectors) {
		out = append(out, fmt.Sprintf("TopDirectors = %s, want %s", directors(got.TopDirectors), directors(want.TopDirectors)))
	}
	return out
}

func testStatsMatch(t *testing.T, s PublicStore) {
	f := seedPublicDiary(t, s)
	checkStats(t, s, f, "after the viewings were logged")
}

func testStatsAfterWrites(t *testing.T, s PublicStore) {
	ctx := t.Context()
	f := seedPublicDiary(t, s)
	at := FixtureTime.Add(5 * time.Hour)

	edit := func(key string, rating float64, watched time.Time) {
		t.Helper()
		r := f.byKey[key]
		r.Rating = ratingOrNone(t, rating)
		r.WatchedAt = watched
		edited, err := s.Movies.UpdateReview(ctx, r, at)
		if err != nil {
			t.Fatalf("UpdateReview(%s): %v", key, err)
		}
		f.reviews[r.ID] = edited.Entry.Review
		f.byKey[key] = edited.Entry.Review
	}
	steps := []struct {
		name  string
		write func()
	}{
		{"a rated viewing unrated and moved to another year", func() { edit("a-ran-2", unrated, day(2024, 6, 15, 20, 0, 0)) }},
		{"an unrated viewing rated and moved to another month", func() { edit("c-cleo", 4, day(2024, 7, 5, 5, 5, 0)) }},
		{"a private viewing re-rated and moved to another year", func() { edit("b-capra", 2.5, day(2022, 3, 4, 20, 0, 0)) }},
		{"a viewing moved across the new year", func() { edit("g-dup", 0.5, day(2023, 12, 31, 23, 59, 59)) }},
		{"viewings deleted", func() {
			for _, key := range []string{"g-ikiru", "a-nodir", "b-cleo-1"} {
				r := f.byKey[key]
				if _, err := s.Movies.DeleteReview(ctx, r.ID, at); err != nil {
					t.Fatalf("DeleteReview(%s): %v", key, err)
				}
				delete(f.reviews, r.ID)
			}
		}},
		{"a movie merged into the one holding its external ID", func() {
			got, _ := mustIdentify(t, s.Movies, f.dup.ID, metadataFor(t, f.dup, f.ran.ExternalID, "Akira Kurosawa"))
			checkMovie(t, "IdentifyMovie (merge)", got, f.movies[f.ran.ID])
			for id, r := range f.reviews {
				if r.MovieID == f.dup.ID {
					r.MovieID = f.ran.ID
					f.reviews[id] = r
				}
			}
			delete(f.movies, f.dup.ID)
		}},
		{"a movie given a director", func() {
			md := metadataFor(t, f.stray, NewExternalID(t), "Chantal Akerman")
			got, _ := mustIdentify(t, s.Movies, f.stray.ID, md)
			want := f.movies[f.stray.ID]
			want.ExternalID, want.Director = md.ExternalID, md.Director
			checkMovie(t, "IdentifyMovie (director)", got, want)
			f.movies[f.stray.ID] = got
		}},
		{"a viewing logged after the merge", func() {
			r := NewReview(t, f.ran.ID, f.carol, 4.5, day(2024, 2, 29, 23, 0, 0))
			saved := mustSaveViewing(t, s.Movies, domain.Viewing{Movie: f.movies[f.ran.ID], Review: r})
			f.reviews[r.ID] = saved.Review
		}},
		{"a public diary made private", func() {
			on := true
			if _, err := s.Users.UpdateProfile(ctx, f.carol, domain.ProfileUpdate{Private: &on}); err != nil {
				t.Fatalf("UpdateProfile: %v", err)
			}
			f.private[f.carol] = true
		}},
		{"a private diary made public", func() {
			off := false
			if _, err := s.Users.UpdateProfile(ctx, f.bob, domain.ProfileUpdate{Private: &off}); err != nil {
				t.Fatalf("UpdateProfile: %v", err)
			}
			f.private[f.bob] = false
		}},
	}
	if s.Imports != nil {
		steps = append(steps, struct {
			name  string
			write func()
		}{"an import batch saved", func() { importIntoPublicDiary(t, s, f) }})
	}
	for _, step := range steps {
		step.write()
		checkStats(t, s, f, "after "+step.name)
		if t.Failed() {
			return
		}
	}
}

// importIntoPublicDiary saves an import batch for alice: a rewatch of a
// stored film, a new film with a director and one without.
func importIntoPublicDiary(t *testing.T, s PublicStore, f *publicFixture) {
	t.Helper()
	is := importStore{imports: s.Imports, movies: s.Movies, users: s.Users}
	job := newImportJob(f.alice, importTime)
	mustCreateJob(t, is, job, importFiles())
	mustClaimJob(t, is, job.ID, importTime, importTime.Add(time.Minute), true)
	job.State = domain.ImportRunning
	b := domain.ImportBatch{Job: job, ClaimUntil: importTime.Add(2 * time.Minute), Viewings: []domain.ImportedViewing{
		imported(t, f.movies[f.ikiru.ID], f.alice, 4, "", day(2021, 10, 10, 10, 0, 0)),
		imported(t, NewMovie(t, NewExternalID(t), "Vagabond", 1985, "Agnès Varda"), f.alice, 5, "", day(2024, 1, 2, 0, 0, 0)),
		imported(t, NewMovie(t, domain.ExternalMetadataID{}, "Unknown Footage", 1901, ""), f.alice, 0, "", day(2021, 10, 10, 10, 0, 0)),
	}}
	b.Viewings[2].Viewing.Review.Rating = domain.Rating{}
	res := mustSaveBatch(t, is, b)
	if len(res.Saved) != len(b.Viewings) {
		t.Fatalf("SaveImportBatch saved %d viewings, want %d", len(res.Saved), len(b.Viewings))
	}
	for _, sv := range res.Saved {
		f.movies[sv.Movie.ID] = sv.Movie
		f.reviews[sv.Review.ID] = sv.Review
	}
}

func testStatsZero(t *testing.T, s PublicStore) {
	ctx := t.Context()
	for _, q := range []domain.StatsQuery{{}, {Year: 2024}, {User: domain.NewUserID()}} {
		got, err := s.Stats.DiaryStats(ctx, q)
		if err != nil {
			t.Fatalf("DiaryStats(%+v) of an empty store: %v", q, err)
		}
		if !reflect.DeepEqual(got, domain.Stats{}) {
			t.Errorf("DiaryStats(%+v) of an empty store = %+v, want zero Stats", q, got)
		}
	}
	seedPublicDiary(t, s)
	for _, q := range []domain.StatsQuery{{User: domain.NewUserID()}, {User: domain.NewUserID(), Year: 2024}, {Year: 1999}} {
		got, err := s.Stats.DiaryStats(ctx, q)
		if err != nil {
			t.Fatalf("DiaryStats(%+v): %v", q, err)
		}
		if !reflect.DeepEqual(got, domain.Stats{}) {
			t.Errorf("DiaryStats(%+v) = %+v, want zero Stats (nil slices)", q, got)
		}
	}
}
