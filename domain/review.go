package domain

import "time"

// ClockSkew is how far in the future a watched_at may lie, to forgive a
// client whose clock runs a little ahead.
const ClockSkew = 5 * time.Minute

// Review is one logged viewing of a movie. A rewatch is a new Review; its
// author may correct a review's rating, comment and watched_at (Edit) or
// delete it, and the movie and user it belongs to never change.
type Review struct {
	// ID identifies the review.
	ID ReviewID
	// MovieID is the movie watched.
	MovieID MovieID
	// UserID is the user who logged the viewing.
	UserID UserID
	// Rating is 0 to 5 stars in halves; zero when not rated.
	Rating Rating
	// Comment is the user's note; zero when there is none.
	Comment Comment
	// WatchedAt is when the film was watched (domain time, UTC, seconds).
	WatchedAt time.Time
	// CreatedAt is when the viewing was logged (system time, UTC).
	CreatedAt time.Time
}

// NewReview creates a review with a fresh ID, logged at now. watchedAt must
// not lie more than ClockSkew after now.
func NewReview(movieID MovieID, userID UserID, rating Rating, comment Comment, watchedAt, now time.Time) (Review, error) {
	if err := ValidateWatchedAt(watchedAt, now); err != nil {
		return Review{}, err
	}
	return RestoreReview(NewReviewID(), movieID, userID, rating, comment, watchedAt, now)
}

// ValidateWatchedAt checks that watchedAt is set and not in the future
// (beyond ClockSkew) relative to now.
func ValidateWatchedAt(watchedAt, now time.Time) error {
	if watchedAt.IsZero() {
		return fieldErr("watched_at", "is required")
	}
	if watchedAt.After(now.Add(ClockSkew)) {
		return fieldErr("watched_at", "must not be in the future")
	}
	if watchedAt.UTC().Year() < FirstFilmYear {
		return fieldErr("watched_at", "must not be before 1888")
	}
	return nil
}

// RestoreReview rebuilds a review from stored values; adapters use it when
// reading rows back. Times are normalised to UTC; watched_at is truncated
// to whole seconds, the precision the diary shows.
func RestoreReview(id ReviewID, movieID MovieID, userID UserID, rating Rating, comment Comment, watchedAt, createdAt time.Time) (Review, error) {
	var v Validation
	if id.IsZero() {
		v.Add("review_id", "must be set")
	}
	if movieID.IsZero() {
		v.Add("movie_id", "must be set")
	}
	if userID.IsZero() {
		v.Add("user_id", "must be set")
	}
	if watchedAt.IsZero() {
		v.Add("watched_at", "is required")
	}
	if createdAt.IsZero() {
		v.Add("created_at", "is required")
	}
	if err := v.Err(); err != nil {
		return Review{}, err
	}
	return Review{
		ID:        id,
		MovieID:   movieID,
		UserID:    userID,
		Rating:    rating,
		Comment:   comment,
		WatchedAt: watchedAt.UTC().Truncate(time.Second),
		CreatedAt: createdAt.UTC().Truncate(time.Microsecond),
	}, nil
}

// ReviewEdit is a correction of a review: each field that is set replaces
// the review's. A set Rating or Comment may hold the zero value, which
// clears it (not rated, no comment); watched_at cannot be cleared.
type ReviewEdit struct {
	// Rating, when set, is the new rating (zero: not rated).
	Rating *Rating
	// Comment, when set, is the new comment (zero: none).
	Comment *Comment
	// WatchedAt, when set, is the new time of viewing.
	WatchedAt *time.Time
}

// IsZero reports whether e changes nothing.
func (e ReviewEdit) IsZero() bool {
	return e.Rating == nil && e.Comment == nil && e.WatchedAt == nil
}

// Edit returns r with e applied. A new watched_at obeys the rules of
// NewReview relative to now; the ID, movie, user and created_at stay.
func (r Review) Edit(e ReviewEdit, now time.Time) (Review, error) {
	out := r
	if e.Rating != nil {
		out.Rating = *e.Rating
	}
	if e.Comment != nil {
		out.Comment = *e.Comment
	}
	if e.WatchedAt != nil {
		if err := ValidateWatchedAt(*e.WatchedAt, now); err != nil {
			return Review{}, err
		}
		out.WatchedAt = e.WatchedAt.UTC().Truncate(time.Second)
	}
	return out, nil
}

// User is an account that may log viewings.
type User struct {
	// ID identifies the account.
	ID UserID
	// Email is the account's address, unique among accounts.
	Email Email
	// PasswordHash is the hash of the account's password; it prints and
	// logs redacted (PasswordHash.PHC gives the hash).
	PasswordHash PasswordHash
	// CreatedAt is when the account was created (UTC).
	CreatedAt time.Time
	// SessionGeneration counts the times every session of the account was
	// ended (sign-out). A token carries the generation it was issued in and
	// is accepted only while that is still the account's (User.Accepts).
	// New accounts start at 0.
	SessionGeneration uint64
	// DisplayName is the name shown to others; zero until the user
	// chooses one (PublicName then shows a name made from the ID).
	DisplayName DisplayName
	// Private hides the user's diary — its pages, feeds, statistics and
	// API reads — from everyone but the user.
	Private bool
}

// Session returns the account's current session, the one a token issued
// now belongs to.
func (u User) Session() Session {
	return Session{User: u.ID, Generation: u.SessionGeneration}
}

// Accepts reports whether a token issued for s still signs the account in:
// it names this account and the account's sessions have not been ended
// since it was issued.
func (u User) Accepts(s Session) bool {
	return !u.ID.IsZero() && s.User == u.ID && s.Generation == u.SessionGeneration
}

// NewUser creates a user with a fresh ID.
func NewUser(email Email, hash PasswordHash, now time.Time) (User, error) {
	return RestoreUser(NewUserID(), email, hash, now)
}

// RestoreUser rebuilds a user from stored values.
func RestoreUser(id UserID, email Email, hash PasswordHash, createdAt time.Time) (User, error) {
	var v Validation
	if id.IsZero() {
		v.Add("user_id", "must be set")
	}
	if email.IsZero() {
		v.Add("email", "must not be empty")
	}
	if hash.IsZero() {
		v.Add("password_hash", "must not be empty")
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	return User{ID: id, Email: email, PasswordHash: hash, CreatedAt: createdAt.UTC().Truncate(time.Microsecond)}, nil
}
