package mediaserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// flexBool is a JSON boolean that a template may also have rendered as a
// string: true, "true", "True", "1"; null and "" are false.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	s, err := scalar(data)
	if err != nil {
		return err
	}
	if s == "" {
		*b = false
		return nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%s is not a boolean", data)
	}
	*b = flexBool(v)
	return nil
}

// flexInt is a JSON integer that may also come as a numeric string ("1986")
// or a float without fraction (1986.0); null and "" are no value.
type flexInt struct {
	v   int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(data []byte) error {
	s, err := scalar(data)
	if err != nil {
		return err
	}
	if s == "" {
		*n = flexInt{}
		return nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt{v: v, set: true}
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("%s is not an integer", data)
	}
	*n = flexInt{v: int64(f), set: true}
	return nil
}

// year returns n as a release year, nil when absent or not positive (some
// servers send 0 for an unknown year).
func (n flexInt) year() *int {
	if !n.set || n.v <= 0 || n.v > math.MaxInt32 {
		return nil
	}
	y := int(n.v)
	return &y
}

// scalar returns the text of a JSON string, number, boolean or null ("" for
// null); an object or array is an error.
func scalar(data []byte) (string, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("empty value")
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	case data[0] == '{' || data[0] == '[':
		return "", fmt.Errorf("%.20s… is not a scalar", data)
	case string(data) == "null":
		return "", nil
	default:
		return string(data), nil
	}
}

// imdbID returns s when it is an IMDb title ID (or IMDb URL) the domain
// accepts, "" otherwise.
func imdbID(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if _, err := domain.ParseExternalMetadataID(s); err != nil {
		return ""
	}
	return s
}

// timestampLayouts are the forms Jellyfin and Emby write times in: RFC 3339
// (any fraction of a second, Z or an offset), and the same without a zone,
// which means UTC.
var timestampLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// parseTimestamp reads an ISO-8601 time; the zero time (at receipt) when s
// is empty or in no known form, since a template may render dates in a
// locale's format and the play happened at about the time it is posted.
func parseTimestamp(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
