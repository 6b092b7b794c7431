// Package application holds the use cases of moviediary: logging a viewing,
// reading the diary and a film's history, registering, logging in,
// authenticating a bearer token and synchronising a poster.
//
// Each use case lives in its own file as a struct built by a constructor
// that takes only the ports it uses (rejecting nil ones with
// ErrMissingDependency) and a Handle method that takes a plain command or
// query struct. Use cases validate their input into domain value objects
// first, reporting every broken field at once in a *domain.ValidationError,
// and only then call ports. Every error they return wraps one of the domain
// error kinds, so callers classify failures with errors.Is.
//
// The package depends on package domain and the standard library only.
package application
