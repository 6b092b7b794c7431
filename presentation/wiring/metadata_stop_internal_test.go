package wiring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// blockingMetadata waits for its context on every lookup, counting them.
type blockingMetadata struct{ calls chan struct{} }

func (b blockingMetadata) wait(ctx context.Context) error {
	b.calls <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func (b blockingMetadata) MetadataByExternalID(ctx context.Context, _ domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, b.wait(ctx)
}

func (b blockingMetadata) SearchMetadata(ctx context.Context, _ domain.MovieTitle, _ domain.ReleaseYear) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, b.wait(ctx)
}

func (b blockingMetadata) PosterURL(ctx context.Context, _ domain.ExternalMetadataID) (domain.PosterURL, error) {
	return domain.PosterURL{}, b.wait(ctx)
}

// TestStoppableMetadataDefersAtShutdown: a lookup waiting on the source
// when shutdown starts returns at once with a deferral (its event waits
// for the next start, no attempt lost), and later lookups are deferred
// without reaching the source; before shutdown, a caller's own
// cancellation stays what it is.
func TestStoppableMetadataDefersAtShutdown(t *testing.T) {
	t.Parallel()
	inner := blockingMetadata{calls: make(chan struct{}, 10)}
	m := newStoppableMetadata(inner)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := m.PosterURL(ctx, domain.ExternalMetadataID{}); done <- err }()
	<-inner.calls
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || errors.As(err, new(*domain.DeferredError)) {
		t.Errorf("a caller's cancellation = %v, want context.Canceled, not a deferral", err)
	}

	go func() {
		_, err := m.SearchMetadata(context.Background(), domain.MovieTitle{}, domain.ReleaseYear{})
		done <- err
	}()
	<-inner.calls
	m.stop()
	var deferred *domain.DeferredError
	select {
	case err := <-done:
		if !errors.As(err, &deferred) || !deferred.Until.After(time.Now().Add(shutdownDeferral/2)) {
			t.Errorf("a lookup waiting at shutdown = %v, want a deferral of about %s", err, shutdownDeferral)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lookup waiting at shutdown did not return")
	}
	if _, err := m.MetadataByExternalID(context.Background(), domain.ExternalMetadataID{}); !errors.As(err, &deferred) || !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("a lookup after shutdown = %v, want a deferral", err)
	}
	if n := len(inner.calls); n != 0 {
		t.Errorf("%d lookups reached the source after shutdown", n)
	}
}
