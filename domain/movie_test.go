package domain_test

import (
	"slices"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

func director(t *testing.T, s string) domain.Director {
	t.Helper()
	d, err := domain.NewDirector(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewMovie(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID("tt0078748")
	m, err := domain.NewMovie(ext, domain.MustNewMovieTitle("Alien"), domain.MustNewReleaseYear(1979), director(t, "Ridley Scott"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID.IsZero() || m.ExternalID != ext || m.Title.String() != "Alien" || m.ReleaseYear.Int() != 1979 ||
		m.Director.String() != "Ridley Scott" || m.HasPoster() {
		t.Fatalf("NewMovie = %+v", m)
	}
	// Optional parts may be absent.
	if _, err := domain.NewMovie(domain.ExternalMetadataID{}, domain.MustNewMovieTitle("Alien"), domain.MustNewReleaseYear(1979), domain.Director{}); err != nil {
		t.Fatalf("NewMovie without external ID and director: %v", err)
	}
}

func TestRestoreMovie(t *testing.T) {
	t.Parallel()
	id := domain.NewMovieID()
	poster := domain.MustNewPosterPath("posters/alien.jpg")
	m, err := domain.RestoreMovie(id, domain.ExternalMetadataID{}, domain.MustNewMovieTitle("Alien"), domain.MustNewReleaseYear(1979), domain.Director{}, poster)
	if err != nil || m.ID != id || !m.HasPoster() || m.PosterPath != poster {
		t.Fatalf("RestoreMovie = %+v, %v", m, err)
	}
	_, err = domain.RestoreMovie(domain.MovieID{}, domain.ExternalMetadataID{}, domain.MovieTitle{}, domain.ReleaseYear{}, domain.Director{}, domain.PosterPath{})
	if got := validationFields(t, err); !slices.Equal(got, []string{"movie_id", "title", "release_year"}) {
		t.Fatalf("RestoreMovie of nothing reports %v, want every required field", got)
	}
}

func TestMovie_IsManualMatch(t *testing.T) {
	t.Parallel()
	stored := func(dir string) domain.Movie {
		m, err := domain.NewMovie(domain.ExternalMetadataID{}, domain.MustNewMovieTitle("Le Samouraï"), domain.MustNewReleaseYear(1967), director(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name     string
		stored   string // stored director
		title    string
		year     int
		director string
		want     bool
	}{
		{"same everything", "Jean-Pierre Melville", "Le Samouraï", 1967, "Jean-Pierre Melville", true},
		{"title ignoring case", "", "LE SAMOURAÏ", 1967, "", true},
		{"title trimmed", "", "  le samouraï  ", 1967, "", true},
		{"other title", "", "Le Cercle rouge", 1967, "", false},
		{"other year", "", "Le Samouraï", 1968, "", false},
		{"both directors equal ignoring case", "Jean-Pierre Melville", "Le Samouraï", 1967, "JEAN-PIERRE MELVILLE", true},
		{"both directors differ", "Jean-Pierre Melville", "Le Samouraï", 1967, "John Woo", false},
		{"only the stored movie has a director", "Jean-Pierre Melville", "Le Samouraï", 1967, "", true},
		{"only the description has a director", "", "Le Samouraï", 1967, "John Woo", true},
		{"neither has a director", "", "Le Samouraï", 1967, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := stored(tt.stored)
			got := m.IsManualMatch(domain.MustNewMovieTitle(tt.title), domain.MustNewReleaseYear(tt.year), director(t, tt.director))
			if got != tt.want {
				t.Fatalf("IsManualMatch = %v, want %v", got, tt.want)
			}
		})
	}
}
