package diaryfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

// FuzzParse feeds the parser any file: it must not panic, must refuse
// with an error wrapping ErrValidation only, must return complete rows,
// and must return the same thing twice.
func FuzzParse(f *testing.F) {
	err := filepath.Walk("testdata", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Ext(path) == ".md" {
			return err
		}
		data, err := os.ReadFile(path)
		f.Add(filepath.Base(path), data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		lbDiary + "2023-01-05,\"unterminated,1995,x,4,,,2023-01-04\n",
		lbReviews + "2023-01-05,Heat,1995,x,4,,\"a \"\"b\"\"\nc\",,2023-01-04\n",
		imdbHead + imdbRow("tt0111161", "10", "2021-01-01", "X", "movie", "1994", "A, B"),
		mdCSVHead + "tt0111161,'=x,1994,'@y,2024-01-05,4.5,false,'-z\n",
		`{"format":"moviediary","version":1,"entries":[{"movie":{},"review":{}}]}`,
		"\xef\xbb\xbf",
		"PK\x05\x06" + string(make([]byte, 18)),
	} {
		f.Add("file.csv", []byte(s))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p := diaryfile.NewParser(diaryfile.Limits{MaxDecompressed: 1 << 20, MaxMembers: 50})
		files := []domain.ImportFile{{Name: name, Data: data}}
		got, err := p.ParseImport(files, "", now)
		if err != nil {
			if !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("error %v does not wrap ErrValidation", err)
			}
			return
		}
		assertRowsValid(t, got.Rows)
		again, err := p.ParseImport(files, "", now)
		if err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("a second parse differs (%v)", err)
		}
	})
}
