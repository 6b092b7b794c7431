package omdb_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/omdb"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestClientPassesTheMetadataClientContract(t *testing.T) {
	t.Parallel()
	porttest.TestMetadataClient(t, func(t *testing.T, films []domain.MovieMetadata) domain.MetadataClient {
		answers := make([]string, len(films))
		for i, m := range films {
			answers[i] = answerFor(m)
		}
		_, srv := newFakeOMDb(t, answers...)
		return mustClient(t, omdb.Config{BaseURL: srv.URL + "/"})
	})
}
