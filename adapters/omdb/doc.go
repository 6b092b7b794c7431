// Package omdb implements domain.MetadataClient on the OMDb API
// (https://www.omdbapi.com/): look-ups by IMDb ID (?i=) and by title and
// optional year (?t=&y=).
//
// Every OMDb answer is mapped to a domain error kind:
//
//	a film (200, "Response":"True")                         → metadata
//	"Incorrect IMDb ID.", "Movie not found!",
//	"Error getting data." and other "…not found!" answers     → domain.ErrNotFound
//	a film without a usable title, year or IMDb ID          → domain.ErrNotFound
//	"Invalid API key!", "No API key provided." (401)        → domain.ErrMisconfigured
//	"Request limit reached!" (401), 429, 5xx, timeouts,
//	connection errors, unparseable or oversized answers     → domain.ErrUnavailable
//	another 4xx (a wrong base URL)                          → domain.ErrMisconfigured
//	the caller's context ending                             → domain.ErrUnavailable and ctx's error
//
// Fields are strings in OMDb's JSON and "N/A" means absent: a "N/A" director
// or poster gives the zero Director or PosterURL. Year may be a range with
// an en dash ("2008–2013", "2008–"); its first year is the release year.
// The t= search is left without type=movie, as OMDb's own site does, so a
// series title finds the series; the year then is its first year.
//
// The API key travels in the query string, so it never appears in an error
// (URLs in errors read apikey=***), redirects are followed only to the same
// host and scheme, at most three times, and every request has a timeout and
// a cap on the size of the answer.
package omdb
