package application_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// A title search that finds no film is an everyday outcome the manual
// description handles, so it is logged at DEBUG; a search that could not be
// answered stays a warning.
func TestLogReviewLogsATitleSearchMissAtDebug(t *testing.T) {
	t.Parallel()
	title := domain.MustNewMovieTitle(shawshank)
	year := domain.MustNewReleaseYear(shawshankYear)
	tests := []struct {
		name      string
		searchErr error
		want      slog.Level
	}{
		{"not found is DEBUG", errUnknownFilm, slog.LevelDebug},
		{"unavailable is WARN", errDown, slog.LevelWarn},
		{"misconfigured is WARN", errBadKey, slog.LevelWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, tt.searchErr)
			h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			h.expectSave(domain.MovieCreated)
			h.expectPublish(1, nil)

			cmd := baseCommand(t)
			cmd.ManualTitle, cmd.ManualReleaseYear = shawshank, ptr(shawshankYear)
			if _, err := h.uc.Handle(t.Context(), cmd); err != nil {
				t.Fatalf("Handle: %v", err)
			}

			var searchLogs []slog.Record
			for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				for _, rec := range h.logs.at(level) {
					if strings.Contains(rec.Message, "search by title") {
						searchLogs = append(searchLogs, rec)
					}
				}
			}
			if len(searchLogs) != 1 {
				t.Fatalf("logged %d records about the title search, want 1: %v", len(searchLogs), searchLogs)
			}
			rec := searchLogs[0]
			if rec.Level != tt.want {
				t.Errorf("title search failure logged at %v, want %v", rec.Level, tt.want)
			}
			if attr(rec, "title") != shawshank || attr(rec, "error") != tt.searchErr.Error() {
				t.Errorf("record %q: title=%q error=%q, want the title and the error", rec.Message, attr(rec, "title"), attr(rec, "error"))
			}
		})
	}
}

// With a production-like handler at INFO, a title search miss leaves the
// log empty.
func TestLogReviewTitleSearchMissIsSilentAtInfo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := newLogReviewHarness(t)
	h.metadata.EXPECT().SearchMetadata(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.MovieMetadata{}, errUnknownFilm)
	h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil)
	h.expectSave(domain.MovieCreated)
	h.expectPublish(1, nil)
	uc := must(application.NewLogReview(h.repo, h.metadata, h.publisher, logger, clock))

	cmd := baseCommand(t)
	cmd.ManualTitle, cmd.ManualReleaseYear = shawshank, ptr(shawshankYear)
	if _, err := uc.Handle(t.Context(), cmd); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("logged at INFO and above:\n%s", out.String())
	}
}
