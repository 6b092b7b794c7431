package posterfetcher_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestFetcherPassesThePosterFetcherContract(t *testing.T) {
	t.Parallel()
	porttest.TestPosterFetcher(t, func(t *testing.T) domain.PosterFetcher {
		// The suite serves from loopback, which only AllowPrivate reaches.
		return newFetcher(t, posterfetcher.Config{AllowPrivate: true})
	})
}
