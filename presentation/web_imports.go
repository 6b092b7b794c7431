package presentation

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// registerImportPages mounts the import and export pages of the HTML
// interface on web, the signed-in pages' group (registerWeb): the upload
// form, the page of an import job and the download of the user's diary.
func (s *server) registerImportPages(web *echo.Group) {
	web.GET(html.ImportPath, s.importPage)
	web.POST(html.ImportPath, s.importSubmit, s.requireCSRF)
	web.GET(html.ImportsPath+"/:id", s.importJobPage)
	web.GET(html.ExportPath, s.exportDownload)
}

// importPage (GET /import) shows the upload form.
func (s *server) importPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	return s.showImport(c, http.StatusOK, user, html.ImportView{})
}

// showImport renders the import page with v, the user and the limit
// filled in.
func (s *server) showImport(c echo.Context, status int, user domain.User, v html.ImportView) error {
	v.UserID, v.UserEmail, v.CSRFToken, v.MaxBytes = user.ID, user.Email.String(), s.csrfToken(c), s.importMaxBytes()
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.ImportPage(b, v) })
}

// importSubmit (POST /import, multipart) starts an import of the uploaded
// files into the user's diary and redirects to its page (303). Files the
// parser refuses, or no file, show the form again with the reasons (400);
// an import of the user's still running is a 409 that links to it. The
// body is bounded by IMPORT_MAX_BYTES (bodyLimit, uploadBound), and parsed
// there, so that requireCSRF reads the token from it.
func (s *server) importSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	req := c.Request()
	form := html.ImportForm{Source: strings.TrimSpace(req.PostFormValue("source")), DryRun: formBool(req.PostFormValue("dry_run"))}
	files, err := uploadedFiles(req.MultipartForm)
	if err != nil {
		return err
	}
	job, err := s.svc.Imports.Start(req.Context(), application.ImportCommand{
		Actor: user.ID, User: user.ID, Files: files, Source: form.Source, DryRun: form.DryRun,
	})
	if err != nil {
		return s.importRefused(c, user, form, err)
	}
	if s.svc.WakeImports != nil {
		s.svc.WakeImports()
	}
	return c.Redirect(http.StatusSeeOther, html.ImportJobPath(job.ID))
}

// formBool reads a checkbox: ticked sends its value, "true".
func formBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "1", "yes":
		return true
	}
	return false
}

// uploadedFiles reads the "file" parts of a parsed multipart form, in
// upload order; none when the form is not multipart (Imports.Start then
// says a file is required). Parts sent without a file name (an empty file
// input) are left out.
func uploadedFiles(form *multipart.Form) ([]domain.ImportFile, error) {
	if form == nil {
		return nil, nil
	}
	var files []domain.ImportFile
	for _, fh := range form.File["file"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("import upload: open %q: %w", fh.Filename, err)
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("import upload: read %q: %w", fh.Filename, err)
		}
		files = append(files, domain.ImportFile{Name: fh.Filename, Data: data})
	}
	return files, nil
}

// runningImportError is an error of Imports.Start that names the import
// still running for the user, so that the page can link to it.
type runningImportError interface {
	error
	RunningImport() domain.ImportJobID
}

// importRefused shows the import page again after Imports.Start refused
// an upload: a running import (409, with a link to it when the error
// names it), what is wrong with the files or the form (400). Other errors
// are the request's (an error page).
func (s *server) importRefused(c echo.Context, user domain.User, form html.ImportForm, err error) error {
	v := html.ImportView{Form: form}
	if errors.Is(err, application.ErrImportRunning) {
		var running runningImportError
		if errors.As(err, &running) {
			v.Running = running.RunningImport()
		}
		v.Errors = []string{"An import of yours is still running: only one runs at a time. Start this one when it is done."}
		return s.showImport(c, http.StatusConflict, user, v)
	}
	p := problemFor(importError(err))
	if p.Status != http.StatusBadRequest {
		return err
	}
	v.Errors = importMessages(p)
	return s.showImport(c, p.Status, user, v)
}

// importMessages turns a refused upload's problem into sentences for the
// import page, naming the form's fields as the page does.
func importMessages(p Problem) []string {
	if len(p.Errors) == 0 {
		return []string{sentence(p.Detail)}
	}
	labels := map[string]string{"file": "Files", "source": "Source"}
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		label, ok := labels[e.Field]
		if !ok {
			label = fieldLabel(e.Field)
		}
		out = append(out, sentence(label+": "+e.Rule))
	}
	return out
}

// sentence capitalises s's first letter and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// importJobPage (GET /imports/{id}) shows an import job to the user it
// imports into, the user who started it and the owner
// (Imports.Job); to anyone else, and for an unknown or malformed ID, there
// is no such import (404).
func (s *server) importJobPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	id, err := domain.ParseImportJobID(c.Param("id"))
	if err != nil {
		return errNoImport
	}
	job, err := s.svc.Imports.Job(c.Request().Context(), user.ID, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) {
			return errNoImport
		}
		return err
	}
	view := html.ImportJobView{Job: job, UserID: user.ID, UserEmail: user.Email.String(), CSRFToken: s.csrfToken(c)}
	return s.render(c, http.StatusOK, func(b *bytes.Buffer) error { return s.pages.ImportJobPage(b, view) })
}

// errNoImport is the page of an import job the browser may not see.
var errNoImport = newHTTPError(http.StatusNotFound, "there is no such import")

// exportDownload (GET /export?format=json|csv) downloads the signed-in
// user's diary: the API's export (apiExport), with the session for a
// token, so that both routes stream the same bytes.
func (s *server) exportDownload(c echo.Context) error {
	if _, ok := pageUser(c); !ok {
		return toLogin(c)
	}
	return s.apiExport(c)
}
