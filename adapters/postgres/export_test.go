package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/domain"
)

// ErrorKind exposes errorKind to the external tests.
var ErrorKind = errorKind

// ParseChange exposes parseChange to the external tests.
var ParseChange = parseChange

// ListenChangesPrunedAfter is ListenChanges deleting the rows of
// transactions pruneAge after reading a horizon above them, instead of a
// minute.
func ListenChangesPrunedAfter(ctx context.Context, db *DB, fn func(domain.DiaryChange), pruneAge time.Duration) error {
	return db.listenChanges(ctx, fn, pruneAge)
}

// updateProfileQuery is UpdateProfile's statement setting both columns.
func updateProfileQuery(user uuid.UUID) string {
	id, _ := domain.UserIDFromUUID(user)
	name := domain.MustNewDisplayName("Ann")
	on := true
	query, _ := updateProfileSQL(id, domain.ProfileUpdate{DisplayName: &name, Private: &on})
	return query
}

// MigrationLockKey exposes the migration advisory lock key.
const MigrationLockKey = migrationLockKey

// PlannedQuery is one statement the repositories run, with sample
// arguments, for the test that checks every statement has an index.
type PlannedQuery struct {
	Name string
	SQL  string
	Args []any
}

// PlannedQueries returns every read statement of the repositories, and
// QueryDiary's in each of its shapes.
func PlannedQueries() []PlannedQuery {
	movie, user, review := uuid.New(), uuid.New(), uuid.New()
	qs := []PlannedQuery{
		{"movie by ID", sqlMovieByID, []any{movie}},
		{"movie by external ID", sqlMovieByExternalID, []any{"tt0111161"}},
		{"movies by year and title", sqlMoviesByYearTitle, []any{1994, "Heat"}},
		{"movies by year", sqlMoviesByYear, []any{1994}},
		{"set poster path", `UPDATE movies SET poster_path = $2 WHERE id = $1`, []any{movie, "p"}},
		{"review history", sqlHistory, []any{movie, user}},
		{"user by ID", sqlUserByID, []any{user}},
		{"user by email", sqlUserByEmail, []any{"a@example.com"}},
		{"increment session generation", sqlIncrementSessionGeneration, []any{user}},
		{"update profile", updateProfileQuery(user), []any{user, "Ann", true}},
		{"diary stats of all time", statsSQL(false, domain.DefaultStatsTop), []any{user, 0}},
		{"diary stats of a year", statsSQL(true, domain.DefaultStatsTop), []any{user, 2024}},
		{"diary stats of all time, top 100", statsSQL(false, domain.MaxStatsTop), []any{uuid.Nil, 0}},
		{"entry by review ID", sqlEntryByReviewID, []any{review}},
		{"update review", sqlUpdateReview, []any{review, 7, "c", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"delete review", sqlDeleteReview, []any{review}},
		{"idempotency record", sqlIdempotencyRecord, []any{user, "key", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"API token by hash", sqlAPITokenByHash, []any{make([]byte, 32)}},
		{"API tokens of a user", sqlAPITokens, []any{user}},
		{"delete API token", sqlDeleteAPIToken, []any{user, uuid.New()}},
		{"touch API token", sqlTouchAPIToken, []any{uuid.New(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"webhook by secret", sqlWebhookBySecret, []any{make([]byte, 32), "plex"}},
		{"webhooks of a user", sqlWebhooks, []any{user}},
		{"rotate webhook", sqlRotateWebhook, []any{user, uuid.New(), make([]byte, 32)}},
		{"delete webhook", sqlDeleteWebhook, []any{user, uuid.New()}},
		{"touch webhook", sqlTouchWebhook, []any{uuid.New(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"first read of changes", sqlReadChanges, []any{nil}},
		{"read changes", sqlReadChanges, []any{uint64(1000)}},
		{"prune changes", sqlPruneChanges, []any{uint64(1000)}},
	}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	qs = append(qs, PlannedQuery{"record play", sqlInsertPlay,
		[]any{user, "plex", "watched", "imdb:tt0090728", at.Add(-time.Hour), at.Add(time.Hour), at, uuid.New()}})
	saveArgs := []any{movie, "tt0111161", "Heat", 1995, "Michael Mann", nil, review, user, 8, nil, at, at}
	for _, outbox := range []bool{false, true} {
		for _, keyed := range []bool{false, true} {
			args := saveArgs
			if outbox {
				args = append(args[:len(args):len(args)], uuid.New(), "{}", uuid.New(), "{}")
			}
			if keyed {
				args = append(args[:len(args):len(args)], user, "key", "fingerprint", at)
			}
			qs = append(qs, PlannedQuery{fmt.Sprintf("save viewing (outbox %v, key %v)", outbox, keyed), saveViewingSQL[b2i(outbox)][b2i(keyed)], args})
		}
	}
	movieID, _ := domain.MovieIDFromUUID(movie)
	userID, _ := domain.UserIDFromUUID(user)
	reviewID, _ := domain.ReviewIDFromUUID(review)
	after := &domain.DiaryPosition{WatchedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ReviewID: reviewID}
	deep, _ := domain.NewPage(20, 990_000)
	for _, sort := range []domain.SortOrder{domain.SortDesc, domain.SortAsc} {
		for _, f := range []struct {
			name   string
			filter domain.DiaryFilter
		}{
			{"all", domain.DiaryFilter{Sort: sort}},
			{"all seen by a user", domain.DiaryFilter{Viewer: userID, Sort: sort}},
			{"movie", domain.DiaryFilter{MovieID: movieID, Sort: sort}},
			{"user", domain.DiaryFilter{UserID: userID, Sort: sort}},
			{"user seen by the user", domain.DiaryFilter{UserID: userID, Viewer: userID, Sort: sort}},
			{"movie and user", domain.DiaryFilter{MovieID: movieID, UserID: userID, Sort: sort}},
		} {
			for _, shape := range []struct {
				name string
				q    domain.DiaryQuery
			}{
				{"first page", domain.DiaryQuery{Filter: f.filter}},
				{"keyset", domain.DiaryQuery{Filter: f.filter, After: after}},
				{"offset", domain.DiaryQuery{Filter: f.filter, Page: deep}},
			} {
				d := diarySQL(shape.q)
				qs = append(qs, PlannedQuery{Name: "diary " + f.name + " " + sort.String() + " " + shape.name, SQL: d.query, Args: d.args})
				if shape.name == "first page" && sort == domain.SortDesc {
					qs = append(qs, PlannedQuery{Name: "diary count " + f.name, SQL: d.count, Args: d.countArgs})
				}
			}
		}
	}
	return append(qs, importQueries(movie, user, review, at)...)
}

// importQueries are the statements of imports, identification, export,
// quotas and the owner.
func importQueries(movie, user, review uuid.UUID, at time.Time) []PlannedQuery {
	job := uuid.New()
	texts := func(vs ...string) pq.StringArray { return pq.StringArray(vs) }
	jobArgs := []any{job, "running", 10, 5, 4, 1, 0, 1, "[]", 0, "", at}
	write := append([]any{job, user, texts(review.String()), texts(movie.String()), pq.Int64Array{7}, texts(""),
		pq.Int64Array{at.UnixMicro()}, pq.Int64Array{at.UnixMicro()}}, append(jobArgs[1:len(jobArgs):len(jobArgs)], at)...)
	events := []any{texts(uuid.NewString()), texts("review_logged"), "[{}]", texts(movie.String()), pq.Int64Array{at.UnixMicro()}}
	return []PlannedQuery{
		{"import job", sqlImportJob, []any{job}},
		{"active import jobs", sqlActiveImportJobs, nil},
		{"import files", sqlImportFiles, []any{job}},
		{"claim import job", sqlClaimImportJob, []any{job, at, at}},
		{"update import job", sqlUpdateImportJob, jobArgs},
		{"take import keys", sqlTakeImportKeys, []any{user, texts("k"), texts(review.String())}},
		{"present import rows", sqlPresentImportRows, []any{user, texts("k"), texts(review.String())}},
		{"resolve identified movies", sqlResolveIdentified, []any{texts("tt0111161"), texts(movie.String()), texts("Heat"), pq.Int64Array{1995}, texts(""), texts("")}},
		{"resolve unidentified movies", sqlResolveUnidentified, []any{texts(movie.String()), texts("Heat"), pq.Int64Array{1995}, texts(""), texts("")}},
		{"write import batch", sqlWriteBatch, write},
		{"write import batch (outbox)", sqlWriteBatchOutbox, append(write[:len(write):len(write)], events...)},
		{"lock movie", sqlLockMovie, []any{movie}},
		{"attach identity", sqlAttachIdentity, []any{movie, "tt0111161", "Michael Mann"}},
		{"move reviews", sqlMoveReviews, []any{movie, uuid.New()}},
		{"delete movie", sqlDeleteMovie, []any{movie}},
		{"export diary", sqlExportDiary, []any{user}},
		{"owner", sqlOwner, nil},
		{"take quota", sqlTakeQuota, []any{"omdb", at, 1000}},
		{"quota used", sqlQuotaUsed, []any{"omdb", at}},
	}
}

// StatsSQL exposes DiaryStats' statement text, for EXPLAIN in benchmarks.
var StatsSQL = statsSQL
