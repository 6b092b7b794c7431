package domain

import "strings"

// Movie is a film, stored once however often it is watched.
//
// Its fields are value objects that validated themselves, so a Movie built
// with NewMovie or RestoreMovie always holds valid data. The zero value of
// an optional field (ExternalID, Director, PosterPath) means absent.
type Movie struct {
	// ID identifies the movie.
	ID MovieID
	// ExternalID is the IMDb ID; zero for a film described by hand.
	ExternalID ExternalMetadataID
	// Title is the film's title.
	Title MovieTitle
	// ReleaseYear is the film's release year.
	ReleaseYear ReleaseYear
	// Director is the film's director; zero when unknown.
	Director Director
	// PosterPath is where the poster is stored; zero when none is.
	PosterPath PosterPath
}

// NewMovie creates a movie with a fresh ID and no poster.
func NewMovie(externalID ExternalMetadataID, title MovieTitle, year ReleaseYear, director Director) (Movie, error) {
	return RestoreMovie(NewMovieID(), externalID, title, year, director, PosterPath{})
}

// RestoreMovie rebuilds a movie from stored values; adapters use it when
// reading rows back. It checks that the required parts are present.
func RestoreMovie(id MovieID, externalID ExternalMetadataID, title MovieTitle, year ReleaseYear, director Director, poster PosterPath) (Movie, error) {
	var v Validation
	if id.IsZero() {
		v.Add("movie_id", "must be set")
	}
	if title.IsZero() {
		v.Add("title", "must not be empty")
	}
	if year.IsZero() {
		v.Add("release_year", "must be set")
	}
	if err := v.Err(); err != nil {
		return Movie{}, err
	}
	return Movie{ID: id, ExternalID: externalID, Title: title, ReleaseYear: year, Director: director, PosterPath: poster}, nil
}

// IsManualMatch reports whether a manually described film is this movie:
// the same title ignoring case and the same year; when both sides name a
// director the names must match ignoring case, and a missing director on
// either side matches.
func (m Movie) IsManualMatch(title MovieTitle, year ReleaseYear, director Director) bool {
	if !m.Title.EqualFold(title) || m.ReleaseYear != year {
		return false
	}
	if m.Director.IsZero() || director.IsZero() {
		return true
	}
	return strings.EqualFold(m.Director.String(), director.String())
}

// HasPoster reports whether a poster is stored for the movie.
func (m Movie) HasPoster() bool { return !m.PosterPath.IsZero() }
