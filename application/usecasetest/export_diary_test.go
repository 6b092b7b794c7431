package application_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestNewExportDiaryRejectsNilPorts(t *testing.T) {
	_, err := application.NewExportDiary(nil, nil)
	requireKind(t, err, application.ErrMissingDependency)
}

func TestExportDiary(t *testing.T) {
	owner, user, stranger := domain.NewUserID(), domain.NewUserID(), domain.NewUserID()
	entries := []domain.ExportedEntry{
		{DiaryEntry: domain.DiaryEntry{Movie: mustMovie("tt0113277", "Heat", 1995, "")}},
		{DiaryEntry: domain.DiaryEntry{Movie: mustMovie("tt0113277", "Heat", 1995, "")}, Rewatch: true},
	}
	tests := []struct {
		name     string
		actor    domain.UserID
		user     domain.UserID
		expect   func(*mock.MockUserRepository)
		wantUser domain.UserID
		wantErr  error
	}{
		{"own diary", user, domain.UserID{}, func(*mock.MockUserRepository) {}, user, nil},
		{"own diary named", user, user, func(*mock.MockUserRepository) {}, user, nil},
		{"the owner exports anyone's", owner, user, func(u *mock.MockUserRepository) {
			u.EXPECT().Owner(gomock.Any()).Return(domain.User{ID: owner}, nil)
			u.EXPECT().UserByID(gomock.Any(), user).Return(domain.User{ID: user}, nil)
		}, user, nil},
		{"a non-owner may not", stranger, user, func(u *mock.MockUserRepository) {
			u.EXPECT().Owner(gomock.Any()).Return(domain.User{ID: owner}, nil)
		}, domain.UserID{}, domain.ErrForbidden},
		{"an unknown user", owner, stranger, func(u *mock.MockUserRepository) {
			u.EXPECT().Owner(gomock.Any()).Return(domain.User{ID: owner}, nil)
			u.EXPECT().UserByID(gomock.Any(), stranger).Return(domain.User{}, domain.ErrNotFound)
		}, domain.UserID{}, domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctrl := gomock.NewController(t)
			diary, users := mock.NewMockDiaryExporter(ctrl), mock.NewMockUserRepository(ctrl)
			tt.expect(users)
			if tt.wantErr == nil {
				diary.EXPECT().ExportDiary(gomock.Any(), tt.wantUser, gomock.Any()).DoAndReturn(
					func(_ context.Context, _ domain.UserID, fn func(domain.ExportedEntry) error) error {
						for _, e := range entries {
							if err := fn(e); err != nil {
								return err
							}
						}
						return nil
					})
			}
			uc := must(application.NewExportDiary(diary, users))
			var got []domain.ExportedEntry
			err := uc.Export(t.Context(), tt.actor, tt.user, func(e domain.ExportedEntry) error {
				got = append(got, e)
				return nil
			})
			if tt.wantErr != nil {
				requireKind(t, err, tt.wantErr)
				return
			}
			if err != nil || len(got) != 2 || !got[1].Rewatch {
				t.Fatalf("Export = %v, entries %+v", err, got)
			}
		})
	}
}

func TestExportDiaryStopsAtTheCallersError(t *testing.T) {
	ctrl := gomock.NewController(t)
	diary, users := mock.NewMockDiaryExporter(ctrl), mock.NewMockUserRepository(ctrl)
	user := domain.NewUserID()
	diary.EXPECT().ExportDiary(gomock.Any(), user, gomock.Any()).DoAndReturn(
		func(_ context.Context, _ domain.UserID, fn func(domain.ExportedEntry) error) error {
			return fn(domain.ExportedEntry{})
		})
	uc := must(application.NewExportDiary(diary, users))
	writeErr := errors.New("client went away")
	if err := uc.Export(t.Context(), user, domain.UserID{}, func(domain.ExportedEntry) error { return writeErr }); err != writeErr {
		t.Fatalf("error %v, want the callback's as it is", err)
	}
}
