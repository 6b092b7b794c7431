package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

func TestFieldError(t *testing.T) {
	t.Parallel()
	fe := domain.FieldError{Field: "rating", Rule: "must be an integer from 0 to 5"}
	if fe.Error() != "rating: must be an integer from 0 to 5" {
		t.Errorf("Error = %q", fe.Error())
	}
	wrapped := fmt.Errorf("log review: %w", fe)
	if !errors.Is(wrapped, domain.ErrValidation) {
		t.Error("a wrapped FieldError is not ErrValidation")
	}
	if errors.Is(fe, domain.ErrNotFound) {
		t.Error("a FieldError matches ErrNotFound")
	}
}

func TestValidationError(t *testing.T) {
	t.Parallel()
	ve := &domain.ValidationError{Fields: []domain.FieldError{{Field: "a", Rule: "r1"}, {Field: "b", Rule: "r2"}}}
	if ve.Error() != "validation failed: a: r1; b: r2" {
		t.Errorf("Error = %q", ve.Error())
	}
	wrapped := fmt.Errorf("register: %w", ve)
	if !errors.Is(wrapped, domain.ErrValidation) || errors.Is(wrapped, domain.ErrConflict) {
		t.Error("a wrapped ValidationError is not (only) ErrValidation")
	}
	var got *domain.ValidationError
	if !errors.As(wrapped, &got) || got != ve {
		t.Error("errors.As does not find the ValidationError")
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	var zero domain.Validation
	if zero.Err() != nil || zero.Has("limit") {
		t.Fatal("an empty Validation has an error")
	}

	var v domain.Validation
	v.Check("ignored", nil)
	v.Add("limit", "must be from 1 to 100")
	v.Check("manual_title", domain.FieldError{Field: "title", Rule: "must not be empty"})
	v.Check("watched_at", fmt.Errorf("parse: %w", domain.FieldError{Field: "x", Rule: "must be a time"}))
	v.Check("page", &domain.ValidationError{Fields: []domain.FieldError{{Field: "limit", Rule: "r1"}, {Field: "offset", Rule: "r2"}}})
	v.Check("cursor", errors.New("malformed"))
	for field, want := range map[string]bool{"limit": true, "manual_title": true, "page": true, "cursor": true, "ignored": false, "title": false} {
		if v.Has(field) != want {
			t.Errorf("Has(%q) = %v, want %v", field, !want, want)
		}
	}
	err := v.Err()
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("Err = %v, want ErrValidation", err)
	}
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal("Err is not a *ValidationError")
	}
	want := []domain.FieldError{
		{Field: "limit", Rule: "must be from 1 to 100"},
		{Field: "manual_title", Rule: "must not be empty"},
		{Field: "watched_at", Rule: "must be a time"},
		{Field: "page", Rule: "r1"},
		{Field: "page", Rule: "r2"},
		{Field: "cursor", Rule: "malformed"},
	}
	if !slices.Equal(ve.Fields, want) {
		t.Fatalf("fields = %v, want %v", ve.Fields, want)
	}
	// Err returns a snapshot: later additions do not change it.
	v.Add("late", "rule")
	if len(ve.Fields) != len(want) {
		t.Fatal("a returned ValidationError changed after a later Add")
	}
	if n := len(v.Err().(*domain.ValidationError).Fields); n != len(want)+1 {
		t.Fatalf("second Err has %d fields, want %d", n, len(want)+1)
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"validation", domain.ErrValidation, true},
		{"field error", domain.FieldError{Field: "f", Rule: "r"}, true},
		{"validation error", &domain.ValidationError{}, true},
		{"not found", domain.ErrNotFound, true},
		{"unauthorized", domain.ErrUnauthorized, true},
		{"forbidden", domain.ErrForbidden, true},
		{"conflict", domain.ErrConflict, true},
		{"misconfigured", domain.ErrMisconfigured, true},
		{"permanent", domain.ErrPermanent, true},
		{"wrapped permanent", fmt.Errorf("fetch: 404: %w", domain.ErrNotFound), true},
		{"joined with a permanent one", errors.Join(errors.New("x"), domain.ErrPermanent), true},
		{"unavailable", domain.ErrUnavailable, false},
		{"wrapped unavailable", fmt.Errorf("omdb: %w", domain.ErrUnavailable), false},
		{"infrastructure", domain.ErrInfrastructure, false},
		{"unclassified", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := domain.IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestErrorKindsAreDistinct(t *testing.T) {
	t.Parallel()
	kinds := []error{domain.ErrValidation, domain.ErrNotFound, domain.ErrUnauthorized, domain.ErrForbidden,
		domain.ErrConflict, domain.ErrUnavailable, domain.ErrInfrastructure, domain.ErrMisconfigured, domain.ErrPermanent}
	for i, a := range kinds {
		for j, b := range kinds {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, i != j)
			}
		}
	}
}
