// Package diaryfile reads and writes diary files: the exports people bring
// from Letterboxd and IMDb, and moviediary's own export.
//
//   - Parser implements domain.ImportParser. It reads a Letterboxd export
//     (its ZIP, or diary.csv, reviews.csv, ratings.csv and watched.csv one
//     by one), an IMDb ratings export, and a moviediary export (JSON or
//     CSV). It knows each file by its header, not its name; it tolerates a
//     byte order mark, CRLF, quoted newlines, extra columns in any order
//     and files that are not UTF-8 (read as Windows-1252, and said so); it
//     bounds what a ZIP may expand to. A file it cannot read as a whole is
//     an error wrapping domain.ErrValidation that names the file; a row it
//     cannot read is listed as a problem with its file and line, and the
//     rest is read.
//   - CSVWriter writes a moviediary export as CSV with Letterboxd's import
//     columns, one entry at a time, its text cells neutralised against
//     spreadsheet formula injection.
//
// Parsing is deterministic: the same files give the same rows, in the
// same order, with the same keys (domain.ImportRowKey), so importing an
// export again adds nothing and an interrupted import resumes.
package diaryfile
