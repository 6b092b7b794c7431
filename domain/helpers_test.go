package domain_test

import (
	"errors"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// checkFieldErr asserts that err is a validation error naming field (or,
// with field "", that err is nil).
func checkFieldErr(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("error = %v, want a validation error", err)
	}
	var fe domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("error = %#v, want a FieldError for %q", err, field)
	}
	if fe.Rule == "" {
		t.Fatalf("FieldError for %q has no rule", field)
	}
}

// validationFields returns the fields of a *ValidationError in err.
func validationFields(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	out := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		out[i] = f.Field
	}
	return out
}

// mustPanic asserts that fn panics.
func mustPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	fn()
}
