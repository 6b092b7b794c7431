package domain

import (
	"cmp"
	"slices"
	"time"
)

// DiaryEntry is one line of the diary: a viewing and the movie it was of.
type DiaryEntry struct {
	// Movie is the movie watched.
	Movie Movie
	// Review is the viewing; its MovieID is Movie.ID.
	Review Review
}

// SortOrder orders the diary by watched_at.
type SortOrder int

// Sort orders. The zero value is newest first, the diary's default.
const (
	SortDesc SortOrder = iota
	SortAsc
)

// ParseSortOrder accepts "asc", "desc" or "" (desc).
func ParseSortOrder(s string) (SortOrder, error) {
	switch s {
	case "", "desc":
		return SortDesc, nil
	case "asc":
		return SortAsc, nil
	}
	return SortDesc, fieldErr("sort_by", "must be asc or desc")
}

// String returns "asc" or "desc".
func (o SortOrder) String() string {
	if o == SortAsc {
		return "asc"
	}
	return "desc"
}

// Page bounds.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// Page is a validated limit and offset.
type Page struct {
	limit, offset int
}

// NewPage validates limit (1–100) and offset (≥ 0).
func NewPage(limit, offset int) (Page, error) {
	var v Validation
	if limit < 1 || limit > MaxPageLimit {
		v.Add("limit", "must be from 1 to 100")
	}
	if offset < 0 {
		v.Add("offset", "must be 0 or more")
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	return Page{limit: limit, offset: offset}, nil
}

// DefaultPage is the first page of DefaultPageLimit entries.
func DefaultPage() Page { return Page{limit: DefaultPageLimit} }

// Limit returns the page size (DefaultPageLimit for the zero Page).
func (p Page) Limit() int {
	if p.limit == 0 {
		return DefaultPageLimit
	}
	return p.limit
}

// Offset returns how many entries to skip.
func (p Page) Offset() int { return p.offset }

// DiaryFilter narrows the diary. Zero IDs mean "any".
type DiaryFilter struct {
	// MovieID keeps the viewings of one movie; zero keeps every movie.
	MovieID MovieID
	// UserID keeps the viewings of one user; zero keeps every user.
	UserID UserID
	// Viewer is who reads: the viewings of private diaries are left out
	// (from the entries and the total) unless they are Viewer's own. Zero
	// is someone signed out, who sees public diaries only. Viewings of a
	// user the store has no account for are public.
	Viewer UserID
	// Sort orders by watched_at, then review ID; the zero value is newest
	// first.
	Sort SortOrder
}

// DiaryPosition is a keyset position in the diary: the watched_at and review
// ID of the last entry of a page. Entries sort by (watched_at, review ID) in
// the filter's direction, so the position is unambiguous.
type DiaryPosition struct {
	// WatchedAt is the watched_at of the entry.
	WatchedAt time.Time
	// ReviewID is the review ID of the entry, which breaks ties.
	ReviewID ReviewID
}

// PositionOf returns the keyset position of an entry.
func PositionOf(e DiaryEntry) DiaryPosition {
	return DiaryPosition{WatchedAt: e.Review.WatchedAt, ReviewID: e.Review.ID}
}

// DiaryQuery asks for one page of the diary. When After is set the page
// starts right after that position and Page's offset must be 0.
type DiaryQuery struct {
	// Filter says which entries match and in which order.
	Filter DiaryFilter
	// Page is the page size and, without After, the offset.
	Page Page
	// After, when not nil, starts the page right after this position.
	After *DiaryPosition
}

// DiaryPage is one page of the diary.
type DiaryPage struct {
	// Entries are the page's entries in the query's order.
	Entries []DiaryEntry
	// TotalCount is the exact number of entries matching the filter, on
	// every page.
	TotalCount int
	// HasMore reports whether entries follow this page.
	HasMore bool
}

// CompareDiaryEntries orders entries by watched_at, then review ID, in the
// given order. Adapters that sort in memory use it; SQL adapters order by
// the same keys.
func CompareDiaryEntries(order SortOrder) func(a, b DiaryEntry) int {
	return func(a, b DiaryEntry) int {
		c := a.Review.WatchedAt.Compare(b.Review.WatchedAt)
		if c == 0 {
			c = slices.Compare(a.Review.ID.id[:], b.Review.ID.id[:])
		}
		if order == SortDesc {
			return -c
		}
		return c
	}
}

// Precedes reports whether position p comes strictly before entry e in
// order, that is whether e belongs on a page that starts after p.
func (p DiaryPosition) Precedes(e DiaryEntry, order SortOrder) bool {
	c := e.Review.WatchedAt.Compare(p.WatchedAt)
	if c == 0 {
		c = slices.Compare(e.Review.ID.id[:], p.ReviewID.id[:])
	}
	if order == SortDesc {
		c = -c
	}
	return c > 0
}

// Trend says how the latest rated viewing compares with all rated ones.
type Trend string

// Trends.
const (
	// TrendNone: no viewing is rated, so there is nothing to compare.
	TrendNone     Trend = ""
	TrendNeutral  Trend = "neutral"
	TrendImproved Trend = "improved"
	TrendDeclined Trend = "declined"
)

// ReviewHistory is a movie and every viewing of it, oldest first.
type ReviewHistory struct {
	// Movie is the movie.
	Movie Movie
	// Viewings are every review of Movie, oldest watched_at first.
	Viewings []Review
}

// NewReviewHistory sorts viewings by watched_at ascending (ties by review
// ID) and returns the history.
func NewReviewHistory(movie Movie, viewings []Review) ReviewHistory {
	v := slices.Clone(viewings)
	slices.SortStableFunc(v, func(a, b Review) int {
		return cmp.Or(a.WatchedAt.Compare(b.WatchedAt), slices.Compare(a.ID.id[:], b.ID.id[:]))
	})
	return ReviewHistory{Movie: movie, Viewings: v}
}

// LatestRating returns the rating of the latest rated viewing, and false
// when no viewing is rated.
func (h ReviewHistory) LatestRating() (Rating, bool) {
	for i := len(h.Viewings) - 1; i >= 0; i-- {
		if r := h.Viewings[i].Rating; !r.IsZero() {
			return r, true
		}
	}
	return Rating{}, false
}

// Trend compares the latest rated viewing's rating with the average of
// every rated viewing (latest included): higher is improved, lower
// declined, equal neutral. Unrated viewings do not count: one rated
// viewing is neutral, none is TrendNone.
func (h ReviewHistory) Trend() Trend {
	n, sum, latest := 0, 0, 0
	for _, r := range h.Viewings {
		if r.Rating.IsZero() {
			continue
		}
		n++
		sum += r.Rating.Halves()
		latest = r.Rating.Halves()
	}
	switch {
	case n == 0:
		return TrendNone
	case n == 1:
		return TrendNeutral
	}
	// latest > sum/n  ⇔  latest·n > sum, in integers (half stars).
	switch c := latest*n - sum; {
	case c > 0:
		return TrendImproved
	case c < 0:
		return TrendDeclined
	}
	return TrendNeutral
}
