package application

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// GetDiaryQuery asks for one page of the diary. Its fields are raw client
// input; GetDiary validates them.
type GetDiaryQuery struct {
	// MovieID narrows the diary to one movie; "" means every movie.
	MovieID string
	// UserID narrows the diary to one user; "" means every user.
	UserID string
	// SortBy is "asc" or "desc" by watched_at; "" means "desc".
	SortBy string
	// Limit is the page size, 1 to 100; nil means 20.
	Limit *int
	// Offset is how many entries to skip, 0 or more; nil means 0. It may
	// not be combined with Cursor.
	Offset *int
	// Cursor is the NextCursor of a previous page made with the same
	// filters and sort; "" means the page starts at Offset.
	Cursor string
	// Viewer is who reads; zero when signed out. Private diaries other
	// than the viewer's own are left out, and asking for one by UserID
	// is domain.ErrNotFound.
	Viewer domain.UserID
	// Authors asks for the public names of the page's authors
	// (DiaryResult.Authors), for a page that shows who logged each entry.
	// A page narrowed to one user (UserID) names nobody: it is that
	// user's.
	Authors bool
}

// DiaryResult is one page of the diary.
type DiaryResult struct {
	// Entries are the page's entries in the requested order.
	Entries []domain.DiaryEntry
	// TotalCount is the exact number of entries matching the filters.
	TotalCount int
	// Limit is the page size used.
	Limit int
	// Offset is the offset used, or nil on a page reached by cursor.
	Offset *int
	// NextCursor pages on from the last entry of this page; "" on the last
	// page.
	NextCursor string
	// Authors are the public names (domain.PublicName) of the users who
	// logged the page's entries, by ID, when GetDiaryQuery.Authors asked
	// for them; nil otherwise. Never an email address. An entry logged for
	// an ID with no account has none.
	Authors map[domain.UserID]string
}

// GetDiary reads one page of the diary, by offset or by keyset cursor.
type GetDiary struct {
	reader  domain.DiaryReader
	users   UserFinder
	cursors cursorCodec
}

// GetDiaryOption configures NewGetDiary.
type GetDiaryOption func(*getDiaryConfig)

type getDiaryConfig struct {
	key    []byte
	keySet bool
	now    func() time.Time
}

// WithCursorKey makes GetDiary sign its cursors with key, and accept only
// cursors signed with it: at least MinCursorKeyBytes of secret, the same
// across restarts (and across instances behind one load balancer) for
// cursors to survive them. The key is copied. Without this option each
// GetDiary signs with a random key of its own, so its cursors die with it.
func WithCursorKey(key []byte) GetDiaryOption {
	return func(c *getDiaryConfig) { c.key, c.keySet = bytes.Clone(key), true }
}

// WithDiaryClock sets the clock a cursor's watched_at is bounded by (it may
// not lie beyond now + domain.ClockSkew); the default is time.Now.
func WithDiaryClock(now func() time.Time) GetDiaryOption {
	return func(c *getDiaryConfig) { c.now = now }
}

// NewGetDiary returns the GetDiary use case. reader and users (who decide
// which diaries are private) must not be nil (ErrMissingDependency); a key
// given WithCursorKey that is shorter than MinCursorKeyBytes is
// domain.ErrMisconfigured.
func NewGetDiary(reader domain.DiaryReader, users UserFinder, opts ...GetDiaryOption) (*GetDiary, error) {
	if err := checkDependencies("GetDiary", dependency{"reader", reader}, dependency{"users", users}); err != nil {
		return nil, err
	}
	var cfg getDiaryConfig
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.keySet {
		cfg.key = make([]byte, MinCursorKeyBytes)
		_, _ = rand.Read(cfg.key) // never fails: crypto/rand crashes the program instead
	} else if len(cfg.key) < MinCursorKeyBytes {
		return nil, fmt.Errorf("get diary: the cursor key is %d bytes, at least %d are required: %w", len(cfg.key), MinCursorKeyBytes, domain.ErrMisconfigured)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &GetDiary{reader: reader, users: users, cursors: cursorCodec{key: cfg.key, now: cfg.now}}, nil
}

// Handle validates q and returns the page it asks for. Every malformed
// parameter is reported at once in a *domain.ValidationError (fields
// movie_id, user_id, sort_by, limit, offset, cursor) before the reader is
// called. A cursor combined with an offset, a malformed cursor, a cursor
// this use case's key did not sign (forged or altered), one whose position
// lies outside what the domain allows and one made for other filters or
// another sort are validation errors of cursor.
func (uc *GetDiary) Handle(ctx context.Context, q GetDiaryQuery) (DiaryResult, error) {
	query, err := uc.validate(q)
	if err != nil {
		return DiaryResult{}, err
	}
	query.Filter.Viewer = q.Viewer
	if !query.Filter.UserID.IsZero() {
		// A private diary answers as if it did not exist.
		if _, err := visibleUser(ctx, uc.users, query.Filter.UserID, q.Viewer); err != nil {
			return DiaryResult{}, fmt.Errorf("get diary: %w", err)
		}
	}
	page, err := uc.reader.QueryDiary(ctx, query)
	if err != nil {
		return DiaryResult{}, fmt.Errorf("get diary: %w", err)
	}
	res := DiaryResult{
		Entries:    page.Entries,
		TotalCount: page.TotalCount,
		Limit:      query.Page.Limit(),
	}
	if query.After == nil {
		offset := query.Page.Offset()
		res.Offset = &offset
	}
	if page.HasMore && len(page.Entries) > 0 {
		res.NextCursor = uc.cursors.encode(domain.PositionOf(page.Entries[len(page.Entries)-1]), query.Filter)
	}
	if q.Authors && query.Filter.UserID.IsZero() {
		if res.Authors, err = uc.authors(ctx, page.Entries); err != nil {
			return DiaryResult{}, fmt.Errorf("get diary: %w", err)
		}
	}
	return res, nil
}

// authors names the users who logged entries, in one read. The page holds
// only entries its reader may see, so every name may be shown: a private
// diary's entries are there only for its owner. A viewing logged for an
// ID with no account has no page to lead to, and no name.
func (uc *GetDiary) authors(ctx context.Context, entries []domain.DiaryEntry) (map[domain.UserID]string, error) {
	var ids []domain.UserID
	for _, e := range entries {
		if !slices.Contains(ids, e.Review.UserID) {
			ids = append(ids, e.Review.UserID)
		}
	}
	names := make(map[domain.UserID]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	users, err := uc.users.UsersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("authors: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.PublicName()
	}
	return names, nil
}

// validate turns q into a domain query, reporting every problem.
func (uc *GetDiary) validate(q GetDiaryQuery) (domain.DiaryQuery, error) {
	var (
		v     domain.Validation
		query domain.DiaryQuery
		err   error
	)
	if q.MovieID != "" {
		query.Filter.MovieID, err = domain.ParseMovieID(strings.TrimSpace(q.MovieID))
		v.Check("movie_id", err)
	}
	if q.UserID != "" {
		query.Filter.UserID, err = domain.ParseUserID(strings.TrimSpace(q.UserID))
		v.Check("user_id", err)
	}
	query.Filter.Sort, err = domain.ParseSortOrder(q.SortBy)
	v.Check("sort_by", err)

	limit, offset := domain.DefaultPageLimit, 0
	if q.Limit != nil {
		limit = *q.Limit
	}
	if q.Offset != nil {
		offset = *q.Offset
	}
	query.Page, err = domain.NewPage(limit, offset)
	if err != nil {
		// NewPage names its fields limit and offset already.
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			return domain.DiaryQuery{}, fmt.Errorf("get diary: %w", err)
		}
		for _, f := range ve.Fields {
			v.Add(f.Field, f.Rule)
		}
	}

	if q.Cursor != "" {
		if q.Offset != nil {
			v.Add("cursor", ruleCursorAndOffset)
		}
		pos, rule := uc.cursors.decode(q.Cursor, query.Filter)
		if rule != "" {
			v.Add("cursor", rule)
		} else {
			query.After = &pos
		}
	}
	if err := v.Err(); err != nil {
		return domain.DiaryQuery{}, err
	}
	return query, nil
}
