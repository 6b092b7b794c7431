package mock_test

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// In a test, gomock.NewController(t) takes the *testing.T, fails the test
// on an unexpected call and checks at cleanup that every expected call was
// made. This example runs outside a test, so reporter stands in for t.
func ExampleMockMetadataClient() {
	t := &reporter{}
	ctrl := gomock.NewController(t)

	amelie := domain.MustParseExternalMetadataID("tt0211915")
	metadata := mock.NewMockMetadataClient(ctrl)
	metadata.EXPECT().
		MetadataByExternalID(gomock.Any(), amelie).
		Return(domain.MovieMetadata{
			ExternalID:  amelie,
			Title:       domain.MustNewMovieTitle("Amélie"),
			ReleaseYear: domain.MustNewReleaseYear(2001),
		}, nil)
	metadata.EXPECT().
		SearchMetadata(gomock.Any(), gomock.Any(), gomock.Any()).
		Return(domain.MovieMetadata{}, fmt.Errorf("omdb: %w: timeout", domain.ErrUnavailable)).
		Times(2)

	// The code under test sees a domain.MetadataClient.
	var client domain.MetadataClient = metadata
	ctx := context.Background()
	md, err := client.MetadataByExternalID(ctx, amelie)
	fmt.Println(md.Title, md.ReleaseYear, err)
	for range 2 {
		_, err := client.SearchMetadata(ctx, domain.MustNewMovieTitle("Amelie"), domain.ReleaseYear{})
		fmt.Println("search unavailable:", errors.Is(err, domain.ErrUnavailable))
	}

	// In a test, t.Cleanup calls Finish: it reports expected calls that were
	// not made. Every one was, so nothing is reported.
	ctrl.Finish()
	fmt.Println("failures reported:", t.failures)
	// Output:
	// Amélie 2001 <nil>
	// search unavailable: true
	// search unavailable: true
	// failures reported: 0
}

// reporter is a gomock.TestReporter that prints what a *testing.T would
// report.
type reporter struct{ failures int }

func (r *reporter) Errorf(format string, args ...any) {
	r.failures++
	fmt.Printf("error: "+format+"\n", args...)
}

func (r *reporter) Fatalf(format string, args ...any) {
	r.failures++
	fmt.Printf("fatal: "+format+"\n", args...)
}
