package diaryfile_test

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

const (
	lbDiary   = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
	lbReviews = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n"
	lbRatings = "Date,Name,Year,Letterboxd URI,Rating\n"
	lbWatched = "Date,Name,Year,Letterboxd URI\n"
	imdbHead  = "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
	mdCSVHead = "imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review\n"
)

// imdbRow is a row of an IMDb ratings export.
func imdbRow(id, rating, date, title, typ, year, directors string) string {
	return strings.Join([]string{id, rating, date, title, title, "https://www.imdb.com/title/" + id + "/", typ, "7.0", "100", year, "Drama", "1000", year + "-01-01", directors}, ",") + "\n"
}

func TestParseReadsEveryFormatAndQuirk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		source   domain.ImportSource
		files    []domain.ImportFile
		want     []view
		problems []string
		skipped  int
	}{
		{
			name: "letterboxd diary with BOM, CRLF and a trailing blank line",
			files: []domain.ImportFile{file("diary.csv", "\uFEFF"+strings.ReplaceAll(lbDiary+
				"2023-01-05,Parasite,2019,https://boxd.it/a,4.5,,,2023-01-04\n\n", "\n", "\r\n"))},
			want: []view{{Title: "Parasite", Year: 2019, Watched: "2023-01-04", Rating: "4.5"}},
		},
		{
			name: "letterboxd columns in another order, with unknown ones",
			files: []domain.ImportFile{file("diary.csv", "Watched Date,Extra,Rating,Name,Tags,Year,Rewatch,Letterboxd URI,Date\n"+
				"2023-01-04,x,3.5,Heat,,1995,,https://boxd.it/a,2023-01-05\n")},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "3.5"}},
		},
		{
			name: "letterboxd watched date empty: the Date is used",
			files: []domain.ImportFile{file("diary.csv", lbDiary+
				"2023-01-05,Heat,1995,https://boxd.it/a,,,,\n")},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2023-01-05"}},
		},
		{
			name: "letterboxd rows the file cannot hold are listed with the line they start on, the rest read",
			files: []domain.ImportFile{file("diary.csv", lbDiary+
				"2023-01-05,Heat,1995,https://boxd.it/a,4,,\"multi\nline, tags\",2023-01-04\n"+ // lines 2-3
				"2023-01-05,Ragged,1995,https://boxd.it/b,4\n"+ // 4
				"2023-01-05,Bad Date,1995,https://boxd.it/c,4,,,2023-02-30\n"+ // 5
				"2023-01-05,Future,1995,https://boxd.it/d,4,,,2027-01-01\n"+ // 6
				"2023-01-05,Quarter,1995,https://boxd.it/e,4.25,,,2023-01-04\n"+ // 7
				"2023-01-05,Zero,1995,https://boxd.it/f,0,,,2023-01-04\n"+ // 8
				"2023-01-05,Six,1995,https://boxd.it/g,6,,,2023-01-04\n"+ // 9
				"2023-01-05,,1995,https://boxd.it/h,4,,,2023-01-04\n"+ // 10
				"2023-01-05,No Year,,https://boxd.it/i,4,,,2023-01-04\n"+ // 11
				"2023-01-05,Old,1700,https://boxd.it/j,4,,,2023-01-04\n"+ // 12
				"2023-01-05,Words,nineteen,https://boxd.it/k,4,,,2023-01-04\n"+ // 13
				"2023-01-05,\"Bell\x07\",1995,https://boxd.it/l,4,,,2023-01-04\n"+ // 14
				"2023-01-05,Everything Wrong,,https://boxd.it/m,9,,,yesterday\n"+ // 15
				"2023-01-05,Alien,1979,https://boxd.it/n,5,,,2023-01-04\n")}, // 16
			want: []view{
				{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "4"},
				{Title: "Alien", Year: 1979, Watched: "2023-01-04", Rating: "5"},
			},
			problems: []string{
				"diary.csv:4 has 5 fields, the header has 8",
				`diary.csv:5 Watched Date "2023-02-30" is not a date (want YYYY-MM-DD)`,
				"diary.csv:6 Watched Date 2027-01-01: must not be in the future",
				`diary.csv:7 Rating "4.25": must be 0.5 to 5 in steps of 0.5, or empty`,
				`diary.csv:8 Rating "0": must be 0.5 to 5 in steps of 0.5, or empty`,
				`diary.csv:9 Rating "6": must be 0.5 to 5 in steps of 0.5, or empty`,
				"diary.csv:10 Name: must not be empty",
				"diary.csv:11 Year is missing",
				"diary.csv:12 Year 1700: must be from 1888 to 2031",
				`diary.csv:13 Year "nineteen" is not a year`,
				"diary.csv:14 Name: must be a single line without control characters (U+0000–U+001F, U+007F–U+009F)",
				`diary.csv:15 Year is missing; Watched Date "yesterday" is not a date (want YYYY-MM-DD); Rating "9": must be 0.5 to 5 in steps of 0.5, or empty`,
			},
			skipped: 12,
		},
		{
			name: "letterboxd trailing empty fields past the header are tolerated",
			files: []domain.ImportFile{file("diary.csv", lbDiary+
				"2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04,,\n")},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "4"}},
		},
		{
			name: "letterboxd review merges into the diary viewing ignoring case; one review a viewing",
			files: []domain.ImportFile{
				file("reviews.csv", lbReviews+
					"2023-01-05,PARASITE,2019,https://boxd.it/a,4,,first,,2023-01-04\n"+
					"2023-01-05,parasite,2019,https://boxd.it/b,,,second,,2023-01-04\n"+
					"2023-01-05,Parasite,2019,https://boxd.it/c,5,,third,,2023-01-04\n"),
				file("diary.csv", lbDiary+
					"2023-01-05,Parasite,2019,https://boxd.it/a,4,,,2023-01-04\n"+
					"2023-01-05,Parasite,2019,https://boxd.it/b,,,,2023-01-04\n"+
					"2023-01-05,Parasite,2019,https://boxd.it/d,4,,,2023-01-05\n"),
			},
			want: []view{
				{Title: "Parasite", Year: 2019, Watched: "2023-01-04", Rating: "4", Comment: "first"},
				{Title: "Parasite", Year: 2019, Watched: "2023-01-04", Comment: "second"},
				{Title: "Parasite", Year: 2019, Watched: "2023-01-05", Rating: "4"},
				{Title: "Parasite", Year: 2019, Watched: "2023-01-04", Rating: "5", Comment: "third"},
			},
		},
		{
			name: "letterboxd review of a diary viewing that is not rated gives its rating",
			files: []domain.ImportFile{
				file("diary.csv", lbDiary+"2023-01-05,Heat,1995,https://boxd.it/a,,,,2023-01-04\n"),
				file("reviews.csv", lbReviews+"2023-01-05,Heat,1995,https://boxd.it/a,3,,\"He said \"\"no\"\".\",,2023-01-04\n"),
			},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "3", Comment: `He said "no".`}},
		},
		{
			name: "letterboxd ratings and watched: one viewing a film without diary entries, earliest date, rating from ratings",
			files: []domain.ImportFile{
				file("watched.csv", lbWatched+
					"2022-09-15,Alien,1979,https://boxd.it/a\n"+
					"2022-10-01,Heat,1995,https://boxd.it/b\n"+
					"2022-10-01,Parasite,2019,https://boxd.it/c\n"),
				file("ratings.csv", lbRatings+
					"2022-10-05,heat,1995,https://boxd.it/b,4\n"+
					"2022-08-01,Solaris,1972,https://boxd.it/d,3.5\n"+
					"2022-10-01,Parasite,2019,https://boxd.it/c,5\n"),
				file("diary.csv", lbDiary+"2023-01-05,Parasite,2019,https://boxd.it/e,,,,2023-01-04\n"),
			},
			want: []view{
				{Title: "Parasite", Year: 2019, Watched: "2023-01-04"},
				{Title: "Alien", Year: 1979, Watched: "2022-09-15"},
				{Title: "Heat", Year: 1995, Watched: "2022-10-01", Rating: "4"},
				{Title: "Solaris", Year: 1972, Watched: "2022-08-01", Rating: "3.5"},
			},
		},
		{
			name: "a file that is not UTF-8 is read as Windows-1252 and said so",
			files: []domain.ImportFile{{Name: "diary.csv", Data: []byte(lbDiary +
				"2023-01-05,Am\xe9lie,2001,https://boxd.it/a,4,,,2023-01-04\n" +
				"2023-01-05,\x93Crocodile\x94 Dundee,1986,https://boxd.it/b,3,,,2023-01-04\n")}},
			want: []view{
				{Title: "Amélie", Year: 2001, Watched: "2023-01-04", Rating: "4"},
				{Title: "“Crocodile” Dundee", Year: 1986, Watched: "2023-01-04", Rating: "3"},
			},
			problems: []string{"diary.csv:0 not UTF-8: read as Windows-1252; check that accented titles came out right"},
		},
		{
			name:  "UTF-16 with a byte order mark",
			files: []domain.ImportFile{{Name: "diary.csv", Data: utf16LE(lbDiary + "2023-01-05,Tár,2022,https://boxd.it/a,4,,,2023-01-04\n")}},
			want:  []view{{Title: "Tár", Year: 2022, Watched: "2023-01-04", Rating: "4"}},
		},
		{
			name:  "classic Mac line endings",
			files: []domain.ImportFile{file("diary.csv", strings.ReplaceAll(lbDiary+"2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04\n", "\n", "\r"))},
			want:  []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "4"}},
		},
		{
			name: "odd upload names: a Windows path, none, control characters",
			files: []domain.ImportFile{
				file(`C:\Users\me\Downloads\diary (1).CSV`, lbDiary+"2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-02-30\n"),
				file("", lbWatched+"2022-01-01,Alien,,x\n"),
				file("rat\x00ings\n.txt", lbRatings+"2022-01-01,Solaris,1972,x,7\n"),
			},
			problems: []string{
				`diary (1).CSV:2 Watched Date "2023-02-30" is not a date (want YYYY-MM-DD)`,
				"file 2:2 Year is missing",
				`rat�ings�.txt:2 Rating "7": must be 0.5 to 5 in steps of 0.5, or empty`,
			},
			skipped: 3,
		},
		{
			name: "a file uploaded twice (on its own and in the ZIP) is read once",
			files: []domain.ImportFile{
				file("diary.csv", lbDiary+"2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04\n"),
				{Name: "export.zip", Data: zipOf(t, [2]string{"diary.csv", lbDiary + "2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04\n"})},
			},
			want:     []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "4"}},
			problems: []string{"diary.csv:0 ignored: the same content as diary.csv, read already"},
		},
		{
			name: "an uploaded watchlist.csv is ignored: its header is watched.csv's",
			files: []domain.ImportFile{
				file("watchlist.csv", lbWatched+"2022-01-01,Perfect Days,2023,x\n"),
				file("watched.csv", lbWatched+"2022-01-01,Alien,1979,x\n"),
			},
			want:     []view{{Title: "Alien", Year: 1979, Watched: "2022-01-01"}},
			problems: []string{"watchlist.csv:0 ignored: not a diary file"},
		},
		{
			name: "letterboxd ZIP in a folder, with deleted and orphaned entries and macOS forks",
			files: []domain.ImportFile{{Name: "letterboxd-me-2024-03-12-09-15-utc.zip", Data: zipOf(t,
				[2]string{"letterboxd-me/diary.csv", lbDiary + "2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04\n"},
				[2]string{"letterboxd-me/deleted/diary.csv", lbDiary + "2023-01-05,Deleted,1995,https://boxd.it/b,4,,,2023-01-04\n"},
				[2]string{"letterboxd-me/orphaned/reviews.csv", lbReviews},
				[2]string{"__MACOSX/letterboxd-me/._diary.csv", "\x00\x05\x16\x07"},
			)}},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04", Rating: "4"}},
			problems: []string{
				"letterboxd-me/deleted/diary.csv:0 ignored: not a diary file",
				"letterboxd-me/orphaned/reviews.csv:0 ignored: not a diary file",
				"__MACOSX/letterboxd-me/._diary.csv:0 ignored: not a diary file",
			},
		},
		{
			name:   "IMDb: films of every title type spelling are read, the rest skipped and counted",
			source: domain.ImportIMDb,
			files: []domain.ImportFile{file("ratings (2).csv", imdbHead+
				imdbRow("tt0000001", "10", "2021-01-01", "A movie", "movie", "1990", "")+
				imdbRow("tt0000002", "9", "2021-01-02", "A TV movie", "tvMovie", "1991", "")+
				imdbRow("tt0000003", "8", "2021-01-03", "A video", "Video", "1992", "")+
				imdbRow("tt0000004", "7", "2021-01-04", "A short", "short", "1993", "")+
				imdbRow("tt0000005", "6", "2021-01-05", "A TV short", "TV Short", "1994", "")+
				imdbRow("tt0000006", "5", "2021-01-06", "A TV special", "tvSpecial", "1995", "")+
				imdbRow("tt0000007", "4", "2021-01-07", "A series", "tvSeries", "1996", "")+
				imdbRow("tt0000008", "3", "2021-01-08", "An episode", "tvEpisode", "1997", "")+
				imdbRow("tt0000009", "2", "2021-01-09", "A mini series", "tvMiniSeries", "1998", "")+
				imdbRow("tt0000010", "1", "2021-01-10", "A game", "videoGame", "1999", "")+
				imdbRow("tt0000011", "1", "2021-01-11", "A podcast", "Podcast Series", "2000", "")+
				imdbRow("tt0000012", "1", "2021-01-12", "An episode", "Podcast Episode", "2000", "")+
				imdbRow("tt0000013", "3", "2021-01-13", "An old feature", "Feature Film", "2001", "Someone"))},
			want: []view{
				{Title: "A movie", Year: 1990, Watched: "2021-01-01", Rating: "5", IMDb: "tt0000001"},
				{Title: "A TV movie", Year: 1991, Watched: "2021-01-02", Rating: "4.5", IMDb: "tt0000002"},
				{Title: "A video", Year: 1992, Watched: "2021-01-03", Rating: "4", IMDb: "tt0000003"},
				{Title: "A short", Year: 1993, Watched: "2021-01-04", Rating: "3.5", IMDb: "tt0000004"},
				{Title: "A TV short", Year: 1994, Watched: "2021-01-05", Rating: "3", IMDb: "tt0000005"},
				{Title: "A TV special", Year: 1995, Watched: "2021-01-06", Rating: "2.5", IMDb: "tt0000006"},
				{Title: "An old feature", Year: 2001, Watched: "2021-01-13", Rating: "1.5", IMDb: "tt0000013", Director: "Someone"},
			},
			skipped: 6,
		},
		{
			name: "IMDb: an older header, and bad rows listed",
			files: []domain.ImportFile{file("ratings.csv",
				"Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"+
					"tt0116282,8,2021-05-09,Fargo,https://www.imdb.com/title/tt0116282/,movie,8.1,98,1996,Crime,740000,1996-03-08,\"Joel Coen, Ethan Coen\"\n"+
					"tt0000002,0,2021-05-09,Zero,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					"tt0000003,11,2021-05-09,Eleven,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					"tt0000004,7.5,2021-05-09,Half,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					"tt0000005,,2021-05-09,Empty,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					"nm0000006,5,2021-05-09,Person,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					",5,2021-05-09,No ID,u,movie,1,1,1996,g,1,1996-03-08,\n"+
					"tt0000008,5,05/09/2021,US date,u,movie,1,1,1996,g,1,1996-03-08,\n")},
			want: []view{{Title: "Fargo", Year: 1996, Watched: "2021-05-09", Rating: "4", IMDb: "tt0116282", Director: "Joel Coen"}},
			problems: []string{
				`ratings.csv:3 Your Rating "0": must be a whole number from 1 to 10`,
				`ratings.csv:4 Your Rating "11": must be a whole number from 1 to 10`,
				`ratings.csv:5 Your Rating "7.5": must be a whole number from 1 to 10`,
				`ratings.csv:6 Your Rating "": must be a whole number from 1 to 10`,
				`ratings.csv:7 Const "nm0000006": must be an IMDb title ID: tt followed by 7 to 10 digits`,
				"ratings.csv:8 Const is missing",
				`ratings.csv:9 Date Rated "05/09/2021" is not a date (want YYYY-MM-DD)`,
			},
			skipped: 7,
		},
		{
			name: "moviediary CSV: neutralised cells read back, a literal leading quote kept, half stars and zero stars",
			files: []domain.ImportFile{file("moviediary-export.csv", mdCSVHead+
				"tt0111161,'=Title,1994,'@Director,2024-01-05,4.5,false,'-- sure\n"+
				"tt0111161,'Burbs,1989,'+,2024-01-06,0,true,'''=x\n"+
				",No ID,2003,,2024-01-07,,false,\n")},
			want: []view{
				{Title: "=Title", Year: 1994, Watched: "2024-01-05", Rating: "4.5", Director: "@Director", Comment: "-- sure", IMDb: "tt0111161"},
				{Title: "'Burbs", Year: 1989, Watched: "2024-01-06", Rating: "0", Director: "+", Comment: "''=x", IMDb: "tt0111161"},
				{Title: "No ID", Year: 2003, Watched: "2024-01-07"},
			},
		},
		{
			name:  "moviediary CSV: Letterboxd's import format with its least columns",
			files: []domain.ImportFile{file("mine.csv", "Title,Year,WatchedDate,Rating10\nHeat,1995,2023-01-04,8\n")},
			want:  []view{{Title: "Heat", Year: 1995, Watched: "2023-01-04"}},
		},
		{
			name: "moviediary CSV: bad rows listed",
			files: []domain.ImportFile{file("export.csv", mdCSVHead+
				"tt123,Heat,1995,,2023-01-04,,false,\n"+
				"tt0113277,Heat,1995,,2023-01-04,5.5,false,\n"+
				"tt0113277,Heat,1995,,2023-01-04,,false,"+strings.Repeat("x", domain.MaxCommentRunes+1)+"\n")},
			problems: []string{
				`export.csv:2 imdbID "tt123": must be an IMDb title ID: tt followed by 7 to 10 digits`,
				`export.csv:3 Rating "5.5": must be 0 to 5 in steps of 0.5, or empty`,
				"export.csv:4 Review: must be at most 10000 characters",
			},
			skipped: 3,
		},
		{
			name: "moviediary JSON: members in any order, unknown ones skipped, bad entries listed",
			files: []domain.ImportFile{file("export.json", `{"entries": [
 {"movie": {"id": "01890a5d-ac96-774b-bcce-b302099a8057", "title": "Heat", "release_year": 1995, "extra": [1, {"a": 2}]},
  "review": {"id": "018cd9a1-5e3f-7c21-9b0a-3f4e5d6c7b8a", "rating": 4.5, "watched_at": "2024-01-05T21:30:00Z", "created_at": "2024-01-05T22:00:00Z"}},
 {"movie": {"id": "01890a5d-ac96-774b-bcce-b302099a8057", "title": "Heat", "release_year": "1995"},
  "review": {"id": "018cd9a1-5e3f-7c21-9b0a-3f4e5d6c7b8b", "watched_at": "2024-01-05T21:30:00"}},
 {"movie": {"id": "nope", "title": " ", "release_year": 1995},
  "review": {"id": "", "rating": 4.3, "watched_at": "2030-01-05T21:30:00"}},
 {"movie": {"id": "01890a5d-ac96-774b-bcce-b302099a8057", "title": "Heat", "release_year": 1995},
  "review": {"id": "018cd9a1-5e3f-7c21-9b0a-3f4e5d6c7b8c", "watched_at": "5 January", "created_at": "yesterday"}}
], "generator": {"name": "moviediary", "version": "1.2.3"}, "format": "moviediary", "version": 1}`)},
			want: []view{{Title: "Heat", Year: 1995, Watched: "2024-01-05T21:30:00", Rating: "4.5"}},
			problems: []string{
				"export.json:4 movie.release_year: wrong type (string)",
				"export.json:6 movie.id: must be a UUID; movie.title: must not be empty; review.id: must be a UUID; review.rating: must be a number from 0 to 5 in steps of 0.5 (or null for no rating); review.watched_at 2030-01-05T21:30:00: must not be in the future",
				`export.json:8 review.watched_at "5 January" is not a time like 2006-01-02T15:04:05; review.created_at "yesterday" is not an RFC 3339 time`,
			},
			skipped: 3,
		},
		{
			name:  "moviediary JSON with no entries",
			files: []domain.ImportFile{file("export.json", `{"format":"moviediary","version":1,"exported_at":"2026-11-30T12:00:00Z","entries":[]}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parse(t, tt.source, tt.files...)
			assertViews(t, got.Rows, tt.want)
			assertUniqueKeys(t, got.Rows)
			if p := problemsOf(got); !slices.Equal(p, tt.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(p, "\n"), strings.Join(tt.problems, "\n"))
			}
			if got.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d", got.Skipped, tt.skipped)
			}
		})
	}
}

func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, r := range s {
		if r > 0xFFFF {
			panic("test text outside the BMP")
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestParseRefusesFilesItCannotRead(t *testing.T) {
	t.Parallel()
	bomb := bytes.Repeat([]byte("0"), 1<<20)
	tests := []struct {
		name   string
		limits diaryfile.Limits
		source domain.ImportSource
		files  []domain.ImportFile
		want   []string // substrings of the error
	}{
		{name: "no file", want: []string{"no file to import"}},
		{name: "an empty file", files: []domain.ImportFile{file("diary.csv", "")}, want: []string{"diary.csv: is empty"}},
		{name: "a byte order mark and blank lines only", files: []domain.ImportFile{file("diary.csv", "\uFEFF\r\n \r\n")}, want: []string{"diary.csv: is empty"}},
		{
			name:  "a header of no known type: the types known and what the closest lacks",
			files: []domain.ImportFile{file("export.csv", "Name,Year,Rating,Watched Date\nHeat,1995,4,2023-01-04\n")},
			want: []string{"export.csv: its header matches no known file type", "Letterboxd diary.csv, reviews.csv", "IMDb ratings export",
				"moviediary export", "closest to a Letterboxd diary.csv, which also needs the column(s) Date, Letterboxd URI, Rewatch"},
		},
		{
			name:  "an IMDb header lacking columns",
			files: []domain.ImportFile{file("ratings.csv", "Const,Title,Year,Directors\n")},
			want:  []string{"closest to an IMDb ratings export, which also needs the column(s) Your Rating, Date Rated, Title Type"},
		},
		{
			name:  "a Letterboxd list uploaded on its own",
			files: []domain.ImportFile{file("favourites.csv", "Letterboxd list export v7\nDate,Name,Tags,URL,Description\n")},
			want:  []string{"favourites.csv: its header matches no known file type"},
		},
		{name: "a corrupt ZIP", files: []domain.ImportFile{file("export.zip", "PK\x03\x04 not really")}, want: []string{"export.zip: is not a readable ZIP archive"}},
		{name: "a .zip that is no ZIP", files: []domain.ImportFile{file("export.zip", lbDiary)}, want: []string{"export.zip: is not a readable ZIP archive"}},
		{
			name:  "a truncated ZIP",
			files: []domain.ImportFile{{Name: "export.zip", Data: zipOf(t, [2]string{"diary.csv", lbDiary})[:40]}},
			want:  []string{"export.zip: is not a readable ZIP archive"},
		},
		{
			name:   "a ZIP of too many members",
			limits: diaryfile.Limits{MaxMembers: 2},
			files: []domain.ImportFile{{Name: "export.zip", Data: zipOf(t,
				[2]string{"diary.csv", lbDiary}, [2]string{"a/", ""}, [2]string{"lists/a.csv", "x"})}},
			want: []string{"export.zip: the ZIP holds 3 members, more than the 2 allowed"},
		},
		{
			name:   "a ZIP member that decompresses past the limit",
			limits: diaryfile.Limits{MaxDecompressed: 64 << 10},
			files:  []domain.ImportFile{{Name: "export.zip", Data: zipOf(t, [2]string{"diary.csv", lbDiary + string(bomb)})}},
			want:   []string{"export.zip: the ZIP expands to more than the 65536 bytes allowed"},
		},
		{
			name:   "ZIP members that together decompress past the limit",
			limits: diaryfile.Limits{MaxDecompressed: 100},
			files: []domain.ImportFile{{Name: "export.zip", Data: zipOf(t,
				[2]string{"diary.csv", lbDiary}, [2]string{"watched.csv", lbWatched + "2022-01-01,Alien,1979,https://boxd.it/abcdefgh\n"})}},
			want: []string{"export.zip: the ZIP expands to more than the 100 bytes allowed"},
		},
		{
			name:   "a ZIP member whose header lies about its size",
			limits: diaryfile.Limits{MaxDecompressed: 64 << 10},
			files:  []domain.ImportFile{{Name: "export.zip", Data: lyingZip(t, "diary.csv", append([]byte(lbDiary), bomb...), 100)}},
			want:   []string{"export.zip: "},
		},
		{
			name:  "a ZIP of no diary file",
			files: []domain.ImportFile{{Name: "export.zip", Data: zipOf(t, [2]string{"watchlist.csv", lbWatched}, [2]string{"profile.csv", "x"})}},
			want:  []string{"export.zip: nothing to import"},
		},
		{name: "an empty ZIP", files: []domain.ImportFile{{Name: "export.zip", Data: zipOf(t)}}, want: []string{"export.zip: nothing to import"}},
		{
			name: "files of different sources",
			files: []domain.ImportFile{
				file("diary.csv", lbDiary),
				file("ratings.csv", imdbHead),
			},
			want: []string{"ratings.csv: is an IMDb ratings export but diary.csv is a Letterboxd diary.csv: files of different sources"},
		},
		{
			name:   "a source asked for that the files are not",
			source: domain.ImportIMDb,
			files:  []domain.ImportFile{file("diary.csv", lbDiary)},
			want:   []string{`diary.csv: is a Letterboxd diary.csv, but this import reads IMDb files (source "imdb")`},
		},
		{
			name:   "a Letterboxd ZIP when moviediary is asked for",
			source: domain.ImportMoviediary,
			files:  []domain.ImportFile{fixture(t, "letterboxd-export.zip")},
			want:   []string{"diary.csv: is a Letterboxd diary.csv, but this import reads moviediary files"},
		},
		{name: "JSON of another version", files: []domain.ImportFile{file("export.json", `{"format":"moviediary","version":2,"entries":[]}`)},
			want: []string{"export.json: is a moviediary JSON export of version 2; this moviediary reads version 1"}},
		{name: "JSON of another format", files: []domain.ImportFile{file("export.json", `{"format":"trakt","version":1,"entries":[]}`)},
			want: []string{`export.json: is not a moviediary JSON export: "format" is "trakt", not "moviediary"`}},
		{name: "JSON without a version", files: []domain.ImportFile{file("export.json", `{"format":"moviediary","entries":[]}`)},
			want: []string{`"version" is missing`}},
		{name: "JSON without entries", files: []domain.ImportFile{file("export.json", `{"format":"moviediary","version":1}`)},
			want: []string{`"entries" is missing`}},
		{name: "a JSON array", files: []domain.ImportFile{file("export.json", `[{"format":"moviediary"}]`)},
			want: []string{"export.json: is not a moviediary JSON export: it is not a JSON object"}},
		{name: "JSON cut short", files: []domain.ImportFile{file("export.json", "{\"format\":\"moviediary\",\"version\":1,\n\"entries\":[{\"movie\":")},
			want: []string{"export.json: is not valid JSON (line 2"}},
		{name: "JSON with a syntax error", files: []domain.ImportFile{file("export.json", "{\"format\":\"moviediary\",\n\"version\":1,\n\"entries\":[}]}")},
			want: []string{"export.json: is not valid JSON (line 3"}},
		{name: "JSON followed by more", files: []domain.ImportFile{file("export.json", `{"format":"moviediary","version":1,"entries":[]} {}`)},
			want: []string{"something follows the JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := parseErr(t, diaryfile.NewParser(tt.limits), tt.source, tt.files...)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// lyingZip is a ZIP of one member whose header says it holds size bytes
// (and carries the CRC of the whole content).
func lyingZip(t *testing.T, name string, content []byte, size uint64) []byte {
	t.Helper()
	var compressed bytes.Buffer
	{
		var tmp bytes.Buffer
		zw := zip.NewWriter(&tmp)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(tmp.Bytes()), int64(tmp.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := zr.File[0].OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compressed.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
		CompressedSize64: uint64(compressed.Len()), UncompressedSize64: size,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(compressed.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	diary := lbDiary +
		"2023-01-05,Heat,1995,https://boxd.it/a,4,,,2023-01-04\n" +
		"2023-01-05,Heat,1995,https://boxd.it/b,4,,,2023-01-04\n" +
		"2023-01-05,Alien,1979,https://boxd.it/c,4,,,2023-01-04\n"
	first := parse(t, "", file("diary.csv", diary))
	t.Run("two viewings of a film on one day get two keys", func(t *testing.T) {
		assertUniqueKeys(t, first.Rows)
	})
	t.Run("a later export that adds rows keeps the earlier rows' keys", func(t *testing.T) {
		later := parse(t, "", file("diary (2).csv", diary+"2023-02-01,Heat,1995,https://boxd.it/d,5,Yes,,2023-02-01\n"))
		for i := range first.Rows {
			if first.Rows[i].Key != later.Rows[i].Key {
				t.Errorf("row %d: key %s, then %s", i, first.Rows[i].Key, later.Rows[i].Key)
			}
		}
	})
	t.Run("the key does not depend on the case of a name or the rating", func(t *testing.T) {
		other := parse(t, "", file("diary.csv", lbDiary+"2023-01-06,HEAT,1995,https://boxd.it/x,,,,2023-01-04\n"))
		if other.Rows[0].Key != first.Rows[0].Key {
			t.Error("keys differ")
		}
	})
	t.Run("a review read without its diary keeps the key of the diary viewing", func(t *testing.T) {
		alone := parse(t, "", file("reviews.csv", lbReviews+"2023-01-05,Heat,1995,https://boxd.it/a,4,,Good,,2023-01-04\n"))
		if alone.Rows[0].Key != first.Rows[0].Key {
			t.Error("keys differ")
		}
	})
}
