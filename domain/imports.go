package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ImportSource names the kind of files an import reads.
type ImportSource string

// Import sources.
const (
	// ImportLetterboxd: a Letterboxd export (its ZIP, or diary.csv,
	// reviews.csv, ratings.csv and watched.csv one by one).
	ImportLetterboxd ImportSource = "letterboxd"
	// ImportIMDb: an IMDb ratings export (ratings.csv).
	ImportIMDb ImportSource = "imdb"
	// ImportMoviediary: a moviediary export, JSON or CSV.
	ImportMoviediary ImportSource = "moviediary"
)

// ParseImportSource parses a source name; "" is the zero ImportSource
// (detect it from the files).
func ParseImportSource(s string) (ImportSource, error) {
	switch src := ImportSource(strings.ToLower(strings.TrimSpace(s))); src {
	case "", ImportLetterboxd, ImportIMDb, ImportMoviediary:
		return src, nil
	}
	return "", fieldErr("source", "must be letterboxd, imdb or moviediary")
}

// ImportJobID identifies an import job.
type ImportJobID struct{ id uuid.UUID }

// NewImportJobID returns a fresh, time-ordered ID.
func NewImportJobID() ImportJobID { return ImportJobID{newUUID()} }

// ParseImportJobID parses an import job ID.
func ParseImportJobID(s string) (ImportJobID, error) {
	u, err := parseUUID("import_id", s)
	return ImportJobID{u}, err
}

// ImportJobIDFromUUID wraps u; the nil UUID is refused.
func ImportJobIDFromUUID(u uuid.UUID) (ImportJobID, error) {
	if u == uuid.Nil {
		return ImportJobID{}, fieldErr("import_id", "must not be the nil UUID")
	}
	return ImportJobID{u}, nil
}

// UUID returns the ID as a UUID.
func (id ImportJobID) UUID() uuid.UUID { return id.id }

// String returns the canonical form.
func (id ImportJobID) String() string { return id.id.String() }

// IsZero reports whether id is unset.
func (id ImportJobID) IsZero() bool { return id.id == uuid.Nil }

// ImportState is where an import job stands.
type ImportState string

// Import states.
const (
	// ImportQueued: stored, not started yet.
	ImportQueued ImportState = "queued"
	// ImportRunning: rows are being stored (or the process running it
	// stopped, and another resumes it).
	ImportRunning ImportState = "running"
	// ImportDone: every row was handled.
	ImportDone ImportState = "done"
	// ImportFailed: the job stopped for good; ImportJob.Error says why.
	ImportFailed ImportState = "failed"
)

// Active reports whether a job in state s still has rows to handle.
func (s ImportState) Active() bool { return s == ImportQueued || s == ImportRunning }

// MaxImportProblems is how many problems a job lists; the rest are counted
// in ImportJob.ProblemsMore.
const MaxImportProblems = 1000

// ImportProblem is a row (or a file, with Line 0) an import could not take
// as it was.
type ImportProblem struct {
	// File is the file's name, as uploaded or as the ZIP member is named.
	File string
	// Line is the line the row starts on, counting the header as line 1;
	// 0 for a problem with the whole file.
	Line int
	// Reason says what is wrong, for a person.
	Reason string
}

// ImportFile is one uploaded file, kept with its job until the job ends so
// that an interrupted import can resume.
type ImportFile struct {
	// Name is the file's name as uploaded.
	Name string
	// Data is the file's content.
	Data []byte
}

// ImportJob is one import of files into a user's diary, and its progress.
type ImportJob struct {
	// ID identifies the job.
	ID ImportJobID
	// User is whose diary the rows go to.
	User UserID
	// StartedBy is who started it: User, or the owner importing for them.
	StartedBy UserID
	// Source is the kind of files imported.
	Source ImportSource
	// DryRun jobs report what an import would do and write no entry.
	DryRun bool
	// State is where the job stands.
	State ImportState
	// RowsTotal counts the rows of the files (ImportRows, skipped ones
	// included); RowsDone those handled so far.
	RowsTotal, RowsDone int
	// Imported counts the rows stored as viewings (Unmatched among them).
	Imported int
	// AlreadyPresent counts the rows an earlier import (or the diary)
	// already holds.
	AlreadyPresent int
	// Skipped counts the rows not imported: malformed ones (listed in
	// Problems) and rows that are not films (an IMDb series).
	Skipped int
	// Unmatched counts the imported rows whose film has no IMDb ID yet:
	// stored by title and year, to be looked up later.
	Unmatched int
	// Problems lists at most MaxImportProblems problems, in file order.
	Problems []ImportProblem
	// ProblemsMore counts the problems past MaxImportProblems.
	ProblemsMore int
	// Error says why a failed job failed; "" otherwise.
	Error string
	// CreatedAt and UpdatedAt are when the job was created and last
	// changed, in UTC.
	CreatedAt, UpdatedAt time.Time
}

// AddProblem records p, or counts it in ProblemsMore once MaxImportProblems
// are listed.
func (j *ImportJob) AddProblem(p ImportProblem) {
	if len(j.Problems) >= MaxImportProblems {
		j.ProblemsMore++
		return
	}
	j.Problems = append(j.Problems, p)
}

// ImportRowKey identifies a row of a source file across imports: the same
// row of the same export, imported again, has the same key, so it is
// stored once.
type ImportRowKey string

// IsZero reports whether k is unset.
func (k ImportRowKey) IsZero() bool { return k == "" }

// ImportRow is one viewing read from an import file, its values validated.
type ImportRow struct {
	// File is the file the row is in.
	File string
	// Line is the line the row starts on, counting the header as 1.
	Line int
	// Key identifies the row across imports; never zero.
	Key ImportRowKey
	// ExternalID is the film's IMDb ID; zero when the file has none.
	ExternalID ExternalMetadataID
	// Title is the film's title; never zero.
	Title MovieTitle
	// Year is the film's release year; never zero.
	Year ReleaseYear
	// Director is the film's director; zero when unknown.
	Director Director
	// Rating is the viewing's rating; zero when not rated.
	Rating Rating
	// Comment is the viewing's review text; zero when none.
	Comment Comment
	// WatchedAt is when the film was watched, in UTC.
	WatchedAt time.Time
	// MovieID restores a moviediary export's movie ID; zero for other
	// sources.
	MovieID MovieID
	// ReviewID restores a moviediary export's review ID; zero for other
	// sources.
	ReviewID ReviewID
	// CreatedAt restores a moviediary export's creation time; zero for
	// other sources.
	CreatedAt time.Time
}

// ParsedImport is what an ImportParser read from a job's files.
type ParsedImport struct {
	// Source is the source read (the one asked for, or the one detected).
	Source ImportSource
	// Rows are the rows to import, in file order.
	Rows []ImportRow
	// Skipped counts the rows not returned: malformed ones (each in
	// Problems) and rows that are not films.
	Skipped int
	// Problems lists malformed rows and ignored files, in file order.
	Problems []ImportProblem
}

// ImportedViewing is a viewing an import stores, with the key of the row
// it comes from.
type ImportedViewing struct {
	// Key is the row's key.
	Key ImportRowKey
	// Viewing is the movie (stored or new, resolved as for SaveViewing)
	// and the review; its Idempotency is zero.
	Viewing Viewing
}

// ImportBatch is rows of a job stored in one transaction, with the job's
// progress after them.
type ImportBatch struct {
	// Job is the job after the batch, except that Imported,
	// AlreadyPresent and Unmatched do not count the batch's viewings yet:
	// the store adds them, as it finds them.
	Job ImportJob
	// Viewings are the batch's rows to store.
	Viewings []ImportedViewing
	// ClaimUntil extends the running process's claim on the job.
	ClaimUntil time.Time
}

// ImportBatchResult is what SaveImportBatch stored.
type ImportBatchResult struct {
	// Job is the job as stored.
	Job ImportJob
	// Saved are the viewings stored, in batch order (the already present
	// ones left out).
	Saved []SavedViewing
	// Events are the events of the saved viewings (ImportEvents), for the
	// caller to publish once committed.
	Events []Event
}

// CountUnmatched counts the viewings of saved whose movie, as stored, has
// no external ID: what an import batch adds to ImportJob.Unmatched.
func CountUnmatched(saved []SavedViewing) int {
	n := 0
	for i := range saved {
		if saved[i].Movie.ExternalID.IsZero() {
			n++
		}
	}
	return n
}

// MovieNeedsMetadata says a movie entered the diary by title and year
// only (an imported row without an IMDb ID), so its IMDb ID, director and
// poster are to be looked up in the metadata source, within its budget.
type MovieNeedsMetadata struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// Movie is the movie to look up.
	Movie MovieID
	// Title is the title it is looked up by.
	Title MovieTitle
	// Year is the release year it is looked up by.
	Year ReleaseYear
}

// EventName returns EventMovieNeedsMetadata.
func (MovieNeedsMetadata) EventName() EventName { return EventMovieNeedsMetadata }

// MovieID returns the movie to look up.
func (e MovieNeedsMetadata) MovieID() MovieID { return e.Movie }

// NewMovieNeedsMetadata describes m, stored without an external ID.
func NewMovieNeedsMetadata(m Movie, now time.Time) MovieNeedsMetadata {
	return MovieNeedsMetadata{EventMeta: NewEventMeta(now), Movie: m.ID, Title: m.Title, Year: m.ReleaseYear}
}

// ImportEvents returns the events storing an imported viewing produces:
// MovieNeedsMetadata when the movie is new and has no external ID, then
// LogEvents(movie, change, review, poster, now).
func ImportEvents(movie Movie, change MovieChange, review Review, poster PosterURL, now time.Time) []Event {
	events := make([]Event, 0, 3)
	if change == MovieCreated && movie.ExternalID.IsZero() {
		events = append(events, NewMovieNeedsMetadata(movie, now))
	}
	return append(events, LogEvents(movie, change, review, poster, now)...)
}

// ExportedEntry is an entry of a diary export.
type ExportedEntry struct {
	// DiaryEntry is the movie and the review.
	DiaryEntry
	// Rewatch is true when the user watched the film before: an earlier
	// entry of the same movie in the export's order.
	Rewatch bool
}

// DeferredError says something cannot be done before Until — a spent
// quota — so trying earlier is pointless. It is not a failure of what was
// tried: event delivery waits until then without giving the event up. It
// matches ErrUnavailable, so callers that do not know it treat it as an
// outage.
type DeferredError struct {
	// Until is when trying again may succeed.
	Until time.Time
	// Reason says what is spent.
	Reason string
}

// Error says what is deferred until when.
func (e *DeferredError) Error() string {
	return fmt.Sprintf("deferred until %s: %s", e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// Is makes a DeferredError match ErrUnavailable.
func (e *DeferredError) Is(target error) bool { return target == ErrUnavailable }
