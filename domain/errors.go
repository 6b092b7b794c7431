package domain

import (
	"errors"
	"strings"
)

// Error kinds. Every error a port or use case returns wraps exactly one of
// these, so callers classify failures with errors.Is and never by message.
var (
	// ErrValidation: the input broke a rule. See ValidationError for details.
	ErrValidation = errors.New("validation failed")
	// ErrNotFound: the requested resource does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: credentials or a token are missing, wrong or expired.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the caller is known but the action is not allowed.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the action collides with existing state (a duplicate email).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: an upstream dependency (OMDb, a poster host, the
	// database) is temporarily unavailable; retrying later may succeed.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrInfrastructure: an unexpected failure of the machinery underneath.
	ErrInfrastructure = errors.New("infrastructure failure")
	// ErrMisconfigured: a dependency refused our configuration (an invalid
	// API key). Retrying will not help until an operator fixes it.
	ErrMisconfigured = errors.New("misconfigured")
	// ErrPermanent: an upstream answered with something that repeating the
	// request will not change (a poster that is not an image, too large, or
	// on a refused address).
	ErrPermanent = errors.New("permanent failure")
)

// IsPermanent reports whether retrying the operation that returned err is
// pointless: validation failures, missing resources, refused permissions,
// misconfiguration and permanent upstream answers.
func IsPermanent(err error) bool {
	for _, kind := range []error{ErrValidation, ErrNotFound, ErrUnauthorized, ErrForbidden, ErrMisconfigured, ErrPermanent, ErrConflict} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// FieldError names one field and the rule it broke.
type FieldError struct {
	// Field is the name of the field as clients send it ("rating").
	Field string
	// Rule is the rule the field broke ("must be an integer from 0 to 5").
	Rule string
}

// Error returns "field: rule".
func (e FieldError) Error() string { return e.Field + ": " + e.Rule }

// Is makes a FieldError match ErrValidation.
func (e FieldError) Is(target error) bool { return target == ErrValidation }

// ValidationError collects every field that broke a rule, so a client learns
// all of its mistakes at once.
type ValidationError struct {
	// Fields are the broken rules, in the order they were found; a field
	// may appear more than once.
	Fields []FieldError
}

// Error lists the broken rules, "field: rule; field: rule".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Is makes a ValidationError match ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Validation collects field errors; the zero value is ready to use.
type Validation struct {
	fields []FieldError
}

// Add records that field broke rule.
func (v *Validation) Add(field, rule string) {
	v.fields = append(v.fields, FieldError{Field: field, Rule: rule})
}

// Check records err under field when err is not nil. A FieldError keeps its
// own rule text but is filed under field.
func (v *Validation) Check(field string, err error) {
	if err == nil {
		return
	}
	var fe FieldError
	if errors.As(err, &fe) {
		v.Add(field, fe.Rule)
		return
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			v.Add(field, f.Rule)
		}
		return
	}
	v.Add(field, err.Error())
}

// Has reports whether a rule broken by field is already recorded.
func (v *Validation) Has(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns a *ValidationError holding every recorded field, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: append([]FieldError(nil), v.fields...)}
}

func fieldErr(field, rule string) error { return FieldError{Field: field, Rule: rule} }
