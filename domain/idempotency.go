package domain

import "time"

// IdempotencyWindow is how long a client's idempotency key stands for the
// request it first came with: a retry within it replays the first answer;
// after it the key may be used afresh.
const IdempotencyWindow = 24 * time.Hour

// maxIdempotencyKeyLen bounds a key; a UUID (36 characters) is typical.
const maxIdempotencyKeyLen = 255

// IdempotencyKey is the key a client sends with a request it may retry
// (the Idempotency-Key header): 1 to 255 printable ASCII characters,
// unique per request among the client's own.
type IdempotencyKey struct{ v string }

// ParseIdempotencyKey validates a key as given; it is not trimmed.
func ParseIdempotencyKey(s string) (IdempotencyKey, error) {
	if s == "" || len(s) > maxIdempotencyKeyLen {
		return IdempotencyKey{}, fieldErr("idempotency_key", "must be 1 to 255 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return IdempotencyKey{}, fieldErr("idempotency_key", "must be printable ASCII")
		}
	}
	return IdempotencyKey{s}, nil
}

// String returns the key.
func (k IdempotencyKey) String() string { return k.v }

// IsZero reports whether k is the zero (no key).
func (k IdempotencyKey) IsZero() bool { return k.v == "" }

// IdempotentRequest is a request made under a key: whose it is, the key,
// and a fingerprint of what was asked, so that the key reused with another
// request is told apart from a retry.
type IdempotentRequest struct {
	// User is who sent the request; keys are scoped to their user.
	User UserID
	// Key is the client's key.
	Key IdempotencyKey
	// Fingerprint identifies the request's content (a hash, at most 128
	// characters); equal requests have equal fingerprints.
	Fingerprint string
}

// IsZero reports whether no key was given.
func (r IdempotentRequest) IsZero() bool { return r.Key.IsZero() }

// IdempotencyRecord is a stored key: the request it came with and the
// review that request logged.
type IdempotencyRecord struct {
	// Request is the user, key and fingerprint.
	Request IdempotentRequest
	// ReviewID is the review the request logged.
	ReviewID ReviewID
	// CreatedAt is when it was logged; the record counts until
	// CreatedAt + IdempotencyWindow.
	CreatedAt time.Time
}
