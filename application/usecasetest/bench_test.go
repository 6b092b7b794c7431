package application_test

import (
	"context"
	"testing"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// fixedPageReader answers every diary query with the same full page, so a
// benchmark measures the use case (validation, cursor codec), not storage.
type fixedPageReader struct{ page domain.DiaryPage }

func (r fixedPageReader) QueryDiary(context.Context, domain.DiaryQuery) (domain.DiaryPage, error) {
	return r.page, nil
}

func (r fixedPageReader) ReviewHistory(context.Context, domain.MovieID, domain.UserID) (domain.ReviewHistory, error) {
	return domain.ReviewHistory{}, nil
}

func BenchmarkGetDiary(b *testing.B) {
	f := newDiaryFixture()
	reader := fixedPageReader{page: domain.DiaryPage{Entries: f.entries, TotalCount: 1_000_000, HasMore: true}}
	uc := must(application.NewGetDiary(reader, publicUsers{}, application.WithCursorKey(cursorKey)))
	ctx := context.Background()
	first := must(uc.Handle(ctx, application.GetDiaryQuery{UserID: f.users[0].String()}))

	b.Run("offset page", func(b *testing.B) {
		q := application.GetDiaryQuery{UserID: f.users[0].String(), Limit: ptr(20), Offset: ptr(40)}
		for b.Loop() {
			if _, err := uc.Handle(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cursor page", func(b *testing.B) {
		q := application.GetDiaryQuery{UserID: f.users[0].String(), Limit: ptr(20), Cursor: first.NextCursor}
		for b.Loop() {
			if _, err := uc.Handle(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
