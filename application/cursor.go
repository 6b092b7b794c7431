package application

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// A diary cursor is the base64url (unpadded) form of:
//
//	version byte (2)
//	watched_at: signed varint of Unix seconds, unsigned varint of nanoseconds
//	review ID: 16 bytes
//	filter hash: the first 6 bytes of SHA-256 over the filters and the sort
//	tag: the first 16 bytes of HMAC-SHA256, under the cursor key, of all the
//	     bytes above
//
// It is opaque to clients. The tag means only this server (or one sharing
// its key) can make a cursor: a forged or altered one is refused before
// any of its fields is believed. The hash ties it to the query that made
// it, so a cursor reused with other filters or another sort is refused
// rather than silently paging something else. A signed cursor's position
// is still checked against what the domain allows (a watched_at from 1888
// to now + domain.ClockSkew, a non-nil review ID), so even a leaked key
// cannot take a time the database cannot hold to a query.
//
// Version 1 cursors (unsigned) are refused as malformed.
const (
	cursorVersion   = 2
	cursorHashBytes = 6
	cursorTagBytes  = 16
	uuidBytes       = 16
	// cursorMinBytes and cursorMaxBytes bound a decoded cursor: one byte
	// per varint at least, binary.MaxVarintLen64 at most.
	cursorMinBytes = 1 + 1 + 1 + uuidBytes + cursorHashBytes + cursorTagBytes
	cursorMaxBytes = 1 + 2*binary.MaxVarintLen64 + uuidBytes + cursorHashBytes + cursorTagBytes
)

// MinCursorKeyBytes is the shortest cursor key NewGetDiary accepts.
const MinCursorKeyBytes = 32

// Rules a cursor may break.
const (
	ruleCursorMalformed  = "is malformed: use the next_cursor of a previous page"
	ruleCursorForged     = "was not issued by this server or was altered: use the next_cursor of a previous page"
	ruleCursorOutOfRange = "holds a position outside the diary: use the next_cursor of a previous page"
	ruleCursorOtherQuery = "was made for other filters or another sort order"
	ruleCursorAndOffset  = "must not be combined with offset"
)

// cursorCodec signs and checks diary cursors with one key.
type cursorCodec struct {
	key []byte
	now func() time.Time
}

// filterHash fingerprints the filters and the sort a cursor belongs to.
func filterHash(f domain.DiaryFilter) [cursorHashBytes]byte {
	var movie, user string
	if !f.MovieID.IsZero() {
		movie = f.MovieID.String()
	}
	if !f.UserID.IsZero() {
		user = f.UserID.String()
	}
	sum := sha256.Sum256([]byte("diary|movie=" + movie + "|user=" + user + "|sort=" + f.Sort.String()))
	var h [cursorHashBytes]byte
	copy(h[:], sum[:])
	return h
}

// tag is the truncated HMAC-SHA256 of b under the codec's key.
func (c cursorCodec) tag(b []byte) []byte {
	mac := hmac.New(sha256.New, c.key)
	mac.Write(b)
	return mac.Sum(nil)[:cursorTagBytes]
}

// encode returns the cursor of the page that starts after pos.
func (c cursorCodec) encode(pos domain.DiaryPosition, f domain.DiaryFilter) string {
	b := make([]byte, 0, cursorMaxBytes)
	b = append(b, cursorVersion)
	t := pos.WatchedAt.UTC()
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	id := pos.ReviewID.UUID()
	b = append(b, id[:]...)
	h := filterHash(f)
	b = append(b, h[:]...)
	b = append(b, c.tag(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decode parses a cursor made by encode for filter f. The error is the
// rule the cursor broke. The tag is checked first, so nothing of a cursor
// this server did not sign is believed.
func (c cursorCodec) decode(s string, f domain.DiaryFilter) (domain.DiaryPosition, string) {
	if base64.RawURLEncoding.DecodedLen(len(s)) > cursorMaxBytes {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < cursorMinBytes || len(b) > cursorMaxBytes || b[0] != cursorVersion {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	body, tag := b[:len(b)-cursorTagBytes], b[len(b)-cursorTagBytes:]
	if !hmac.Equal(tag, c.tag(body)) {
		return domain.DiaryPosition{}, ruleCursorForged
	}
	b = body[1:]
	secs, n := binary.Varint(b)
	if n <= 0 {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	b = b[n:]
	nanos, n := binary.Uvarint(b)
	if n <= 0 || nanos >= uint64(time.Second) {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	b = b[n:]
	if len(b) != uuidBytes+cursorHashBytes {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	id, err := domain.ParseReviewID(formatUUID(b[:uuidBytes]))
	if err != nil {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	// Bound the seconds before time.Unix sees them (it wraps near the
	// int64 limits), then apply the domain's own rule for watched_at.
	if secs < minCursorSecs || secs > maxCursorSecs {
		return domain.DiaryPosition{}, ruleCursorOutOfRange
	}
	at := time.Unix(secs, int64(nanos)).UTC()
	if domain.ValidateWatchedAt(at, c.now()) != nil {
		return domain.DiaryPosition{}, ruleCursorOutOfRange
	}
	if h := filterHash(f); string(b[uuidBytes:]) != string(h[:]) {
		return domain.DiaryPosition{}, ruleCursorOtherQuery
	}
	return domain.DiaryPosition{WatchedAt: at, ReviewID: id}, ""
}

// The widest seconds a cursor may carry before the domain's rule is
// applied: 1 January of domain.FirstFilmYear to the end of year 9999.
var (
	minCursorSecs = time.Date(domain.FirstFilmYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxCursorSecs = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

// formatUUID writes 16 bytes in the canonical 8-4-4-4-12 text form.
func formatUUID(b []byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:16])
	return string(s[:])
}
