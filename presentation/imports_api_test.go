package presentation_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestImportUploadBound: an import upload is bounded by IMPORT_MAX_BYTES,
// not the 1 MiB of other bodies — a declared length over it and a chunked
// body that runs past it both get 413 naming the variable — while other
// routes keep their 1 MiB.
func TestImportUploadBound(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"IMPORT_MAX_BYTES": "4096"})
	a.register(ownerEmail, ownerPassword)
	token := a.token()

	upload := func(size int, chunked bool) *http.Response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, err := mw.CreateFormFile("file", "diary.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"))
		_, _ = w.Write(bytes.Repeat([]byte("x"), size))
		_ = mw.Close()
		var r io.Reader = &body
		if chunked {
			r = io.MultiReader(&body) // no length known: read until the bound
		}
		req := httptest.NewRequest(http.MethodPost, "/api/imports", r)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		return rec.Result()
	}
	for _, chunked := range []bool{false, true} {
		res := upload(8192, chunked)
		if body := readBody(t, res); res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "IMPORT_MAX_BYTES") || !strings.Contains(body, "4.0 KiB") {
			t.Errorf("chunked=%v: %d %s, want 413 naming IMPORT_MAX_BYTES and 4.0 KiB", chunked, res.StatusCode, body)
		}
	}
	// Under the bound the upload is read: this one is a diary.csv whose
	// only row is malformed, so the job starts.
	if res := upload(100, true); res.StatusCode != http.StatusAccepted {
		t.Errorf("small chunked upload = %d %s, want 202", res.StatusCode, readBody(t, res))
	}
	// Other bodies keep their own bound, whatever IMPORT_MAX_BYTES says.
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	res := a.do(request{method: http.MethodPost, path: "/api/tokens", body: big,
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	if body := readBody(t, res); res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "1 MiB") {
		t.Errorf("2 MiB token body = %d %s, want 413 (1 MiB)", res.StatusCode, body)
	}
}

// TestExportHeaders: an empty diary's export is a download with its
// headers, and a refused one is a problem without them.
func TestExportHeaders(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	token := a.token()
	get := func(path string) *http.Response {
		return a.do(request{method: http.MethodGet, path: path, header: http.Header{"Authorization": {"Bearer " + token}}})
	}
	res := get("/api/export?format=json")
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="moviediary-`) ||
		res.Header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(body, `{"format":"moviediary","version":1,"exported_at":"`) || !strings.HasSuffix(body, `"entries":[]}`+"\n") {
		t.Errorf("empty JSON export = %d %v %q", res.StatusCode, res.Header, body)
	}
	res = get("/api/export?format=yaml")
	if body := readBody(t, res); res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Disposition") != "" || !strings.Contains(body, "format") {
		t.Errorf("bad format = %d %v %s", res.StatusCode, res.Header, body)
	}
}
