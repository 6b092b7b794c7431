package sqlrows

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// maxFingerprint bounds a request fingerprint, as domain.IdempotentRequest
// documents.
const maxFingerprint = 128

// IdempotencyRecord is a row of idempotency_keys, decoded.
type IdempotencyRecord struct {
	// UserID is the user the key belongs to.
	UserID uuid.UUID
	// Key is the client's idempotency key.
	Key string
	// Fingerprint identifies the request the key came with.
	Fingerprint string
	// ReviewID is the review that request logged.
	ReviewID uuid.UUID
	// CreatedAt is when the request logged it (the review's created_at).
	CreatedAt time.Time
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// ToDomain rebuilds the record, re-validating every column. When columns
// fail it returns a *domain.ValidationError listing every one of them,
// named for the column. CreatedAt is returned in UTC.
func (r IdempotencyRecord) ToDomain() (domain.IdempotencyRecord, error) {
	var c checker
	c.row("", r.DecodeErrors)
	user, err := domain.UserIDFromUUID(r.UserID)
	c.check("user_id", err)
	key, err := domain.ParseIdempotencyKey(r.Key)
	c.check("key", err)
	if len(r.Fingerprint) > maxFingerprint {
		c.add("fingerprint", "must be at most 128 characters")
	}
	review, err := domain.ReviewIDFromUUID(r.ReviewID)
	c.check("review_id", err)
	if r.CreatedAt.IsZero() {
		c.add("created_at", ruleRequired)
	}
	if c.failed {
		return domain.IdempotencyRecord{}, c.v.Err()
	}
	return domain.IdempotencyRecord{
		Request:   domain.IdempotentRequest{User: user, Key: key, Fingerprint: r.Fingerprint},
		ReviewID:  review,
		CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

// IdempotencyCutoff is the time that decides whether a stored record of a
// key blocks a viewing logged at created: a record created after the
// cutoff (less than domain.IdempotencyWindow before created) holds the key,
// and the save fails with IdempotencyConflict; one created at or before it
// is replaced by the new record.
func IdempotencyCutoff(created time.Time) time.Time {
	return created.Add(-domain.IdempotencyWindow)
}

// IdempotencyConflict is the error SaveViewing returns when req's key is
// held by an earlier request of the user: it wraps domain.ErrConflict.
func IdempotencyConflict(req domain.IdempotentRequest) error {
	return fmt.Errorf("idempotency key %q of user %v is held by a request of the last %v: %w",
		req.Key, req.User, domain.IdempotencyWindow, domain.ErrConflict)
}
