package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

func TestParseSortOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		want  domain.SortOrder
		str   string
		field string
	}{
		{"", domain.SortDesc, "desc", ""},
		{"desc", domain.SortDesc, "desc", ""},
		{"asc", domain.SortAsc, "asc", ""},
		{"ASC", domain.SortDesc, "desc", "sort_by"},
		{"ascending", domain.SortDesc, "desc", "sort_by"},
		{" asc", domain.SortDesc, "desc", "sort_by"},
	}
	for _, tt := range tests {
		got, err := domain.ParseSortOrder(tt.in)
		checkFieldErr(t, err, tt.field)
		if got != tt.want || got.String() != tt.str {
			t.Errorf("ParseSortOrder(%q) = %v (%s), want %v (%s)", tt.in, got, got, tt.want, tt.str)
		}
	}
	if (domain.SortOrder(0)) != domain.SortDesc {
		t.Error("the zero SortOrder is not newest first")
	}
}

func TestNewPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limit      int
		offset     int
		wantFields []string
	}{
		{"limit 0", 0, 0, []string{"limit"}},
		{"limit 1", 1, 0, nil},
		{"limit 20", 20, 40, nil},
		{"limit 100", 100, 0, nil},
		{"limit 101", 101, 0, []string{"limit"}},
		{"offset -1", 20, -1, []string{"offset"}},
		{"offset 0", 20, 0, nil},
		{"large offset", 20, 1 << 40, nil},
		{"both bad, both reported", -5, -1, []string{"limit", "offset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := domain.NewPage(tt.limit, tt.offset)
			if tt.wantFields != nil {
				if got := validationFields(t, err); !slices.Equal(got, tt.wantFields) {
					t.Fatalf("fields %v, want %v", got, tt.wantFields)
				}
				return
			}
			if err != nil || p.Limit() != tt.limit || p.Offset() != tt.offset {
				t.Fatalf("NewPage = %d/%d, %v", p.Limit(), p.Offset(), err)
			}
		})
	}
}

func TestPageDefaults(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]domain.Page{"DefaultPage": domain.DefaultPage(), "zero Page": {}} {
		if p.Limit() != 20 || p.Offset() != 0 {
			t.Errorf("%s = %d/%d, want 20/0", name, p.Limit(), p.Offset())
		}
	}
}

// entry builds a diary entry watched at minute m, with a review ID whose
// order is given by idHex ("…000001" < "…000002").
func entry(t *testing.T, m int, idHex string, rating float64) domain.DiaryEntry {
	t.Helper()
	id := domain.MustParseReviewID("0190f5c2-7a3b-7cde-8f01-" + idHex)
	var stars domain.Rating // rating < 0: not rated
	if rating >= 0 {
		stars = domain.MustNewRating(rating)
	}
	r, err := domain.RestoreReview(id, domain.MustParseMovieID("0190f5c2-0000-7000-8000-000000000001"),
		domain.MustParseUserID("0190f5c2-0000-7000-8000-000000000002"), stars, domain.Comment{},
		now.Add(time.Duration(m)*time.Minute-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	return domain.DiaryEntry{Review: r}
}

func TestCompareDiaryEntriesAndPrecedes(t *testing.T) {
	t.Parallel()
	a := entry(t, 1, "000000000001", 3)
	b := entry(t, 2, "000000000001", 3) // later
	c := entry(t, 2, "000000000002", 3) // same time as b, larger ID
	in := []domain.DiaryEntry{c, a, b}

	asc := slices.Clone(in)
	slices.SortFunc(asc, domain.CompareDiaryEntries(domain.SortAsc))
	desc := slices.Clone(in)
	slices.SortFunc(desc, domain.CompareDiaryEntries(domain.SortDesc))
	ids := func(es []domain.DiaryEntry) []domain.ReviewID {
		out := make([]domain.ReviewID, len(es))
		for i, e := range es {
			out[i] = e.Review.ID
		}
		return out
	}
	if !slices.Equal(ids(asc), ids([]domain.DiaryEntry{a, b, c})) {
		t.Errorf("asc order wrong")
	}
	if !slices.Equal(ids(desc), ids([]domain.DiaryEntry{c, b, a})) {
		t.Errorf("desc order wrong")
	}

	pos := domain.PositionOf(b)
	if pos.ReviewID != b.Review.ID || !pos.WatchedAt.Equal(b.Review.WatchedAt) {
		t.Fatalf("PositionOf = %+v", pos)
	}
	tests := []struct {
		name  string
		e     domain.DiaryEntry
		order domain.SortOrder
		want  bool
	}{
		{"asc: later entry follows", c, domain.SortAsc, true},
		{"asc: earlier entry does not", a, domain.SortAsc, false},
		{"asc: the position's own entry does not", b, domain.SortAsc, false},
		{"desc: earlier entry follows", a, domain.SortDesc, true},
		{"desc: later entry does not", c, domain.SortDesc, false},
		{"desc: the position's own entry does not", b, domain.SortDesc, false},
	}
	for _, tt := range tests {
		if got := pos.Precedes(tt.e, tt.order); got != tt.want {
			t.Errorf("%s: Precedes = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReviewHistory(t *testing.T) {
	t.Parallel()
	// viewing i is watched at minute mins[i] with rating ratings[i]; input
	// order is deliberately not chronological.
	tests := []struct {
		name       string
		mins       []int
		ratings    []float64 // -1: not rated
		wantLatest float64   // -1: none
		wantTrend  domain.Trend
	}{
		{"no viewings", nil, nil, -1, domain.TrendNone},
		{"one viewing", []int{1}, []float64{5}, 5, domain.TrendNeutral},
		{"no rated viewing", []int{1, 2}, []float64{-1, -1}, -1, domain.TrendNone},
		{"one rated viewing among unrated", []int{1, 2, 3}, []float64{-1, 3.5, -1}, 3.5, domain.TrendNeutral},
		{"unrated latest is skipped: improved", []int{1, 2, 3}, []float64{2, 4.5, -1}, 4.5, domain.TrendImproved},
		{"half stars: just above the average", []int{1, 2}, []float64{4, 4.5}, 4.5, domain.TrendImproved},
		{"half stars: just below the average", []int{1, 2, 3}, []float64{0.5, 1, 0.5}, 0.5, domain.TrendDeclined},
		{"improved", []int{1, 2}, []float64{2, 4}, 4, domain.TrendImproved},
		{"declined", []int{1, 2}, []float64{4, 2}, 2, domain.TrendDeclined},
		{"equal to the average", []int{1, 2, 3}, []float64{2, 4, 3}, 3, domain.TrendNeutral},
		{"all equal", []int{1, 2}, []float64{3, 3}, 3, domain.TrendNeutral},
		{"unsorted input is sorted first: improved", []int{3, 1, 2}, []float64{5, 1, 1}, 5, domain.TrendImproved},
		{"unsorted input is sorted first: declined", []int{1, 3, 2}, []float64{5, 0, 5}, 0, domain.TrendDeclined},
		{"just above the average", []int{1, 2, 3}, []float64{3, 3, 4}, 4, domain.TrendImproved},
		{"just below the average", []int{1, 2, 3}, []float64{3, 3, 2}, 2, domain.TrendDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var viewings []domain.Review
			for i := range tt.mins {
				viewings = append(viewings, entry(t, tt.mins[i], "00000000000"+string(rune('1'+i)), tt.ratings[i]).Review)
			}
			input := slices.Clone(viewings)
			h := domain.NewReviewHistory(domain.Movie{}, viewings)
			if !slices.Equal(viewings, input) {
				t.Error("NewReviewHistory reordered its input")
			}
			for i := 1; i < len(h.Viewings); i++ {
				if h.Viewings[i].WatchedAt.Before(h.Viewings[i-1].WatchedAt) {
					t.Fatalf("viewings not ascending: %v", h.Viewings)
				}
			}
			latest, ok := h.LatestRating()
			if tt.wantLatest < 0 {
				if ok {
					t.Errorf("LatestRating = %v, true; want none", latest)
				}
			} else if !ok || latest.Stars() != tt.wantLatest {
				t.Errorf("LatestRating = %v, %v; want %v", latest, ok, tt.wantLatest)
			}
			if got := h.Trend(); got != tt.wantTrend {
				t.Errorf("Trend = %s, want %s", got, tt.wantTrend)
			}
		})
	}
}

func TestReviewHistory_TiesBreakByReviewID(t *testing.T) {
	t.Parallel()
	first := entry(t, 1, "000000000001", 1).Review
	second := entry(t, 1, "000000000002", 5).Review
	h := domain.NewReviewHistory(domain.Movie{}, []domain.Review{second, first})
	if h.Viewings[0].ID != first.ID {
		t.Fatal("viewings at the same time are not ordered by review ID")
	}
	if r, _ := h.LatestRating(); r.Stars() != 5 {
		t.Fatalf("LatestRating = %v, want 5", r)
	}
}
