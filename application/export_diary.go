package application

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// ExportDiary streams a user's whole diary, for an export file.
type ExportDiary struct {
	diary domain.DiaryExporter
	users domain.UserRepository
}

// NewExportDiary returns the ExportDiary use case; nothing may be nil.
func NewExportDiary(diary domain.DiaryExporter, users domain.UserRepository) (*ExportDiary, error) {
	if err := checkDependencies("ExportDiary",
		dependency{"diary", diary},
		dependency{"users", users},
	); err != nil {
		return nil, err
	}
	return &ExportDiary{diary: diary, users: users}, nil
}

// Export calls fn with every entry of user's diary (the zero UserID means
// actor's), oldest viewing first (watched_at, then review ID), and stops
// at fn's first error, which it returns as it is. Another user's diary
// needs actor to be the owner (domain.ErrForbidden otherwise); an unknown
// user is domain.ErrNotFound. A zero actor is a validation error.
func (uc *ExportDiary) Export(ctx context.Context, actor, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	if actor.IsZero() {
		var v domain.Validation
		v.Add("user_id", ruleUserIDRequired)
		return v.Err()
	}
	user, err := actingFor(ctx, uc.users, actor, user, "export")
	if err != nil {
		return fmt.Errorf("export diary: %w", err)
	}
	var fnErr error
	err = uc.diary.ExportDiary(ctx, user, func(e domain.ExportedEntry) error {
		fnErr = fn(e)
		return fnErr
	})
	if err != nil && fnErr != nil && err == fnErr {
		return err
	}
	if err != nil {
		return fmt.Errorf("export diary: %w", err)
	}
	return nil
}
