package memory_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestOutboxContract(t *testing.T) {
	porttest.TestOutbox(t, func(*testing.T) (domain.Outbox, domain.ViewingSaver) {
		repo := memory.NewMovieRepository(memory.WithOutbox())
		return repo.Outbox(), repo
	})
}

func TestMovieRepositoryContractInOutboxMode(t *testing.T) {
	porttest.TestMovieRepository(t, func(*testing.T) domain.MovieRepository {
		return memory.NewMovieRepository(memory.WithOutbox())
	})
}

func TestSaveViewingWithoutOutboxModeStoresNoEvent(t *testing.T) {
	repo := memory.NewMovieRepository()
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")
	saved, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 5, porttest.FixtureTime)})
	if err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	if len(saved.Events) != 2 {
		t.Fatalf("SaveViewing returned %d events, want 2 for the caller to publish", len(saved.Events))
	}
	if n, err := repo.Outbox().PendingEvents(t.Context()); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0, nil: outbox mode is off", n, err)
	}
}

func TestEditsWithoutOutboxModeStoreNoEvent(t *testing.T) {
	ctx := t.Context()
	repo := memory.NewMovieRepository()
	m := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Late Autumn", 1960, "")
	saved, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 3.5, porttest.FixtureTime)})
	if err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	edited := saved.Review
	edited.Rating = domain.Rating{}
	got, err := repo.UpdateReview(ctx, edited, porttest.FixtureTime)
	if err != nil || len(got.Events) != 1 {
		t.Fatalf("UpdateReview = %d events, %v; want one event for the caller to publish", len(got.Events), err)
	}
	events, err := repo.DeleteReview(ctx, edited.ID, porttest.FixtureTime)
	if err != nil || len(events) != 1 {
		t.Fatalf("DeleteReview = %d events, %v; want one event for the caller to publish", len(events), err)
	}
	if n, err := repo.Outbox().PendingEvents(ctx); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0, nil: outbox mode is off", n, err)
	}
}
