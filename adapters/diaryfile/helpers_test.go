package diaryfile_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

// now is the clock of every test: years up to 2031 are valid, dates up to
// 2026-12-01 are not in the future.
var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// view is what a test compares of an import row.
type view struct {
	File     string
	Line     int
	Title    string
	Year     int
	Watched  string // YYYY-MM-DD, or the full time when it has one
	Rating   string // "" not rated
	Comment  string
	Director string
	IMDb     string
}

func (v view) String() string {
	return fmt.Sprintf("%s:%d %q (%d) %s rating=%q director=%q imdb=%q comment=%q",
		v.File, v.Line, v.Title, v.Year, v.Watched, v.Rating, v.Director, v.IMDb, v.Comment)
}

func viewOf(r domain.ImportRow) view {
	watched := r.WatchedAt.Format("2006-01-02")
	if r.WatchedAt.Hour() != 0 || r.WatchedAt.Minute() != 0 || r.WatchedAt.Second() != 0 {
		watched = r.WatchedAt.Format("2006-01-02T15:04:05")
	}
	return view{
		File: r.File, Line: r.Line, Title: r.Title.String(), Year: r.Year.Int(), Watched: watched,
		Rating: r.Rating.String(), Comment: r.Comment.String(), Director: r.Director.String(),
		IMDb: r.ExternalID.String(),
	}
}

func viewsOf(rows []domain.ImportRow) []view {
	out := make([]view, len(rows))
	for i, r := range rows {
		out[i] = viewOf(r)
	}
	return out
}

// assertViews compares rows with want, ignoring File and Line when want
// leaves them empty.
func assertViews(t *testing.T, rows []domain.ImportRow, want []view) {
	t.Helper()
	got := viewsOf(rows)
	for i := range got {
		if i < len(want) && want[i].File == "" {
			got[i].File, got[i].Line = "", 0
		}
	}
	if len(got) == 0 && len(want) == 0 || reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		g, w := "-", "-"
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := "  "
		if g != w {
			mark = "≠ "
		}
		fmt.Fprintf(&b, "%s%d got  %s\n  %d want %s\n", mark, i, g, i, w)
	}
	t.Errorf("rows differ:\n%s", b.String())
}

// assertRowsValid checks what every row promises: a key, a title, a year
// and a watched time.
func assertRowsValid(t testing.TB, rows []domain.ImportRow) {
	t.Helper()
	for i, r := range rows {
		if r.Key.IsZero() || r.Title.IsZero() || r.Year.IsZero() || r.WatchedAt.IsZero() || r.File == "" || r.Line < 1 {
			t.Fatalf("row %d incomplete: %+v", i, r)
		}
	}
}

// assertUniqueKeys checks that no two rows share a key.
func assertUniqueKeys(t *testing.T, rows []domain.ImportRow) {
	t.Helper()
	seen := map[domain.ImportRowKey]int{}
	for i, r := range rows {
		if j, dup := seen[r.Key]; dup {
			t.Fatalf("rows %d and %d share the key %s", j, i, r.Key)
		}
		seen[r.Key] = i
	}
}

func parse(t *testing.T, source domain.ImportSource, files ...domain.ImportFile) domain.ParsedImport {
	t.Helper()
	got, err := diaryfile.NewParser(diaryfile.Limits{}).ParseImport(files, source, now)
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	assertRowsValid(t, got.Rows)
	return got
}

// parseErr parses files and returns the error, which must wrap
// ErrValidation.
func parseErr(t *testing.T, p *diaryfile.Parser, source domain.ImportSource, files ...domain.ImportFile) error {
	t.Helper()
	got, err := p.ParseImport(files, source, now)
	if err == nil {
		t.Fatalf("ParseImport: no error; got %d rows, problems %v", len(got.Rows), got.Problems)
	}
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("error %v does not wrap ErrValidation", err)
	}
	return err
}

func file(name, content string) domain.ImportFile {
	return domain.ImportFile{Name: name, Data: []byte(content)}
}

func fixture(t testing.TB, path string) domain.ImportFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return domain.ImportFile{Name: filepath.Base(path), Data: data}
}

// zipOf builds a ZIP of members, name and content, in order.
func zipOf(t testing.TB, members ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipDir builds a ZIP of the files under dir, in lexical order, with a
// fixed modification time so that the archive depends on content only.
func zipDir(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{
			Name: filepath.ToSlash(rel), Method: zip.Deflate,
			Modified: time.Date(2024, 3, 12, 9, 15, 0, 0, time.UTC),
		})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func problemsOf(p domain.ParsedImport) []string {
	out := make([]string, len(p.Problems))
	for i, pr := range p.Problems {
		out[i] = fmt.Sprintf("%s:%d %s", pr.File, pr.Line, pr.Reason)
	}
	return out
}
