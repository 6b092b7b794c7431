package html_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// importJob returns a job of a new user in state with rows handled of 10.
func importJob(tb testing.TB, state domain.ImportState, done int) domain.ImportJob {
	tb.Helper()
	user := domain.NewUserID()
	return domain.ImportJob{
		ID: domain.NewImportJobID(), User: user, StartedBy: user, Source: domain.ImportLetterboxd, State: state,
		RowsTotal: 10, RowsDone: done, Imported: 4, AlreadyPresent: 3, Skipped: 2, Unmatched: 1,
		CreatedAt: now.Add(-time.Minute), UpdatedAt: now,
	}
}

func importDoc(tb testing.TB, v html.ImportView) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error { return r.ImportPage(b, v) })
}

func importJobDoc(tb testing.TB, j domain.ImportJob) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error {
		return r.ImportJobPage(b, html.ImportJobView{Job: j, UserEmail: "ann@example.com", CSRFToken: token})
	})
}

// metaRefresh returns the content of the page's meta refresh, and whether
// it has one.
func metaRefresh(tb testing.TB, doc *xhtml.Node) (string, bool) {
	tb.Helper()
	found := all(first(tb, doc, tag("head"), "head"), tagAttr("meta", "http-equiv", "refresh"))
	if len(found) > 1 {
		tb.Fatalf("%d meta refreshes", len(found))
	}
	if len(found) == 0 {
		return "", false
	}
	return attrOr(found[0], "content"), true
}

func hrefs(n *xhtml.Node) []string {
	var out []string
	for _, a := range all(n, tag("a")) {
		out = append(out, attrOr(a, "href"))
	}
	return out
}

func TestImportPageHasAMultipartUploadFormAndSaysWhereToGetTheFiles(t *testing.T) {
	t.Parallel()
	_, doc := importDoc(t, html.ImportView{UserEmail: "ann@example.com", CSRFToken: token})
	f, ok := postForms(t, doc)["/import"]
	if !ok {
		t.Fatalf("no form posting to /import")
	}
	if got := attrOr(f, "enctype"); got != "multipart/form-data" {
		t.Errorf("enctype = %q, want multipart/form-data", got)
	}
	if got := controlNames(f); !slices.Equal(got, []string{"csrf_token", "file", "source", "dry_run"}) {
		t.Errorf("fields = %v, want csrf_token, file, source, dry_run (the API's names)", got)
	}
	file := control(t, f, "file")
	_, multiple := attr(file, "multiple")
	_, required := attr(file, "required")
	if attrOr(file, "type") != "file" || !multiple || !required {
		t.Errorf("file input = %v, want a required file input taking several files", file.Attr)
	}
	var options []string
	for _, o := range all(control(t, f, "source"), tag("option")) {
		options = append(options, attrOr(o, "value"))
		if _, sel := attr(o, "selected"); sel {
			t.Errorf("option %q selected with an empty form; detection is the default", attrOr(o, "value"))
		}
	}
	if want := []string{"", "letterboxd", "imdb", "moviediary"}; !slices.Equal(options, want) {
		t.Errorf("source options = %q, want %q", options, want)
	}
	dry := control(t, f, "dry_run")
	if _, checked := attr(dry, "checked"); attrOr(dry, "type") != "checkbox" || attrOr(dry, "value") != "true" || checked {
		t.Errorf("dry_run = %v, want an unchecked checkbox sending true", dry.Attr)
	}
	page := text(doc)
	for _, want := range []string{"Settings → Import & Export → Export your data", "Your Ratings", "Export", "series and episodes are skipped"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q:\n%s", want, page)
		}
	}
	links := hrefs(first(t, doc, tag("main"), "main"))
	for _, want := range []string{"/export?format=json", "/export?format=csv"} {
		if !slices.Contains(links, want) {
			t.Errorf("links %v lack %s", links, want)
		}
	}
	if strings.Contains(page, "still running") || strings.Contains(page, "Up to") {
		t.Errorf("a running import or a limit is mentioned with none given:\n%s", page)
	}
}

func TestImportPageKeepsTheChoicesListsErrorsAndLinksTheRunningImport(t *testing.T) {
	t.Parallel()
	running := domain.NewImportJobID()
	_, doc := importDoc(t, html.ImportView{CSRFToken: token, Form: html.ImportForm{Source: "imdb", DryRun: true},
		Errors: []string{"ratings.csv: the header lacks Const."}, Running: running, MaxBytes: 50 << 20})
	if got := text(first(t, doc, tagAttr("div", "role", "alert"), "errors")); got != "ratings.csv: the header lacks Const." {
		t.Errorf("errors = %q", got)
	}
	f := postForms(t, doc)["/import"]
	var selected []string
	for _, o := range all(control(t, f, "source"), tag("option")) {
		if _, ok := attr(o, "selected"); ok {
			selected = append(selected, attrOr(o, "value"))
		}
	}
	if !slices.Equal(selected, []string{"imdb"}) {
		t.Errorf("selected = %v, want [imdb]", selected)
	}
	if _, checked := attr(control(t, f, "dry_run"), "checked"); !checked {
		t.Errorf("the dry run ticked is not kept")
	}
	notice := first(t, doc, tagAttr("p", "role", "status"), "running notice")
	if got := hrefs(notice); !slices.Equal(got, []string{"/imports/" + running.String()}) {
		t.Errorf("running notice links %v, want the running job's page", got)
	}
	if !strings.Contains(text(f), "Up to 50 MiB in all.") {
		t.Errorf("the limit is not said: %q", text(f))
	}
}

func TestImportJobPageRefreshesItselfWhileQueuedOrRunning(t *testing.T) {
	t.Parallel()
	for _, state := range []domain.ImportState{domain.ImportQueued, domain.ImportRunning} {
		t.Run(string(state), func(t *testing.T) {
			t.Parallel()
			j := importJob(t, state, 3)
			_, doc := importJobDoc(t, j)
			if content, ok := metaRefresh(t, doc); !ok || content != strconv.Itoa(html.ImportRefreshSeconds) {
				t.Errorf("meta refresh = %q, %v; want %d", content, ok, html.ImportRefreshSeconds)
			}
			if got := text(first(t, doc, tag("h1"), "heading")); got != "Import "+string(state) {
				t.Errorf("heading = %q", got)
			}
			p := first(t, doc, tag("progress"), "progress bar")
			if attrOr(p, "max") != "10" || attrOr(p, "value") != "3" {
				t.Errorf("progress = %v, want 3 of 10", p.Attr)
			}
			main := first(t, doc, tag("main"), "main")
			if !strings.Contains(text(main), "3 of 10 rows") {
				t.Errorf("no row count in %q", text(main))
			}
			links := hrefs(main)
			if !slices.Contains(links, "/imports/"+j.ID.String()) {
				t.Errorf("links %v: no refresh link to the page itself", links)
			}
			for _, l := range links {
				if strings.HasPrefix(l, "/diary") {
					t.Errorf("a running job links to the diary: %v", links)
				}
			}
		})
	}
}

func TestImportJobPageShowsTheCounts(t *testing.T) {
	t.Parallel()
	_, doc := importJobDoc(t, importJob(t, domain.ImportDone, 10))
	var got []string
	for _, row := range all(first(t, doc, tagAttr("table", "class", "counts"), "counts"), tag("tr")) {
		got = append(got, text(first(t, row, tag("th"), "label"))+"="+text(first(t, row, tag("td"), "value")))
	}
	if want := []string{"Imported=4", "Already present=3", "Skipped=2", "Unmatched=1"}; !slices.Equal(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if sub := text(first(t, doc, tagAttr("p", "class", "sub"), "subtitle")); !strings.HasPrefix(sub, "From a Letterboxd export.") {
		t.Errorf("subtitle = %q, want the source named", sub)
	}
}

func TestImportJobPageStopsRefreshingWhenDoneAndLinksTheDiary(t *testing.T) {
	t.Parallel()
	j := importJob(t, domain.ImportDone, 10)
	_, doc := importJobDoc(t, j)
	if content, ok := metaRefresh(t, doc); ok {
		t.Errorf("a done job's page refreshes (%q)", content)
	}
	main := first(t, doc, tag("main"), "main")
	links := hrefs(main)
	if !slices.Contains(links, "/diary?user_id="+j.User.String()) {
		t.Errorf("links %v: none to the importing user's diary", links)
	}
	if slices.Contains(links, "/imports/"+j.ID.String()) || strings.Contains(text(main), "refreshes itself") {
		t.Errorf("a done job offers a refresh: %v", links)
	}
	if p := first(t, doc, tag("progress"), "progress bar"); attrOr(p, "value") != "10" {
		t.Errorf("progress = %v, want full", p.Attr)
	}

	j.DryRun = true
	_, doc = importJobDoc(t, j)
	main = first(t, doc, tag("main"), "main")
	if !strings.Contains(text(main), "Dry run: nothing is written") || !slices.Contains(hrefs(main), "/import") {
		t.Errorf("a dry run's page does not say so or offer the real import: %q %v", text(main), hrefs(main))
	}
}

func TestImportJobPageListsProblemsWithFileAndLineAndCountsTheRest(t *testing.T) {
	t.Parallel()
	j := importJob(t, domain.ImportDone, 10)
	j.AddProblem(domain.ImportProblem{File: "letterboxd.zip/likes.csv", Reason: "unknown file, ignored"})
	for i := range domain.MaxImportProblems + 4 {
		j.AddProblem(domain.ImportProblem{File: "diary.csv", Line: i + 2, Reason: "bad rating"})
	}
	_, doc := importJobDoc(t, j)
	items := all(first(t, doc, tagAttr("ul", "class", "problems"), "problems"), tag("li"))
	if len(items) != domain.MaxImportProblems+1 {
		t.Fatalf("%d items, want the %d listed and the rest counted", len(items), domain.MaxImportProblems)
	}
	if got := text(items[0]); got != "letterboxd.zip/likes.csv: unknown file, ignored" {
		t.Errorf("a file's problem = %q (no line 0)", got)
	}
	if got := text(items[1]); got != "diary.csv:2: bad rating" {
		t.Errorf("a row's problem = %q", got)
	}
	if got := text(items[len(items)-1]); got != "and 5 more" {
		t.Errorf("last item = %q, want and 5 more", got)
	}
}

func TestImportJobPageSaysWhyItFailed(t *testing.T) {
	t.Parallel()
	j := importJob(t, domain.ImportFailed, 4)
	j.Error = "the files could not be read"
	_, doc := importJobDoc(t, j)
	if _, ok := metaRefresh(t, doc); ok {
		t.Errorf("a failed job's page refreshes")
	}
	if got := text(first(t, doc, tagAttr("div", "role", "alert"), "error")); got != "The import failed: the files could not be read" {
		t.Errorf("error = %q", got)
	}
}

func TestImportLinkAndExportLinksOnlyForSignedInPages(t *testing.T) {
	t.Parallel()
	for _, signedIn := range []bool{true, false} {
		_, doc := diaryDoc(t, html.DiaryView{SignedIn: signedIn})
		nav := first(t, doc, tagAttr("nav", "aria-label", "Account"), "account nav")
		links := hrefs(nav)
		i := slices.Index(links, "/import")
		if got := i >= 0; got != signedIn {
			t.Errorf("signed in %v: import link = %v", signedIn, got)
		}
		if signedIn && links[i-1] != "/webhooks" {
			t.Errorf("nav links = %v, want /import right after /webhooks", links)
		}
		var export []string
		for _, p := range all(doc, tagAttr("p", "class", "export")) {
			export = append(export, text(p))
			if got := hrefs(p); !slices.Equal(got, []string{"/export?format=json", "/export?format=csv"}) {
				t.Errorf("export links = %v", got)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[signedIn]; len(export) != want || signedIn && export[0] != "Export: JSON · CSV" {
			t.Errorf("signed in %v: export paragraphs %q", signedIn, export)
		}
	}
	for _, p := range pages(t) {
		if p.name == "import job" {
			continue
		}
		_, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(mustRenderer(t), b) })
		if content, ok := metaRefresh(t, doc); ok {
			t.Errorf("%s refreshes itself (%q)", p.name, content)
		}
	}
}
