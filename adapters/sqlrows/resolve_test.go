package sqlrows_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// fakeTx is a MovieTx over a map, whose writes can lose races to
// transactions that commit just before them.
type fakeTx struct {
	movies map[domain.MovieID]domain.Movie
	// beforeWrite, when set, runs before each write: another transaction
	// committing first.
	beforeWrite func(f *fakeTx)
	// loseWrites makes every write lose its race to a transaction that
	// then rolls back, so that the next look finds nothing either.
	loseWrites bool
	// fail makes the named method return its error.
	fail  map[string]error
	calls []string
}

func newFakeTx(stored ...domain.Movie) *fakeTx {
	f := &fakeTx{movies: map[domain.MovieID]domain.Movie{}}
	for _, m := range stored {
		f.movies[m.ID] = m
	}
	return f
}

func (f *fakeTx) call(name string) error {
	f.calls = append(f.calls, name)
	return f.fail[name]
}

func (f *fakeTx) holder(ext domain.ExternalMetadataID) (domain.Movie, bool) {
	for _, m := range f.movies {
		if m.ExternalID == ext {
			return m, true
		}
	}
	return domain.Movie{}, false
}

func (f *fakeTx) MovieByExternalID(_ context.Context, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	if err := f.call("MovieByExternalID"); err != nil {
		return domain.Movie{}, false, err
	}
	m, ok := f.holder(ext)
	return m, ok, nil
}

func (f *fakeTx) MovieByID(_ context.Context, id domain.MovieID) (domain.Movie, bool, error) {
	if err := f.call("MovieByID"); err != nil {
		return domain.Movie{}, false, err
	}
	m, ok := f.movies[id]
	return m, ok, nil
}

func (f *fakeTx) AttachExternalID(_ context.Context, id domain.MovieID, ext domain.ExternalMetadataID, director domain.Director) (domain.Movie, bool, error) {
	if err := f.call("AttachExternalID"); err != nil {
		return domain.Movie{}, false, err
	}
	if f.beforeWrite != nil {
		f.beforeWrite(f)
	}
	if _, taken := f.holder(ext); taken || f.loseWrites {
		return domain.Movie{}, false, nil
	}
	m := f.movies[id]
	m.ExternalID = ext
	if m.Director.IsZero() {
		m.Director = director
	}
	f.movies[id] = m
	return m, true, nil
}

func (f *fakeTx) InsertMovie(_ context.Context, m domain.Movie) (domain.Movie, bool, error) {
	if err := f.call("InsertMovie"); err != nil {
		return domain.Movie{}, false, err
	}
	if f.beforeWrite != nil {
		f.beforeWrite(f)
	}
	if _, exists := f.movies[m.ID]; exists || f.loseWrites {
		return domain.Movie{}, false, nil
	}
	if _, taken := f.holder(m.ExternalID); taken && !m.ExternalID.IsZero() {
		return domain.Movie{}, false, nil
	}
	f.movies[m.ID] = m
	return m, true, nil
}

// newMovie returns a movie with a fresh ID and, unless ext is "", that
// external ID.
func newMovie(t *testing.T, title, ext string) domain.Movie {
	t.Helper()
	var id domain.ExternalMetadataID
	if ext != "" {
		id = domain.MustParseExternalMetadataID(ext)
	}
	m, err := domain.NewMovie(id, domain.MustNewMovieTitle(title), mustYear(t, 1967), domain.Director{})
	if err != nil {
		t.Fatalf("NewMovie: %v", err)
	}
	return m
}

// mustDirector returns the director named name.
func mustDirector(t *testing.T, name string) domain.Director {
	t.Helper()
	d, err := domain.NewDirector(name)
	if err != nil {
		t.Fatalf("NewDirector(%q): %v", name, err)
	}
	return d
}

func TestResolveMovie(t *testing.T) {
	t.Parallel()
	storeErr := errors.New("store: connection lost")

	type want struct {
		movie  func(given domain.Movie, stored []domain.Movie) domain.Movie
		change domain.MovieChange
		err    error // matched with errors.Is
		calls  []string
	}
	givenMovie := func(given domain.Movie, _ []domain.Movie) domain.Movie { return given }
	storedMovie := func(_ domain.Movie, stored []domain.Movie) domain.Movie { return stored[0] }
	for _, tc := range []struct {
		name   string
		stored func(t *testing.T, given domain.Movie) []domain.Movie
		given  func(t *testing.T) domain.Movie
		setup  func(f *fakeTx, given domain.Movie)
		want   want
	}{
		{
			name:  "the holder of the external ID wins",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			stored: func(t *testing.T, _ domain.Movie) []domain.Movie {
				return []domain.Movie{newMovie(t, "Play Time", "tt0062136")}
			},
			want: want{movie: storedMovie, change: domain.MovieUnchanged, calls: []string{"MovieByExternalID"}},
		},
		{
			name:   "a stored ID without external ID is used as it is",
			given:  func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "") },
			stored: func(t *testing.T, given domain.Movie) []domain.Movie { return []domain.Movie{given} },
			want:   want{movie: storedMovie, change: domain.MovieUnchanged, calls: []string{"MovieByID"}},
		},
		{
			name:  "a stored ID gains the external ID it lacked",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			stored: func(t *testing.T, given domain.Movie) []domain.Movie {
				m := given
				m.ExternalID = domain.ExternalMetadataID{}
				return []domain.Movie{m}
			},
			want: want{movie: givenMovie, change: domain.MovieIdentified,
				calls: []string{"MovieByExternalID", "MovieByID", "AttachExternalID"}},
		},
		{
			name: "a stored ID gains the external ID and the director it lacked",
			given: func(t *testing.T) domain.Movie {
				m := newMovie(t, "Playtime", "tt0062136")
				m.Director = mustDirector(t, "Jacques Tati")
				return m
			},
			stored: func(t *testing.T, given domain.Movie) []domain.Movie {
				m := given
				m.ExternalID, m.Director = domain.ExternalMetadataID{}, domain.Director{}
				return []domain.Movie{m}
			},
			want: want{movie: givenMovie, change: domain.MovieIdentified,
				calls: []string{"MovieByExternalID", "MovieByID", "AttachExternalID"}},
		},
		{
			name: "a stored ID gains the external ID and keeps its director",
			given: func(t *testing.T) domain.Movie {
				m := newMovie(t, "Playtime", "tt0062136")
				m.Director = mustDirector(t, "J. Tati")
				return m
			},
			stored: func(t *testing.T, given domain.Movie) []domain.Movie {
				m := given
				m.ExternalID, m.Director = domain.ExternalMetadataID{}, mustDirector(t, "Jacques Tati")
				return []domain.Movie{m}
			},
			want: want{movie: func(given domain.Movie, stored []domain.Movie) domain.Movie {
				m := stored[0]
				m.ExternalID = given.ExternalID
				return m
			}, change: domain.MovieIdentified,
				calls: []string{"MovieByExternalID", "MovieByID", "AttachExternalID"}},
		},
		{
			name:  "a stored ID holding another external ID is a conflict",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			stored: func(t *testing.T, given domain.Movie) []domain.Movie {
				m := given
				m.ExternalID = domain.MustParseExternalMetadataID("tt0050706")
				return []domain.Movie{m}
			},
			want: want{err: domain.ErrConflict, calls: []string{"MovieByExternalID", "MovieByID"}},
		},
		{
			name:  "a new movie is inserted",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			want: want{movie: givenMovie, change: domain.MovieCreated,
				calls: []string{"MovieByExternalID", "MovieByID", "InsertMovie"}},
		},
		{
			name:  "an insert that loses the race uses the winner's movie",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			setup: func(f *fakeTx, given domain.Movie) {
				winner := given
				winner.ID = domain.NewMovieID()
				f.beforeWrite = func(f *fakeTx) { f.movies[winner.ID] = winner; f.beforeWrite = nil }
			},
			want: want{change: domain.MovieUnchanged,
				calls: []string{"MovieByExternalID", "MovieByID", "InsertMovie", "MovieByExternalID"}},
		},
		{
			name:  "an attach that loses the race uses the winner's movie",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			stored: func(t *testing.T, given domain.Movie) []domain.Movie {
				m := given
				m.ExternalID = domain.ExternalMetadataID{}
				return []domain.Movie{m}
			},
			setup: func(f *fakeTx, given domain.Movie) {
				winner := given
				winner.ID = domain.NewMovieID()
				f.beforeWrite = func(f *fakeTx) { f.movies[winner.ID] = winner; f.beforeWrite = nil }
			},
			want: want{change: domain.MovieUnchanged,
				calls: []string{"MovieByExternalID", "MovieByID", "AttachExternalID", "MovieByExternalID"}},
		},
		{
			name:  "writes that keep losing give up with a conflict",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "") },
			setup: func(f *fakeTx, _ domain.Movie) { f.loseWrites = true },
			want:  want{err: domain.ErrConflict, calls: slices.Repeat([]string{"MovieByID", "InsertMovie"}, sqlrows.MaxResolveAttempts)},
		},
		{
			name:  "a look-up's error is returned as it is",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			setup: func(f *fakeTx, _ domain.Movie) { f.fail = map[string]error{"MovieByID": storeErr} },
			want:  want{err: storeErr, calls: []string{"MovieByExternalID", "MovieByID"}},
		},
		{
			name:  "an insert's error is returned as it is",
			given: func(t *testing.T) domain.Movie { return newMovie(t, "Playtime", "tt0062136") },
			setup: func(f *fakeTx, _ domain.Movie) { f.fail = map[string]error{"InsertMovie": storeErr} },
			want:  want{err: storeErr, calls: []string{"MovieByExternalID", "MovieByID", "InsertMovie"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			given := tc.given(t)
			var stored []domain.Movie
			if tc.stored != nil {
				stored = tc.stored(t, given)
			}
			f := newFakeTx(stored...)
			if tc.setup != nil {
				tc.setup(f, given)
			}
			got, change, err := sqlrows.ResolveMovie(t.Context(), f, given)
			if !slices.Equal(f.calls, tc.want.calls) {
				t.Errorf("calls = %q, want %q", f.calls, tc.want.calls)
			}
			if tc.want.err != nil {
				if !errors.Is(err, tc.want.err) {
					t.Fatalf("ResolveMovie error = %v, want it to match %v", err, tc.want.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveMovie: %v", err)
			}
			if change != tc.want.change {
				t.Errorf("change = %v, want %v", change, tc.want.change)
			}
			if tc.want.movie == nil {
				// Lost races: the movie is the one now holding the external ID.
				holder, _ := f.holder(given.ExternalID)
				if !reflect.DeepEqual(got, holder) || got.ID == given.ID {
					t.Errorf("movie = %+v, want the winner %+v", got, holder)
				}
				return
			}
			if want := tc.want.movie(given, stored); !reflect.DeepEqual(got, want) {
				t.Errorf("movie = %+v, want %+v", got, want)
			}
		})
	}
}
