package memory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// The memory adapter has no ChangeListener: one process holds its state.
// This test runs porttest.TestChangeListener against a fake one — memory
// repositories that announce their writes to listeners who subscribe
// some time after ListenChanges is called — to check the suite itself.

// fakeChanges hands the changes announced to every subscribed fn.
type fakeChanges struct {
	mu  sync.Mutex
	fns map[int]func(domain.DiaryChange)
	n   int
}

func (c *fakeChanges) announce(ch domain.DiaryChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fn := range c.fns {
		fn(ch)
	}
}

// ListenChanges subscribes fn after a while, as a listener connecting in
// the background would, and returns ctx's error once it ends.
func (c *fakeChanges) ListenChanges(ctx context.Context, fn func(domain.DiaryChange)) error {
	select {
	case <-time.After(300 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	c.n++
	id := c.n
	c.fns[id] = fn
	// What was announced before it subscribed is lost: anything may have
	// changed, as a store's listener says after its first read.
	fn(domain.DiaryChange{All: true})
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.fns, id)
		c.mu.Unlock()
	}()
	// How far it has heard, as a store's reads would say: announcements
	// hold c.mu while they call fn, so every one made before now has been
	// reported.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			c.mu.Lock()
			fn(domain.DiaryChange{Through: time.Now()})
			c.mu.Unlock()
		}
	}
}

type announcingMovies struct {
	*memory.MovieRepository
	c *fakeChanges
}

func (m announcingMovies) SaveViewing(ctx context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	saved, err := m.MovieRepository.SaveViewing(ctx, v)
	if err == nil {
		m.c.announce(domain.DiaryChange{User: saved.Review.UserID, Movie: saved.Movie.ID})
	}
	return saved, err
}

func (m announcingMovies) UpdateReview(ctx context.Context, r domain.Review, at time.Time) (domain.EditedReview, error) {
	edited, err := m.MovieRepository.UpdateReview(ctx, r, at)
	if err == nil {
		// Two narrow changes instead of one: the suite accepts either.
		m.c.announce(domain.DiaryChange{User: edited.Entry.Review.UserID})
		m.c.announce(domain.DiaryChange{Movie: edited.Entry.Movie.ID})
	}
	return edited, err
}

func (m announcingMovies) DeleteReview(ctx context.Context, id domain.ReviewID, at time.Time) ([]domain.Event, error) {
	events, err := m.MovieRepository.DeleteReview(ctx, id, at)
	if err == nil {
		for _, e := range events {
			if ch, ok := domain.ChangeOf(e); ok {
				m.c.announce(ch)
			}
		}
	}
	return events, err
}

func (m announcingMovies) SetPosterPath(ctx context.Context, id domain.MovieID, path domain.PosterPath) error {
	err := m.MovieRepository.SetPosterPath(ctx, id, path)
	if err == nil {
		m.c.announce(domain.DiaryChange{All: true})
	}
	return err
}

type announcingUsers struct {
	*memory.UserRepository
	c *fakeChanges
}

func (u announcingUsers) UpdateProfile(ctx context.Context, id domain.UserID, p domain.ProfileUpdate) (domain.User, error) {
	user, err := u.UserRepository.UpdateProfile(ctx, id, p)
	if err == nil {
		u.c.announce(domain.DiaryChange{User: id})
	}
	return user, err
}

func TestChangeListenerSuiteOnAFake(t *testing.T) {
	porttest.TestChangeListener(t, func(*testing.T) porttest.ChangeStores {
		c := &fakeChanges{fns: map[int]func(domain.DiaryChange){}}
		users := memory.NewUserRepository()
		return porttest.ChangeStores{
			Listener: c,
			Movies:   announcingMovies{memory.NewMovieRepository(memory.WithUsers(users)), c},
			Users:    announcingUsers{users, c},
		}
	})
}
