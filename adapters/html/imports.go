package html

import (
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Paths of the import and export pages. The HTTP layer serves them.
const (
	// ImportPath serves the upload form, and its form posts there.
	ImportPath = "/import"
	// ImportsPath is the prefix of the job pages: /imports/{id}.
	ImportsPath = "/imports"
	// ExportPath downloads the signed-in user's diary:
	// /export?format=json or /export?format=csv.
	ExportPath = "/export"
)

// ImportRefreshSeconds is how often a job page that is still queued or
// running reloads itself (a meta refresh: the pages have no script).
const ImportRefreshSeconds = 2

// ImportJobPath is the page of import job id: "/imports/{id}".
func ImportJobPath(id domain.ImportJobID) string { return ImportsPath + "/" + id.String() }

// ExportURL is the download of the signed-in user's diary in format
// ("json" or "csv"): "/export?format=json".
func ExportURL(format string) string { return ExportPath + "?format=" + url.QueryEscape(format) }

// ImportView is what the import page shows: the upload form, where to get
// the files, and the links that export the user's own diary.
type ImportView struct {
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// Form holds the form's choices after a refused upload (the files
	// themselves cannot be put back).
	Form ImportForm
	// Errors say why the upload was refused.
	Errors []string
	// Running is the user's import still running when a new one was
	// refused for it; its page is linked. Zero otherwise.
	Running domain.ImportJobID
	// MaxBytes is the largest upload the server takes (IMPORT_MAX_BYTES);
	// zero leaves the limit unsaid.
	MaxBytes int64
}

// ImportForm holds the upload form's choices. Field names match the
// POST /api/imports form fields.
type ImportForm struct {
	// Source is "letterboxd", "imdb", "moviediary", or "" to detect it
	// from the files.
	Source string
	// DryRun asks for a report without writing anything.
	DryRun bool
}

// ImportJobView is what the page of one import job shows.
type ImportJobView struct {
	// Job is the job as stored now.
	Job domain.ImportJob
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of the sign-out form.
	CSRFToken string
}

// ImportPage renders the upload form (multipart, posting to ImportPath)
// with where to find a Letterboxd or IMDb export, and the export links of
// the user's own diary.
func (r *Renderer) ImportPage(w io.Writer, v ImportView) error {
	return r.render(w, "import", r.importT, page{
		Site: r.site, Title: "Import", Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: newImportContent(v),
	})
}

// ImportJobPage renders an import job: its state, a progress bar, its
// counts and problems. While the job is queued or running the page
// reloads itself every ImportRefreshSeconds seconds and offers a refresh
// link; once it is done it links to the diary.
func (r *Renderer) ImportJobPage(w io.Writer, v ImportJobView) error {
	c := newImportJobContent(v.Job)
	refresh := 0
	if c.Active {
		refresh = ImportRefreshSeconds
	}
	return r.render(w, "import-job", r.importJob, page{
		Site: r.site, Title: "Import " + c.StateText, Stylesheet: r.stylesheet.Path, Refresh: refresh,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: c,
	})
}

// importContent is the import template's data.
type importContent struct {
	CSRFToken     string
	Errors        []string
	DryRun        bool
	SourceOptions []sourceOption
	RunningURL    string
	MaxText       string
	ExportJSONURL string
	ExportCSVURL  string
}

// importSources are the choices of the source select, in its order.
var importSources = []sourceOption{
	{Value: "", Label: "Detect from the files"},
	{Value: string(domain.ImportLetterboxd), Label: "Letterboxd"},
	{Value: string(domain.ImportIMDb), Label: "IMDb"},
	{Value: string(domain.ImportMoviediary), Label: "moviediary"},
}

func newImportContent(v ImportView) importContent {
	c := importContent{
		CSRFToken: v.CSRFToken, Errors: v.Errors, DryRun: v.Form.DryRun,
		SourceOptions: make([]sourceOption, len(importSources)),
		ExportJSONURL: ExportURL("json"), ExportCSVURL: ExportURL("csv"),
	}
	for i, o := range importSources {
		o.Selected = o.Value != "" && o.Value == v.Form.Source
		c.SourceOptions[i] = o
	}
	if !v.Running.IsZero() {
		c.RunningURL = ImportJobPath(v.Running)
	}
	if v.MaxBytes > 0 {
		c.MaxText = byteSize(v.MaxBytes)
	}
	return c
}

// byteSize says a size the way people read it: "50 MiB", "512 KiB",
// "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// importJobContent is the import job template's data.
type importJobContent struct {
	URL         string
	SourceText  string
	Refresh     int
	StateText   string
	Active      bool
	Done        bool
	Failed      bool
	DryRun      bool
	Error       string
	RowsTotal   int
	RowsDone    int
	ProgressPct int
	Counts      []importCount
	Problems    []importProblem
	MoreText    string
	DiaryURL    string
	UpdatedISO  string
	UpdatedText string
}

type importCount struct {
	Label string
	Value int
	Hint  string
}

type importProblem struct {
	Where  string
	Reason string
}

// importStateText says a job's state in words.
func importStateText(s domain.ImportState) string {
	switch s {
	case domain.ImportQueued:
		return "queued"
	case domain.ImportRunning:
		return "running"
	case domain.ImportDone:
		return "done"
	case domain.ImportFailed:
		return "failed"
	}
	return string(s)
}

// importSourceText names the kind of files a job reads; "" when unknown.
func importSourceText(s domain.ImportSource) string {
	for _, o := range importSources {
		if o.Value != "" && o.Value == string(s) {
			return o.Label
		}
	}
	return ""
}

func newImportJobContent(j domain.ImportJob) importJobContent {
	c := importJobContent{
		URL:        ImportJobPath(j.ID),
		StateText:  importStateText(j.State),
		Active:     j.State.Active(),
		Refresh:    ImportRefreshSeconds,
		SourceText: importSourceText(j.Source),
		Done:       j.State == domain.ImportDone,
		Failed:     j.State == domain.ImportFailed,
		DryRun:     j.DryRun,
		Error:      j.Error,
		RowsTotal:  j.RowsTotal,
		RowsDone:   min(j.RowsDone, j.RowsTotal),
		Counts: []importCount{
			{Label: "Imported", Value: j.Imported, Hint: "viewings added to the diary"},
			{Label: "Already present", Value: j.AlreadyPresent, Hint: "rows an earlier import or the diary already holds"},
			{Label: "Skipped", Value: j.Skipped, Hint: "malformed rows, listed below, and rows that are not films"},
			{Label: "Unmatched", Value: j.Unmatched, Hint: "imported by title and year; the IMDb ID, director and poster are looked up later"},
		},
		Problems: make([]importProblem, len(j.Problems)),
		DiaryURL: DiaryPath + "?user_id=" + url.QueryEscape(j.User.String()),
	}
	if j.DryRun {
		c.Counts[0].Hint = "viewings an import would add (a dry run writes nothing)"
	}
	if j.RowsTotal > 0 {
		c.ProgressPct = c.RowsDone * 100 / j.RowsTotal
	}
	for i, p := range j.Problems {
		where := p.File
		if p.Line > 0 {
			where += ":" + strconv.Itoa(p.Line)
		}
		c.Problems[i] = importProblem{Where: where, Reason: p.Reason}
	}
	if j.ProblemsMore > 0 {
		c.MoreText = "and " + strconv.Itoa(j.ProblemsMore) + " more"
	}
	if !j.UpdatedAt.IsZero() {
		c.UpdatedISO = j.UpdatedAt.UTC().Format(time.RFC3339)
		c.UpdatedText = j.UpdatedAt.UTC().Format("2 January 2006, 15:04:05 UTC")
	}
	return c
}
