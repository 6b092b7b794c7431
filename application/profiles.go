package application

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// UserFinder reads accounts: what the use cases that decide whether a diary
// may be shown need.
type UserFinder interface {
	// UserByID returns the user, or domain.ErrNotFound.
	UserByID(ctx context.Context, id domain.UserID) (domain.User, error)
	// UsersByID returns the users of ids that exist.
	UsersByID(ctx context.Context, ids []domain.UserID) ([]domain.User, error)
}

// visibleUser returns the user whose ID is id when viewer may see their
// diary, and an error wrapping domain.ErrNotFound when the user is unknown
// or their diary is private to someone else: a private diary is
// indistinguishable from none.
func visibleUser(ctx context.Context, users UserFinder, id, viewer domain.UserID) (domain.User, error) {
	u, err := users.UserByID(ctx, id)
	if err != nil {
		return domain.User{}, fmt.Errorf("user %s: %w", id, err)
	}
	if !u.VisibleTo(viewer) {
		return domain.User{}, fmt.Errorf("user %s: %w", id, domain.ErrNotFound)
	}
	return u, nil
}

// parseUserID validates a user ID given by a client (field user_id).
func parseUserID(s string) (domain.UserID, error) {
	id, err := domain.ParseUserID(strings.TrimSpace(s))
	if err != nil {
		var v domain.Validation
		v.Check("user_id", err)
		return domain.UserID{}, v.Err()
	}
	return id, nil
}

// ProfileChange is a change of the signed-in user's profile, as a client
// sent it. Absent fields stay as they are.
type ProfileChange struct {
	// DisplayNameSet says display_name was given.
	DisplayNameSet bool
	// DisplayName is the new name; nil (JSON null) removes the name.
	DisplayName *string
	// Private, when not nil, makes the diary private or public.
	Private *bool
}

// Profiles shows public profiles and lets users change their own: a display
// name shown instead of their email, which is never public, and whether
// their diary is private.
type Profiles struct {
	users     domain.UserRepository
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
}

// NewProfiles returns the Profiles use case; users and publisher must not be
// nil (ErrMissingDependency). A change publishes domain.ProfileChanged once
// stored, so caches of the pages showing the user's diary drop them.
func NewProfiles(users domain.UserRepository, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*Profiles, error) {
	if err := checkDependencies("Profiles", dependency{"users", users}, dependency{"publisher", publisher}); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Profiles{users: users, publisher: publisher, logger: logger, now: now}, nil
}

// Profile returns the user whose ID is id as viewer may see it: a
// validation error (field user_id) for a malformed ID, an error wrapping
// domain.ErrNotFound for an unknown user and for a private diary viewed by
// anyone but its owner.
func (uc *Profiles) Profile(ctx context.Context, id string, viewer domain.UserID) (domain.User, error) {
	uid, err := parseUserID(id)
	if err != nil {
		return domain.User{}, err
	}
	return visibleUser(ctx, uc.users, uid, viewer)
}

// Update applies ch to user's profile and returns the user as stored. Every
// malformed field is reported at once (display_name); a change of nothing
// returns the stored user unchanged.
func (uc *Profiles) Update(ctx context.Context, user domain.UserID, ch ProfileChange) (domain.User, error) {
	var (
		v   domain.Validation
		upd domain.ProfileUpdate
	)
	if ch.DisplayNameSet {
		var name domain.DisplayName
		if ch.DisplayName != nil {
			n, err := domain.NewDisplayName(*ch.DisplayName)
			v.Check("display_name", err)
			name = n
		}
		upd.DisplayName = &name
	}
	upd.Private = ch.Private
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}
	if upd.IsZero() {
		u, err := uc.users.UserByID(ctx, user)
		if err != nil {
			return domain.User{}, fmt.Errorf("profile of %s: %w", user, err)
		}
		return u, nil
	}
	u, err := uc.users.UpdateProfile(ctx, user, upd)
	if err != nil {
		return domain.User{}, fmt.Errorf("update profile of %s: %w", user, err)
	}
	publishStored(ctx, uc.publisher, uc.logger, []domain.Event{domain.NewProfileChanged(u, uc.now())})
	return u, nil
}
