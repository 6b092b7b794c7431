package application_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// publicUsers finds every user, with a public diary: for the use cases
// whose tests are not about privacy.
type publicUsers struct{}

func (publicUsers) UserByID(_ context.Context, id domain.UserID) (domain.User, error) {
	return domain.User{ID: id}, nil
}

func (publicUsers) UsersByID(_ context.Context, ids []domain.UserID) ([]domain.User, error) {
	users := make([]domain.User, 0, len(ids))
	for _, id := range ids {
		users = append(users, domain.User{ID: id})
	}
	return users, nil
}

// usersFinder serves the given users and ErrNotFound for anyone else.
type usersFinder map[domain.UserID]domain.User

func (f usersFinder) UserByID(_ context.Context, id domain.UserID) (domain.User, error) {
	if u, ok := f[id]; ok {
		return u, nil
	}
	return domain.User{}, domain.ErrNotFound
}

func (f usersFinder) UsersByID(_ context.Context, ids []domain.UserID) ([]domain.User, error) {
	var users []domain.User
	for id, u := range f {
		if slices.Contains(ids, id) {
			users = append(users, u)
		}
	}
	return users, nil
}

func TestGetDiaryHidesPrivateDiaries(t *testing.T) {
	t.Parallel()
	owner := domain.User{ID: domain.NewUserID(), Private: true}
	other := domain.NewUserID()
	users := usersFinder{owner.ID: owner}

	t.Run("a private diary asked for by someone else is not found, and not read", func(t *testing.T) {
		t.Parallel()
		reader := mock.NewMockDiaryReader(gomock.NewController(t)) // no call expected
		uc := must(application.NewGetDiary(reader, users))
		for _, viewer := range []domain.UserID{{}, other} {
			_, err := uc.Handle(t.Context(), application.GetDiaryQuery{UserID: owner.ID.String(), Viewer: viewer})
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("viewer %v: err = %v, want ErrNotFound", viewer, err)
			}
		}
	})
	t.Run("its owner reads it, as themselves", func(t *testing.T) {
		t.Parallel()
		reader := mock.NewMockDiaryReader(gomock.NewController(t))
		uc := must(application.NewGetDiary(reader, users))
		reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
			if q.Filter.Viewer != owner.ID || q.Filter.UserID != owner.ID {
				t.Errorf("filter = %+v, want user and viewer %s", q.Filter, owner.ID)
			}
			return domain.DiaryPage{}, nil
		})
		if _, err := uc.Handle(t.Context(), application.GetDiaryQuery{UserID: owner.ID.String(), Viewer: owner.ID}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the whole diary is read as the viewer", func(t *testing.T) {
		t.Parallel()
		reader := mock.NewMockDiaryReader(gomock.NewController(t))
		uc := must(application.NewGetDiary(reader, users))
		reader.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
			if q.Filter.Viewer != other {
				t.Errorf("viewer = %s, want %s", q.Filter.Viewer, other)
			}
			return domain.DiaryPage{}, nil
		})
		if _, err := uc.Handle(t.Context(), application.GetDiaryQuery{Viewer: other}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown user is not found", func(t *testing.T) {
		t.Parallel()
		uc := must(application.NewGetDiary(mock.NewMockDiaryReader(gomock.NewController(t)), users))
		_, err := uc.Handle(t.Context(), application.GetDiaryQuery{UserID: domain.NewUserID().String()})
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	if _, err := application.NewGetDiary(mock.NewMockDiaryReader(gomock.NewController(t)), nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Fatalf("no users: err = %v, want ErrMissingDependency", err)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	me := domain.User{ID: domain.NewUserID(), Email: domain.MustParseEmail("ann@example.com")}
	str := func(s string) *string { return &s }
	yes := true

	t.Run("a change is stored and published", func(t *testing.T) {
		t.Parallel()
		ctrl := gomock.NewController(t)
		users, pub := mock.NewMockUserRepository(ctrl), mock.NewMockEventPublisher(ctrl)
		uc := must(application.NewProfiles(users, pub, nil, func() time.Time { return now }))
		name := domain.MustNewDisplayName("Ann")
		stored := me
		stored.DisplayName, stored.Private = name, true
		users.EXPECT().UpdateProfile(gomock.Any(), me.ID, domain.ProfileUpdate{DisplayName: &name, Private: &yes}).Return(stored, nil)
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.Event) error {
			pc, ok := e.(domain.ProfileChanged)
			if !ok || pc.UserID != me.ID || !pc.Private || !pc.OccurredAt().Equal(now) {
				t.Errorf("published %#v", e)
			}
			return nil
		})
		got, err := uc.Update(t.Context(), me.ID, application.ProfileChange{DisplayNameSet: true, DisplayName: str("  Ann "), Private: &yes})
		if err != nil || got != stored {
			t.Fatalf("Update = %+v, %v; want %+v", got, err, stored)
		}
	})
	t.Run("null removes the name", func(t *testing.T) {
		t.Parallel()
		ctrl := gomock.NewController(t)
		users, pub := mock.NewMockUserRepository(ctrl), mock.NewMockEventPublisher(ctrl)
		uc := must(application.NewProfiles(users, pub, nil, nil))
		users.EXPECT().UpdateProfile(gomock.Any(), me.ID, domain.ProfileUpdate{DisplayName: &domain.DisplayName{}}).Return(me, nil)
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil)
		if _, err := uc.Update(t.Context(), me.ID, application.ProfileChange{DisplayNameSet: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a bad name changes nothing", func(t *testing.T) {
		t.Parallel()
		ctrl := gomock.NewController(t)
		uc := must(application.NewProfiles(mock.NewMockUserRepository(ctrl), mock.NewMockEventPublisher(ctrl), nil, nil))
		for _, bad := range []string{"", "   ", "a\x07b", string(make([]rune, 51))} {
			_, err := uc.Update(t.Context(), me.ID, application.ProfileChange{DisplayNameSet: true, DisplayName: &bad, Private: &yes})
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != "display_name" {
				t.Errorf("name %q: err = %v, want a validation error of display_name", bad, err)
			}
		}
	})
	t.Run("nothing to change reads the profile, publishes nothing", func(t *testing.T) {
		t.Parallel()
		ctrl := gomock.NewController(t)
		users := mock.NewMockUserRepository(ctrl)
		uc := must(application.NewProfiles(users, mock.NewMockEventPublisher(ctrl), nil, nil))
		users.EXPECT().UserByID(gomock.Any(), me.ID).Return(me, nil)
		if got, err := uc.Update(t.Context(), me.ID, application.ProfileChange{}); err != nil || got != me {
			t.Fatalf("Update = %+v, %v", got, err)
		}
	})
	t.Run("a private profile is found by its owner only", func(t *testing.T) {
		t.Parallel()
		ctrl := gomock.NewController(t)
		users := mock.NewMockUserRepository(ctrl)
		uc := must(application.NewProfiles(users, mock.NewMockEventPublisher(ctrl), nil, nil))
		private := me
		private.Private = true
		users.EXPECT().UserByID(gomock.Any(), me.ID).Return(private, nil).Times(3)
		if _, err := uc.Profile(t.Context(), me.ID.String(), me.ID); err != nil {
			t.Fatalf("owner: %v", err)
		}
		for _, viewer := range []domain.UserID{{}, domain.NewUserID()} {
			if _, err := uc.Profile(t.Context(), me.ID.String(), viewer); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("viewer %v: err = %v, want ErrNotFound", viewer, err)
			}
		}
		var ve *domain.ValidationError
		if _, err := uc.Profile(t.Context(), "nope", domain.UserID{}); !errors.As(err, &ve) {
			t.Fatalf("malformed id: err = %v", err)
		}
	})
}

func TestGetStats(t *testing.T) {
	t.Parallel()
	private := domain.User{ID: domain.NewUserID(), Private: true}
	public := domain.User{ID: domain.NewUserID()}
	users := usersFinder{private.ID: private, public.ID: public}
	want := domain.Stats{Viewings: 3, Films: 2}

	ctrl := gomock.NewController(t)
	stats := mock.NewMockStatsReader(ctrl)
	uc := must(application.NewGetStats(stats, users))

	stats.EXPECT().DiaryStats(gomock.Any(), domain.StatsQuery{User: public.ID, Year: 2024}).Return(want, nil)
	res, err := uc.Handle(t.Context(), application.StatsRequest{UserID: public.ID.String(), Year: "2024"})
	if err != nil || res.User.ID != public.ID || res.Year != 2024 || res.Stats.Viewings != 3 {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	stats.EXPECT().DiaryStats(gomock.Any(), domain.StatsQuery{}).Return(want, nil)
	if _, err := uc.Handle(t.Context(), application.StatsRequest{Viewer: private.ID}); err != nil {
		t.Fatal(err)
	}
	// A private diary: its owner only.
	stats.EXPECT().DiaryStats(gomock.Any(), domain.StatsQuery{User: private.ID}).Return(want, nil)
	if _, err := uc.Handle(t.Context(), application.StatsRequest{UserID: private.ID.String(), Viewer: private.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Handle(t.Context(), application.StatsRequest{UserID: private.ID.String(), Viewer: public.ID}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("someone else: err = %v, want ErrNotFound", err)
	}
	// Bad input, every field at once, before any read.
	_, err = uc.Handle(t.Context(), application.StatsRequest{UserID: "x", Year: "24"})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("bad input: err = %v, want user_id and year", err)
	}
}
