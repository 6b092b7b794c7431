package presentation

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// DefaultImportMaxBytes bounds an import upload when Config.ImportMaxBytes
// is zero: 50 MiB.
const DefaultImportMaxBytes = 50 << 20

// importsPath is where import jobs are started (POST) and shown
// (GET importsPath/{id}).
const importsPath = "/api/imports"

// EntryWriter writes the entries of a diary export in a file format (the
// CSV of adapters/diaryfile) and flushes what it buffered at the end.
type EntryWriter interface {
	// Write writes one entry.
	Write(domain.ExportedEntry) error
	// Flush writes what is buffered (and the header of an empty export).
	Flush() error
}

// ImportJobJSON is an import job as GET /api/imports/{id} shows it.
type ImportJobJSON struct {
	ID             string              `json:"id"`
	State          string              `json:"state"`
	DryRun         bool                `json:"dry_run"`
	RowsTotal      int                 `json:"rows_total"`
	RowsDone       int                 `json:"rows_done"`
	Imported       int                 `json:"imported"`
	AlreadyPresent int                 `json:"already_present"`
	Skipped        int                 `json:"skipped"`
	Unmatched      int                 `json:"unmatched"`
	Problems       []ImportProblemJSON `json:"problems"`
	ProblemsMore   int                 `json:"problems_more"`
}

// ImportProblemJSON is a row (or, with line 0, a whole file) an import
// could not take as it was.
type ImportProblemJSON struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// StartedImportJSON answers POST /api/imports.
type StartedImportJSON struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	DryRun bool   `json:"dry_run"`
}

// ImportJobView is the job as the API shows it; the CLI prints the same
// report.
func ImportJobView(j domain.ImportJob) ImportJobJSON {
	out := ImportJobJSON{
		ID:             j.ID.String(),
		State:          string(j.State),
		DryRun:         j.DryRun,
		RowsTotal:      j.RowsTotal,
		RowsDone:       j.RowsDone,
		Imported:       j.Imported,
		AlreadyPresent: j.AlreadyPresent,
		Skipped:        j.Skipped,
		Unmatched:      j.Unmatched,
		Problems:       make([]ImportProblemJSON, 0, len(j.Problems)),
		ProblemsMore:   j.ProblemsMore,
	}
	for _, p := range j.Problems {
		out.Problems = append(out.Problems, ImportProblemJSON{File: p.File, Line: p.Line, Reason: p.Reason})
	}
	return out
}

// registerImports mounts the import and export API; registerAPI calls it.
func (s *server) registerImports(api *echo.Group) {
	api.POST("/imports", s.apiStartImport, s.requireBearer)
	api.GET("/imports/:id", s.apiImportJob, s.requireBearer)
	api.GET("/export", s.apiExport, s.requireBearer)
}

// importMaxBytes is the bound of an import upload.
func (s *server) importMaxBytes() int64 {
	if s.cfg.ImportMaxBytes > 0 {
		return s.cfg.ImportMaxBytes
	}
	return DefaultImportMaxBytes
}

// uploadBound is the body bound of req when it is an import upload (POST
// /api/imports, or the HTML form's POST html.ImportPath):
// Config.ImportMaxBytes instead of the 1 MiB of every other body. stream
// reports that the handler reads the multipart body itself, part by part
// (the API's), so bodyLimit must not parse it; the form's is parsed there,
// for its CSRF token.
func (s *server) uploadBound(req *http.Request) (bound int64, stream, ok bool) {
	if req.Method != http.MethodPost {
		return 0, false, false
	}
	switch strings.TrimSuffix(req.URL.Path, "/") {
	case importsPath:
		return s.importMaxBytes(), true, true
	case html.ImportPath:
		return s.importMaxBytes(), false, true
	}
	return 0, false, false
}

// errUploadTooLarge is the answer to an upload over bound bytes.
func errUploadTooLarge(bound int64) error {
	return newHTTPError(http.StatusRequestEntityTooLarge,
		"the upload is larger than the server's import limit of %s (IMPORT_MAX_BYTES)", byteSize(bound))
}

// byteSize writes n bytes for a person: 50 MiB, 1.5 KiB, 300 bytes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// maxFormFieldBytes bounds the text fields of an upload (source,
// user_id).
const maxFormFieldBytes = 256

// importUpload is what an upload's multipart body holds.
type importUpload struct {
	files  []domain.ImportFile
	source string
	userID string
}

// readImportUpload reads the multipart body of an import upload: every
// "file" part, and the "source" and "user_id" fields; other parts are
// skipped. A body that is not multipart/form-data is a 415.
func readImportUpload(c echo.Context, bound int64) (importUpload, error) {
	req := c.Request()
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm {
		return importUpload{}, newHTTPError(http.StatusUnsupportedMediaType,
			"the upload must be multipart/form-data with one or more file parts named \"file\"")
	}
	if params["boundary"] == "" {
		return importUpload{}, newHTTPError(http.StatusBadRequest, "the multipart/form-data Content-Type has no boundary")
	}
	var up importUpload
	mr := multipart.NewReader(req.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return importUpload{}, uploadReadError(err, bound)
		}
		switch part.FormName() {
		case "file":
			name := part.FileName()
			if name == "" {
				name = fmt.Sprintf("file %d", len(up.files)+1)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return importUpload{}, uploadReadError(err, bound)
			}
			up.files = append(up.files, domain.ImportFile{Name: name, Data: data})
		case "source":
			if up.source, err = formField(part, "source", bound); err != nil {
				return importUpload{}, err
			}
		case "user_id":
			if up.userID, err = formField(part, "user_id", bound); err != nil {
				return importUpload{}, err
			}
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return importUpload{}, uploadReadError(err, bound)
			}
		}
	}
	if len(up.files) == 0 {
		return importUpload{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Rule: "is required: upload one or more files as parts named \"file\""}}}
	}
	return up, nil
}

// formField reads a short text field of an upload.
func formField(part *multipart.Part, name string, bound int64) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFormFieldBytes+1))
	if err != nil {
		return "", uploadReadError(err, bound)
	}
	if len(b) > maxFormFieldBytes {
		return "", domain.FieldError{Field: name, Rule: fmt.Sprintf("must be at most %d bytes", maxFormFieldBytes)}
	}
	return strings.TrimSpace(string(b)), nil
}

// uploadReadError classifies an error reading an upload: over the bound
// (413), cut off by the read timeout (408), or a malformed body (400).
func uploadReadError(err error, bound int64) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errUploadTooLarge(bound)
	}
	if berr := bodyReadError(err); errors.Is(berr, errBodyTimeout) {
		return berr
	}
	return newHTTPError(http.StatusBadRequest, "the multipart/form-data body is malformed")
}

// dryRunParam reads ?dry_run: absent is false.
func dryRunParam(c echo.Context) (bool, error) {
	params := c.QueryParams()
	if _, ok := params["dry_run"]; !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(params.Get("dry_run"))
	if err != nil {
		return false, domain.FieldError{Field: "dry_run", Rule: "must be true or false"}
	}
	return b, nil
}

// apiStartImport starts an import job from an upload: 202 with its
// location. The rows are stored by the import worker, woken here.
func (s *server) apiStartImport(c echo.Context) error {
	dryRun, err := dryRunParam(c)
	if err != nil {
		return err
	}
	up, err := readImportUpload(c, s.importMaxBytes())
	if err != nil {
		return err
	}
	actor := currentUser(c)
	cmd := application.ImportCommand{Actor: actor.ID, User: actor.ID, Files: up.files, Source: up.source, DryRun: dryRun}
	if up.userID != "" {
		if cmd.User, err = domain.ParseUserID(up.userID); err != nil {
			return err
		}
	}
	job, err := s.svc.Imports.Start(c.Request().Context(), cmd)
	if err != nil {
		return importError(err)
	}
	if s.svc.WakeImports != nil {
		s.svc.WakeImports()
	}
	c.Response().Header().Set(echo.HeaderLocation, importsPath+"/"+job.ID.String())
	return c.JSON(http.StatusAccepted, StartedImportJSON{ID: job.ID.String(), State: string(job.State), DryRun: job.DryRun})
}

// importError says precisely why an import was refused: the parser's
// refusal of a file (its text names the file, the type expected and the
// columns missing), a running import, an import for another account by
// someone other than the owner.
func importError(err error) error {
	var ve *domain.ValidationError
	var fe domain.FieldError
	switch {
	case errors.Is(err, application.ErrImportRunning):
		return newHTTPError(http.StatusConflict, "an import into this diary is running already; wait until it ends (GET its /api/imports/{id}) and start this one again")
	case errors.Is(err, domain.ErrForbidden):
		return newHTTPError(http.StatusForbidden, "only the owner may import into another account's diary")
	case errors.Is(err, domain.ErrNotFound):
		return newHTTPError(http.StatusNotFound, "no account with that user_id")
	case errors.As(err, &ve), errors.As(err, &fe):
		return err
	case errors.Is(err, domain.ErrValidation):
		// The parser's refusal of a whole file: its text is written for
		// the uploader.
		return newHTTPError(http.StatusBadRequest, "%s", err.Error())
	}
	return err
}

// apiImportJob shows an import job to the user it imports into, the user
// who started it and the owner; to anyone else it does not exist.
func (s *server) apiImportJob(c echo.Context) error {
	id, err := domain.ParseImportJobID(c.Param("id"))
	if err != nil {
		return err
	}
	job, err := s.svc.Imports.Job(c.Request().Context(), currentUser(c).ID, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) {
			return newHTTPError(http.StatusNotFound, "no import with id %s", id)
		}
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, ImportJobView(job))
}

// Export formats.
const (
	exportJSON = "json"
	exportCSV  = "csv"
)

// exportFlushEvery is how many entries an export writes between flushes
// to the client.
const exportFlushEvery = 500

// apiExport streams the diary of the signed-in user (or, for the owner,
// of user_id) as a download: moviediary JSON or Letterboxd-compatible
// CSV, oldest viewing first. Entries are written as they are read: memory
// stays flat whatever the diary's size.
func (s *server) apiExport(c echo.Context) error {
	format := strings.ToLower(c.QueryParam("format"))
	if format == "" {
		format = exportJSON
	}
	if format != exportJSON && format != exportCSV {
		return domain.FieldError{Field: "format", Rule: "must be json or csv"}
	}
	actor := currentUser(c).ID
	user := actor
	if raw := c.QueryParam("user_id"); raw != "" {
		id, err := domain.ParseUserID(raw)
		if err != nil {
			return err
		}
		user = id
	}
	now := s.now().UTC()
	out := newExportStream(c, format, now)
	var w EntryWriter
	if format == exportCSV {
		w = s.svc.CSVExport(out.buf)
	} else {
		w = NewJSONExportWriter(out.buf, now)
	}
	err := s.svc.Export.Export(c.Request().Context(), actor, user, func(e domain.ExportedEntry) error {
		out.start()
		if err := w.Write(e); err != nil {
			return err
		}
		return out.entryWritten()
	})
	if err == nil {
		out.start()
		if err = w.Flush(); err == nil {
			err = out.buf.Flush()
		}
	}
	if err == nil {
		return nil
	}
	if !out.started {
		switch {
		case errors.Is(err, domain.ErrForbidden):
			return newHTTPError(http.StatusForbidden, "only the owner may export another account's diary")
		case errors.Is(err, domain.ErrNotFound):
			return newHTTPError(http.StatusNotFound, "no account with that user_id")
		}
		return err
	}
	// The status went out with the first entry: the only way left to say
	// the download is incomplete is to cut the connection before its end.
	s.logger.Error("export failed mid-stream; the download was cut off", "user_id", user.String(), "format", format, "error", err.Error())
	panic(http.ErrAbortHandler)
}

// exportStream is the response of an export: its headers go out with the
// first entry (or at the end of an empty export), so that an error before
// it is still a problem answer.
type exportStream struct {
	c       echo.Context
	format  string
	now     time.Time
	buf     *bufio.Writer
	started bool
	written int
}

func newExportStream(c echo.Context, format string, now time.Time) *exportStream {
	return &exportStream{c: c, format: format, now: now, buf: bufio.NewWriterSize(c.Response(), 32<<10)}
}

// start writes the headers, once.
func (o *exportStream) start() {
	if o.started {
		return
	}
	o.started = true
	h := o.c.Response().Header()
	if o.format == exportCSV {
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="moviediary-%s.%s"`, o.now.Format(time.DateOnly), o.format))
	h.Set("Cache-Control", "no-store")
	o.c.Response().WriteHeader(http.StatusOK)
}

// entryWritten flushes to the client every exportFlushEvery entries.
func (o *exportStream) entryWritten() error {
	o.written++
	if o.written%exportFlushEvery != 0 {
		return nil
	}
	if err := o.buf.Flush(); err != nil {
		return err
	}
	o.c.Response().Flush()
	return nil
}

// ExportFormat and ExportVersion head every moviediary JSON export.
const (
	ExportFormat  = "moviediary"
	ExportVersion = 1
)

// JSONExportWriter writes a moviediary JSON export:
// {"format":"moviediary","version":1,"exported_at":…,"entries":[…]}, each
// entry exactly as GET /api/diary shows it (EntryJSON), one line each, as
// they come. Entries are encoded by hand (appendEntryJSON), without
// reflection or allocations: an export of a million entries spends its
// time reading them, not writing them.
type JSONExportWriter struct {
	w          io.Writer
	exportedAt time.Time
	n          int
	err        error
	line       []byte
}

var _ EntryWriter = (*JSONExportWriter)(nil)

// NewJSONExportWriter writes an export made at exportedAt to w.
func NewJSONExportWriter(w io.Writer, exportedAt time.Time) *JSONExportWriter {
	return &JSONExportWriter{w: w, exportedAt: exportedAt.UTC(), line: make([]byte, 0, 1024)}
}

func (j *JSONExportWriter) head() string {
	return fmt.Sprintf(`{"format":%q,"version":%d,"exported_at":%q,"entries":[`, ExportFormat, ExportVersion, j.exportedAt.Format(time.RFC3339))
}

// Write writes one entry.
func (j *JSONExportWriter) Write(e domain.ExportedEntry) error {
	if j.err != nil {
		return j.err
	}
	j.line = j.line[:0]
	if j.n == 0 {
		j.line = append(j.line, j.head()...)
		j.line = append(j.line, '\n')
	} else {
		j.line = append(j.line, ",\n"...)
	}
	j.n++
	j.line = appendEntryJSON(j.line, e.DiaryEntry)
	_, j.err = j.w.Write(j.line)
	return j.err
}

// Flush ends the document; the writer is done.
func (j *JSONExportWriter) Flush() error {
	if j.err != nil {
		return j.err
	}
	tail := "]}\n"
	if j.n == 0 {
		tail = j.head() + tail
	} else {
		tail = "\n" + tail
	}
	_, j.err = io.WriteString(j.w, tail)
	if j.err == nil {
		j.err = errors.New("json export: already flushed")
		return nil
	}
	return j.err
}

// starsJSON[h] is a rating of h half stars as encoding/json writes
// Rating.Stars().
var starsJSON = [...]string{"0", "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"}

// appendEntryJSON appends e as encoding/json writes entryJSON(e) (HTML
// characters not escaped), without the trailing newline.
func appendEntryJSON(b []byte, e domain.DiaryEntry) []byte {
	m, r := e.Movie, e.Review
	b = append(b, `{"movie":{"id":`...)
	b = appendUUIDJSON(b, m.ID.UUID())
	b = append(b, `,"external_metadata_id":`...)
	b = appendOptionalJSON(b, m.ExternalID.String())
	b = append(b, `,"title":`...)
	b = appendStringJSON(b, m.Title.String())
	b = append(b, `,"release_year":`...)
	b = strconv.AppendInt(b, int64(m.ReleaseYear.Int()), 10)
	b = append(b, `,"director":`...)
	b = appendOptionalJSON(b, m.Director.String())
	b = append(b, `,"poster_path":`...)
	b = appendOptionalJSON(b, m.PosterPath.String())
	b = append(b, `,"poster_url":`...)
	if m.HasPoster() {
		b = append(b, `"/posters/`...)
		b = appendUUID(b, m.ID.UUID())
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `},"review":{"id":`...)
	b = appendUUIDJSON(b, r.ID.UUID())
	b = append(b, `,"user_id":`...)
	b = appendUUIDJSON(b, r.UserID.UUID())
	b = append(b, `,"rating":`...)
	if r.Rating.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, starsJSON[r.Rating.Halves()]...)
	}
	b = append(b, `,"comment":`...)
	b = appendOptionalJSON(b, r.Comment.String())
	b = append(b, `,"watched_at":"`...)
	// watchedAtLayout is RFC 3339 without the zone: time's fast path for
	// RFC 3339 (a UTC time ends in "Z"), the "Z" cut off.
	b = r.WatchedAt.UTC().AppendFormat(b, time.RFC3339)
	b = b[:len(b)-1]
	b = append(b, `","created_at":"`...)
	b = r.CreatedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}}`...)
}

// appendOptionalJSON appends s as a JSON string, or null when it is "".
func appendOptionalJSON(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendStringJSON(b, s)
}

// appendStringJSON appends s as a JSON string the way encoding/json does
// with HTML escaping off: quotes, backslashes and control characters
// escaped, U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendStringJSON(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendUUIDJSON appends u as a JSON string.
func appendUUIDJSON(b []byte, u uuid.UUID) []byte {
	b = append(b, '"')
	b = appendUUID(b, u)
	return append(b, '"')
}

// appendUUID appends u in its canonical form, as uuid.UUID.String writes
// it.
func appendUUID(b []byte, u uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return b
}
