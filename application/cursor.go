package application

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// A diary cursor is the base64url (unpadded) form of:
//
//	version byte (1)
//	watched_at: signed varint of Unix seconds, unsigned varint of nanoseconds
//	review ID: 16 bytes
//	filter hash: the first 6 bytes of SHA-256 over the filters and the sort
//
// It is opaque to clients. The hash ties it to the query that made it, so a
// cursor reused with other filters or another sort is refused rather than
// silently paging something else.
const (
	cursorVersion   = 1
	cursorHashBytes = 6
	uuidBytes       = 16
)

// Rules a cursor may break.
const (
	ruleCursorMalformed  = "is malformed: use the next_cursor of a previous page"
	ruleCursorOtherQuery = "was made for other filters or another sort order"
	ruleCursorAndOffset  = "must not be combined with offset"
)

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

// encodeCursor returns the cursor of the page that starts after pos.
func encodeCursor(pos domain.DiaryPosition, f domain.DiaryFilter) string {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+uuidBytes+cursorHashBytes)
	b = append(b, cursorVersion)
	t := pos.WatchedAt.UTC()
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	id := pos.ReviewID.UUID()
	b = append(b, id[:]...)
	h := filterHash(f)
	b = append(b, h[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor made by encodeCursor for filter f. The error
// is the rule the cursor broke.
func decodeCursor(s string, f domain.DiaryFilter) (domain.DiaryPosition, string) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1 || b[0] != cursorVersion {
		return domain.DiaryPosition{}, ruleCursorMalformed
	}
	b = b[1:]
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
	if h := filterHash(f); string(b[uuidBytes:]) != string(h[:]) {
		return domain.DiaryPosition{}, ruleCursorOtherQuery
	}
	return domain.DiaryPosition{WatchedAt: time.Unix(secs, int64(nanos)).UTC(), ReviewID: id}, ""
}

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
