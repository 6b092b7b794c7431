package application_test

import (
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestLogoutEndsTheAccountsSessions(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	users := mock.NewMockUserRepository(ctrl)
	id := domain.NewUserID()
	users.EXPECT().IncrementSessionGeneration(gomock.Any(), id).Return(uint64(3), nil).Times(1)
	uc := must(application.NewLogout(users))
	if err := uc.Handle(t.Context(), application.LogoutCommand{User: id}); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

func TestLogoutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		user     domain.UserID
		expect   func(users *mock.MockUserRepository, id domain.UserID)
		wantKind error
	}{
		{"the zero user is a validation error, asked of no one", domain.UserID{},
			func(*mock.MockUserRepository, domain.UserID) {}, domain.ErrValidation},
		{"an unknown user is not found", domain.NewUserID(), func(users *mock.MockUserRepository, id domain.UserID) {
			users.EXPECT().IncrementSessionGeneration(gomock.Any(), id).Return(uint64(0), errNoRow)
		}, domain.ErrNotFound},
		{"a repository failure keeps its kind", domain.NewUserID(), func(users *mock.MockUserRepository, id domain.UserID) {
			users.EXPECT().IncrementSessionGeneration(gomock.Any(), id).Return(uint64(0), errDB)
		}, domain.ErrInfrastructure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctrl := gomock.NewController(t)
			users := mock.NewMockUserRepository(ctrl)
			tt.expect(users, tt.user)
			err := must(application.NewLogout(users)).Handle(t.Context(), application.LogoutCommand{User: tt.user})
			requireKind(t, err, tt.wantKind)
		})
	}
}

func TestLogoutNamesTheMissingUser(t *testing.T) {
	t.Parallel()
	uc := must(application.NewLogout(mock.NewMockUserRepository(gomock.NewController(t))))
	requireFields(t, uc.Handle(t.Context(), application.LogoutCommand{}), "user_id")
}

func TestNewLogoutRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	if _, err := application.NewLogout(nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil users: err = %v", err)
	}
}
