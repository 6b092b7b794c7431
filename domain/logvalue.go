package domain

import "log/slog"

// The value objects hold their data in unexported fields, so slog's JSON
// handler would log them as {} and its text handler only through String.
// LogValue makes both handlers log an ID, an address or a title as its text
// (and a rating or a year as its number) when it is an attribute's value:
//
//	logger.Info("logged", "movie_id", movie.ID, "user_id", user, "email", email)
//
// PasswordHash is the exception: its LogValue is redacted (see values.go).

var (
	_ slog.LogValuer = MovieID{}
	_ slog.LogValuer = ReviewID{}
	_ slog.LogValuer = UserID{}
	_ slog.LogValuer = EventID{}
	_ slog.LogValuer = ExternalMetadataID{}
	_ slog.LogValuer = Email{}
	_ slog.LogValuer = Comment{}
	_ slog.LogValuer = PasswordHash{}
)

// LogValue logs the ID as its canonical text form.
func (id MovieID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// LogValue logs the ID as its canonical text form.
func (id ReviewID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// LogValue logs the ID as its canonical text form.
func (id UserID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// LogValue logs the ID as its canonical text form.
func (id EventID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// LogValue logs the IMDb ID, e.g. "tt0111161" ("" when unset).
func (id ExternalMetadataID) LogValue() slog.Value { return slog.StringValue(id.v) }

// LogValue logs the lower-case address.
func (e Email) LogValue() slog.Value { return slog.StringValue(e.v) }

// LogValue logs the title.
func (t MovieTitle) LogValue() slog.Value { return slog.StringValue(t.v) }

// LogValue logs the director's name ("" when unknown).
func (d Director) LogValue() slog.Value { return slog.StringValue(d.v) }

// LogValue logs the number of stars.
func (r Rating) LogValue() slog.Value {
	if r.IsZero() {
		return slog.StringValue("none")
	}
	return slog.Float64Value(r.Stars())
}

// LogValue logs the year (0 when unset).
func (y ReleaseYear) LogValue() slog.Value { return slog.IntValue(y.v) }

// LogValue logs the URL.
func (u PosterURL) LogValue() slog.Value { return slog.StringValue(u.v) }

// LogValue logs the storage key.
func (p PosterPath) LogValue() slog.Value { return slog.StringValue(p.v) }

// LogValue logs the comment ("" when there is none).
func (c Comment) LogValue() slog.Value { return slog.StringValue(c.v) }
