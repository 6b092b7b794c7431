// Package browsertest checks moviediary's HTML interface in a real headless
// Chromium (Debian's chromium, driven over the DevTools protocol with
// chromedp): sign up, log a film through the form, see it listed with its
// poster, sign out and sign in again.
//
// It is a module of its own so that the browser driver never enters the
// dependency graph of the presentation module and the moviediary binary.
// The package holds tests only; they run when MOVIEDIARY_BROWSER_TESTS=1
// (make test-browser) and skip, saying so, otherwise.
package browsertest
