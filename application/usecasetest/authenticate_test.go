package application_test

import (
	"errors"
	"fmt"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	user := must(domain.NewUser(domain.MustParseEmail("owner@example.com"), must(domain.NewPasswordHash(hashPHC)), fixedNow))
	user.SessionGeneration = 2 // signed out twice
	badToken := fmt.Errorf("jwt: %w: token expired", domain.ErrUnauthorized)
	tests := []struct {
		name     string
		token    string
		expect   func(auth *mock.MockAuthService, users *mock.MockUserRepository)
		wantKind error // nil: success
	}{
		{
			name:  "valid token gives its user",
			token: "good",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "good").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
		},
		{
			name:     "no token is unauthorized without asking anyone",
			token:    "",
			expect:   func(*mock.MockAuthService, *mock.MockUserRepository) {},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "bad token is unauthorized",
			token: "expired",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "expired").Return(domain.Session{}, badToken)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of an ended session is unauthorized",
			token: "signed-out",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "signed-out").Return(domain.Session{User: user.ID, Generation: 1}, nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of a generation the account never reached is unauthorized",
			token: "ahead",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "ahead").Return(domain.Session{User: user.ID, Generation: 3}, nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of a deleted user is unauthorized",
			token: "orphan",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "orphan").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(domain.User{}, errNoRow)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "repository failure keeps its kind",
			token: "good",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "good").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(domain.User{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctrl := gomock.NewController(t)
			auth, users := mock.NewMockAuthService(ctrl), mock.NewMockUserRepository(ctrl)
			tt.expect(auth, users)
			uc := must(application.NewAuthenticate(auth, users))
			got, err := uc.Handle(t.Context(), tt.token)
			if tt.wantKind == nil {
				if err != nil || got != user {
					t.Fatalf("got (%+v, %v), want the user", got, err)
				}
				return
			}
			requireKind(t, err, tt.wantKind)
			if tt.wantKind != domain.ErrNotFound && errors.Is(err, domain.ErrNotFound) {
				t.Errorf("error %v leaks not found", err)
			}
		})
	}
}

func TestNewAuthenticateRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	if _, err := application.NewAuthenticate(nil, mock.NewMockUserRepository(ctrl)); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil auth: err = %v", err)
	}
	if _, err := application.NewAuthenticate(mock.NewMockAuthService(ctrl), nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil users: err = %v", err)
	}
}
