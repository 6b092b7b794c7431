package memory_test

import (
	"errors"
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestWebhookRepositoryContract(t *testing.T) {
	porttest.TestWebhookRepository(t, func(*testing.T) domain.WebhookRepository {
		return memory.NewWebhookRepository()
	})
}

func TestPlayRecorderContract(t *testing.T) {
	porttest.TestPlayRecorder(t, func(*testing.T) domain.PlayRecorder {
		return memory.NewPlayRecorder(memory.NewMovieRepository())
	})
}

func TestPlayRecorderContractInOutboxMode(t *testing.T) {
	porttest.TestPlayRecorder(t, func(*testing.T) domain.PlayRecorder {
		return memory.NewPlayRecorder(memory.NewMovieRepository(memory.WithOutbox()))
	})
	porttest.TestPlayRecorderOutbox(t, func(*testing.T) (domain.Outbox, domain.PlayRecorder) {
		repo := memory.NewMovieRepository(memory.WithOutbox())
		return repo.Outbox(), memory.NewPlayRecorder(repo)
	})
}

func TestPlayRecorderWithoutOutboxModeStoresNoEvent(t *testing.T) {
	repo := memory.NewMovieRepository()
	p := mustPlay(t)
	if _, recorded, err := memory.NewPlayRecorder(repo).RecordPlay(t.Context(), p, porttest.FixtureTime); err != nil || !recorded {
		t.Fatalf("RecordPlay = %v, %v; want recorded", recorded, err)
	}
	if n, err := repo.Outbox().PendingEvents(t.Context()); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0: the repository is not in outbox mode", n, err)
	}
}

func TestIncompleteWebhooksAndPlaysAreValidationErrors(t *testing.T) {
	noSource := mustPlay(t)
	noSource.Source = ""
	if _, _, err := memory.NewPlayRecorder(memory.NewMovieRepository()).RecordPlay(t.Context(), noSource, porttest.FixtureTime); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("RecordPlay of a play without source: error = %v, want ErrValidation", err)
	}
	if err := memory.NewWebhookRepository().SaveWebhook(t.Context(), domain.Webhook{}); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("SaveWebhook of the zero webhook: error = %v, want ErrValidation", err)
	}
}

func mustPlay(t *testing.T) domain.Play {
	t.Helper()
	p, err := domain.NewPlay(domain.NewUserID(), domain.SourcePlex, domain.PlayWatched, porttest.NewExternalID(t),
		domain.MovieTitle{}, domain.ReleaseYear{}, porttest.FixtureTime, domain.Rating{}, porttest.FixtureTime)
	if err != nil {
		t.Fatalf("NewPlay: %v", err)
	}
	return p
}
