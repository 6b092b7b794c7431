package porttest

import (
	"errors"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// TestMetadataClient runs the MetadataClient contract. newClient must
// return a client whose source knows exactly films (for an HTTP client: a
// fake server the factory starts that serves those films); it is called
// once per subtest.
//
// The suite pins lookups by IMDb ID, by title ignoring case with and
// without a year, poster URLs (present, none, unknown film) and ErrNotFound
// for films the source does not know.
func TestMetadataClient(t *testing.T, newClient func(t *testing.T, films []domain.MovieMetadata) domain.MetadataClient) {
	t.Helper()
	films := MetadataFixtures(t)
	shawshank, matrix, carmencita, dune1984, dune2021 := films[0], films[1], films[2], films[3], films[4]

	t.Run("known film by IMDb ID", func(t *testing.T) {
		c := newClient(t, films)
		for _, want := range films {
			got, err := c.MetadataByExternalID(t.Context(), want.ExternalID)
			if err != nil {
				t.Fatalf("MetadataByExternalID(%v): %v", want.ExternalID, err)
			}
			checkMetadata(t, got, want)
		}
	})

	t.Run("unknown IMDb ID is not found", func(t *testing.T) {
		c := newClient(t, films)
		if _, err := c.MetadataByExternalID(t.Context(), domain.MustParseExternalMetadataID("tt9999999")); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("MetadataByExternalID(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("search by title", func(t *testing.T) {
		c := newClient(t, films)
		for _, tc := range []struct {
			name  string
			title string
			year  int // 0: no year
			want  *domain.MovieMetadata
			oneOf []domain.MovieMetadata // when the source may pick any
		}{
			{name: "exact title", title: "The Shawshank Redemption", want: &shawshank},
			{name: "title in another case", title: "the MATRIX", want: &matrix},
			{name: "title and year", title: "The Matrix", year: 1999, want: &matrix},
			{name: "film without director or poster", title: "carmencita", year: 1894, want: &carmencita},
			{name: "year picks among films of one title", title: "Dune", year: 1984, want: &dune1984},
			{name: "other year picks the other film", title: "dune", year: 2021, want: &dune2021},
			{name: "without year any film of the title", title: "Dune", oneOf: []domain.MovieMetadata{dune1984, dune2021}},
			{name: "wrong year is not found", title: "The Matrix", year: 2005},
			{name: "unknown title is not found", title: "No Such Film Anywhere"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var year domain.ReleaseYear
				if tc.year != 0 {
					year = domain.MustNewReleaseYear(tc.year)
				}
				got, err := c.SearchMetadata(t.Context(), domain.MustNewMovieTitle(tc.title), year)
				switch {
				case tc.want != nil:
					if err != nil {
						t.Fatalf("SearchMetadata(%q, %d): %v", tc.title, tc.year, err)
					}
					checkMetadata(t, got, *tc.want)
				case tc.oneOf != nil:
					if err != nil {
						t.Fatalf("SearchMetadata(%q): %v", tc.title, err)
					}
					if got != tc.oneOf[0] && got != tc.oneOf[1] {
						t.Errorf("SearchMetadata(%q) = %+v, want one of %+v", tc.title, got, tc.oneOf)
					}
				default:
					if !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("SearchMetadata(%q, %d) = %+v, %v; want ErrNotFound", tc.title, tc.year, got, err)
					}
				}
			})
		}
	})

	t.Run("poster URL", func(t *testing.T) {
		c := newClient(t, films)
		for _, tc := range []struct {
			name string
			id   domain.ExternalMetadataID
			want domain.PosterURL
			err  error
		}{
			{"film with a poster", shawshank.ExternalID, shawshank.PosterURL, nil},
			{"film without a poster is the zero URL", carmencita.ExternalID, domain.PosterURL{}, nil},
			{"unknown film is not found", domain.MustParseExternalMetadataID("tt9999998"), domain.PosterURL{}, domain.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := c.PosterURL(t.Context(), tc.id)
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Errorf("PosterURL(%v) = %q, %v; want error %v", tc.id, got, err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("PosterURL(%v): %v", tc.id, err)
				}
				if got != tc.want {
					t.Errorf("PosterURL(%v) = %q, want %q", tc.id, got, tc.want)
				}
			})
		}
	})

	t.Run("source without films knows nothing", func(t *testing.T) {
		c := newClient(t, nil)
		if _, err := c.MetadataByExternalID(t.Context(), shawshank.ExternalID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("MetadataByExternalID error = %v, want ErrNotFound", err)
		}
		if _, err := c.SearchMetadata(t.Context(), shawshank.Title, domain.ReleaseYear{}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SearchMetadata error = %v, want ErrNotFound", err)
		}
	})
}

// MetadataFixtures returns the films TestMetadataClient's sources know, in
// this order: The Shawshank Redemption (1994), The Matrix (1999), Carmencita
// (1894, no director, no poster), Dune (1984) and Dune (2021). Poster URLs
// are on example.com.
func MetadataFixtures(t testing.TB) []domain.MovieMetadata {
	t.Helper()
	film := func(id, title string, year int, director, poster string) domain.MovieMetadata {
		d, err := domain.NewDirector(director)
		if err != nil {
			t.Fatalf("porttest: director: %v", err)
		}
		var p domain.PosterURL
		if poster != "" {
			p = domain.MustParsePosterURL(poster)
		}
		return domain.MovieMetadata{
			ExternalID:  domain.MustParseExternalMetadataID(id),
			Title:       domain.MustNewMovieTitle(title),
			ReleaseYear: domain.MustNewReleaseYear(year),
			Director:    d,
			PosterURL:   p,
		}
	}
	return []domain.MovieMetadata{
		film("tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", "https://posters.example.com/tt0111161.jpg"),
		film("tt0133093", "The Matrix", 1999, "Lana Wachowski, Lilly Wachowski", "https://posters.example.com/tt0133093.jpg"),
		film("tt0000001", "Carmencita", 1894, "", ""),
		film("tt0087182", "Dune", 1984, "David Lynch", "https://posters.example.com/tt0087182.jpg"),
		film("tt1160419", "Dune", 2021, "Denis Villeneuve", "https://posters.example.com/tt1160419.jpg"),
	}
}

func checkMetadata(t *testing.T, got, want domain.MovieMetadata) {
	t.Helper()
	if got != want {
		t.Errorf("metadata = {%v %q %v %q %q}, want {%v %q %v %q %q}",
			got.ExternalID, got.Title, got.ReleaseYear, got.Director, got.PosterURL,
			want.ExternalID, want.Title, want.ReleaseYear, want.Director, want.PosterURL)
	}
}
