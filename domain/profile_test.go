package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

func TestPublicName(t *testing.T) {
	t.Parallel()
	id := domain.MustParseUserID("01a23d21-9797-7d5d-9e81-abf54be1fe3c")
	if got, want := domain.PublicName(id, domain.MustNewDisplayName("Ann")), "Ann"; got != want {
		t.Errorf("PublicName with a display name = %q, want %q", got, want)
	}
	if got, want := domain.PublicName(id, domain.DisplayName{}), "Diarist 4be1fe3c"; got != want {
		t.Errorf("PublicName without a display name = %q, want %q", got, want)
	}
}

// Accounts made one after the other share the first digits of their IDs
// (a UUIDv7 starts with its timestamp): their names must still differ.
func TestPublicNameTellsApartAccountsMadeTogether(t *testing.T) {
	t.Parallel()
	const n = 100
	names := make(map[string]domain.UserID, n)
	for range n {
		id := domain.NewUserID()
		name := domain.PublicName(id, domain.DisplayName{})
		if other, ok := names[name]; ok {
			t.Fatalf("accounts %s and %s are both shown as %q", other, id, name)
		}
		if strings.Contains(name, "@") || !strings.HasPrefix(name, "Diarist ") {
			t.Fatalf("PublicName = %q, want \"Diarist\" and digits of the ID", name)
		}
		names[name] = id
	}
}

func TestNewDisplayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Ann", "Ann", true},
		{"  Ann Lee \t", "Ann Lee", true},
		{strings.Repeat("é", domain.MaxDisplayNameChars), strings.Repeat("é", domain.MaxDisplayNameChars), true},
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("x", domain.MaxDisplayNameChars+1), "", false},
		{"Ann\x00", "", false},
		{"Ann\xff", "", false},
	}
	for _, tt := range tests {
		got, err := domain.NewDisplayName(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("NewDisplayName(%q) error = %v, want ok %t", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && got.String() != tt.want {
			t.Errorf("NewDisplayName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var fe domain.FieldError
		if !tt.ok && (!errors.As(err, &fe) || fe.Field != "display_name" || !errors.Is(err, domain.ErrValidation)) {
			t.Errorf("NewDisplayName(%q) error = %#v, want a validation error of display_name", tt.in, err)
		}
	}
}
