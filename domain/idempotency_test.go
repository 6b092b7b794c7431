package domain_test

import (
	"strings"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

func TestParseIdempotencyKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		field string // "" when valid
	}{
		{"a UUID", "8e03978e-40d5-43e8-bc93-6894a57f9324", ""},
		{"one character", "k", ""},
		{"255 characters", strings.Repeat("k", 255), ""},
		{"printable ASCII punctuation and spaces, kept as given", ` "a key" ~!@#$%^&*()_+{}|:<>? `, ""},
		{"empty", "", "idempotency_key"},
		{"256 characters", strings.Repeat("k", 256), "idempotency_key"},
		{"a tab", "a\tb", "idempotency_key"},
		{"a line break", "a\nb", "idempotency_key"},
		{"NUL", "a\x00", "idempotency_key"},
		{"DEL", "a\x7f", "idempotency_key"},
		{"a non-ASCII letter", "clé", "idempotency_key"},
		{"invalid UTF-8", "a\xff", "idempotency_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := domain.ParseIdempotencyKey(tt.in)
			checkFieldErr(t, err, tt.field)
			if tt.field != "" {
				if !k.IsZero() {
					t.Errorf("got key %q along with the error", k)
				}
				return
			}
			if k.String() != tt.in || k.IsZero() {
				t.Errorf("key = %q (zero %v), want %q as given", k, k.IsZero(), tt.in)
			}
		})
	}
	var none domain.IdempotencyKey
	if !none.IsZero() || !(domain.IdempotentRequest{}).IsZero() {
		t.Error("the zero key and the zero request must be zero")
	}
	k, err := domain.ParseIdempotencyKey("k")
	if err != nil {
		t.Fatal(err)
	}
	if (domain.IdempotentRequest{Key: k}).IsZero() {
		t.Error("a request with a key is zero")
	}
}
