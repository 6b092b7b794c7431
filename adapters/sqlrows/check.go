package sqlrows

import (
	"errors"
	"fmt"
	"math"

	"github.com/moviediary/moviediary/domain"
)

// CheckMovie refuses a movie that a store is asked to save but that was not
// built by the domain's constructors: it returns a *domain.ValidationError
// listing every missing part, or nil.
func CheckMovie(m domain.Movie) error {
	_, err := domain.RestoreMovie(m.ID, m.ExternalID, m.Title, m.ReleaseYear, m.Director, m.PosterPath)
	return err
}

// CheckViewing refuses a viewing whose movie or review was not built by the
// domain's constructors, or whose idempotent request, when a key is given,
// has no user or a fingerprint over 128 characters: it returns one
// *domain.ValidationError listing every missing part, or nil. The review is
// checked as it will be stored, under its movie's ID.
func CheckViewing(v domain.Viewing) error {
	var val domain.Validation
	m, rv := v.Movie, v.Review
	if err := CheckMovie(m); err != nil {
		addFields(&val, "", err)
	}
	if _, err := domain.RestoreReview(rv.ID, m.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt); err != nil {
		addNewFields(&val, err)
	}
	if req := v.Idempotency; !req.IsZero() {
		if req.User.IsZero() {
			val.Add("idempotency.user", ruleRequired)
		}
		if len(req.Fingerprint) > maxFingerprint {
			val.Add("idempotency.fingerprint", "must be at most 128 characters")
		}
	}
	return val.Err()
}

// addNewFields records the fields of err that val does not hold yet (the
// movie's ID, reported once). It is apart from CheckViewing so that a valid
// viewing costs no allocation: errors.As's target escapes.
func addNewFields(val *domain.Validation, err error) {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		addFields(val, "", err)
		return
	}
	for _, f := range ve.Fields {
		if !val.Has(f.Field) {
			val.Add(f.Field, f.Rule)
		}
	}
}

// CheckUser refuses a user that a store is asked to save but that was not
// built by the domain's constructors: it returns a *domain.ValidationError
// listing every missing part, creation time included, or nil.
func CheckUser(u domain.User) error {
	var val domain.Validation
	if _, err := domain.RestoreUser(u.ID, u.Email, u.PasswordHash, u.CreatedAt); err != nil {
		addFields(&val, "", err)
	}
	if u.CreatedAt.IsZero() {
		val.Add("created_at", ruleRequired)
	}
	if u.SessionGeneration > math.MaxInt64 {
		val.Add("session_generation", "must be at most 2^63-1")
	}
	return val.Err()
}

// Corrupt reports a stored row that no longer passes the domain's rules:
// the database holds something the application never writes. It is an
// infrastructure failure, never a client's validation error, so err (the
// converter's *domain.ValidationError) is kept as text only. what names the
// row, e.g. "movie 0191…".
func Corrupt(what string, err error) error {
	return fmt.Errorf("%w: stored %s is invalid: %v", domain.ErrInfrastructure, what, err)
}
