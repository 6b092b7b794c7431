package delivery_test

import (
	"fmt"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// A relay-like policy: five attempts, 250ms doubling, waits capped at 1s.
// Decide turns each attempt's result into what the bus does next.
func ExampleRetryPolicy() {
	p := delivery.RetryPolicy{MaxAttempts: 5, BaseDelay: 250 * time.Millisecond, Multiplier: 2, MaxDelay: time.Second}
	if err := p.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	for n := 1; n < p.Attempts(); n++ {
		fmt.Printf("wait after attempt %d: %v\n", n, p.Delay(n))
	}

	movie, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0133093"), domain.MustNewMovieTitle("The Matrix"), domain.MustNewReleaseYear(1999), domain.Director{})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := domain.NewMovieDiscovered(movie, domain.PosterURL{}, time.Now())

	outage := fmt.Errorf("poster host: %w", domain.ErrUnavailable)
	for n := 1; n <= p.Attempts(); n++ {
		switch a := p.Decide(e, n, outage); a.Outcome {
		case delivery.OutcomeRetry:
			fmt.Printf("attempt %d failed: retry in %v\n", n, a.Delay)
		case delivery.OutcomeDead:
			fmt.Printf("attempt %d failed: dead, %s\n", n, a.Reason)
		}
	}
	a := p.Decide(e, 1, fmt.Errorf("omdb: %w", domain.ErrNotFound))
	fmt.Printf("not found: %s, %s\n", a.Outcome, a.Reason)
	fmt.Println("success:", p.Decide(e, 2, nil).Outcome)

	// Output:
	// wait after attempt 1: 250ms
	// wait after attempt 2: 500ms
	// wait after attempt 3: 1s
	// wait after attempt 4: 1s
	// attempt 1 failed: retry in 250ms
	// attempt 2 failed: retry in 500ms
	// attempt 3 failed: retry in 1s
	// attempt 4 failed: retry in 1s
	// attempt 5 failed: dead, exhausted
	// not found: dead, permanent
	// success: success
}

// An invalid policy reports every bad field at once.
func ExampleRetryPolicy_Validate() {
	p := delivery.RetryPolicy{MaxAttempts: -1, Multiplier: 0.5}
	fmt.Println(p.Validate())
	// Output:
	// retry policy: validation failed: max_attempts: must be 1 or more, got -1; multiplier: must be 1 or more, got 0.5
}
