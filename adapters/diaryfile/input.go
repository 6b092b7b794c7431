package diaryfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// looksLikeZip reports whether b starts like a ZIP archive (a local file
// header, or the end record of an empty archive).
func looksLikeZip(b []byte) bool {
	return bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06")) ||
		bytes.HasPrefix(b, []byte("PK\x07\x08"))
}

// diaryMember reports whether a member of a Letterboxd export, named
// relative to the export's root, holds viewings. Other members (the
// watchlist, the profile, lists, likes, deleted and orphaned entries) do
// not.
func diaryMember(rel string) bool {
	switch strings.ToLower(rel) {
	case "diary.csv", "reviews.csv", "ratings.csv", "watched.csv":
		return true
	}
	return false
}

// maxReadHint bounds the buffer allocated ahead of a member's content.
const maxReadHint = 64 << 20

// unzip returns the members of the ZIP upload name: the diary files read,
// the others ignored. It reads at most *budget bytes out of them, and
// lowers *budget by what it read.
func (p *Parser) unzip(name string, data []byte, budget *int64) ([]*unit, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fileError(name, "is not a readable ZIP archive ("+err.Error()+")")
	}
	if len(zr.File) > p.limits.MaxMembers {
		return nil, fileError(name, fmt.Sprintf("the ZIP holds %d members, more than the %d allowed", len(zr.File), p.limits.MaxMembers))
	}
	prefix := commonDir(zr.File)
	var units []*unit
	for _, f := range zr.File {
		member := cleanName(strings.ReplaceAll(f.Name, `\`, "/"))
		if strings.HasSuffix(member, "/") || f.FileInfo().IsDir() {
			continue
		}
		u := &unit{name: member, zip: name}
		units = append(units, u)
		if !diaryMember(strings.TrimPrefix(member, prefix)) {
			u.ignored = true
			continue
		}
		if u.data, err = p.readMember(name, member, f, budget); err != nil {
			return nil, err
		}
	}
	return units, nil
}

// readMember reads f, counting what it decompresses against *budget.
func (p *Parser) readMember(zipName, member string, f *zip.File, budget *int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fileError(zipName, "member "+member+" cannot be read ("+err.Error()+")")
	}
	defer rc.Close()
	// Preallocate what the header declares, within what deflate can
	// expand the compressed bytes to (about 1032:1) and the budget.
	hint := uint64(min(*budget, maxReadHint))
	hint = min(hint, f.UncompressedSize64, f.CompressedSize64*1032+1024)
	var b bytes.Buffer
	b.Grow(int(hint))
	n, err := b.ReadFrom(io.LimitReader(rc, *budget+1))
	if n > *budget {
		return nil, fileError(zipName, fmt.Sprintf("the ZIP expands to more than the %d bytes allowed", p.limits.MaxDecompressed))
	}
	if err != nil {
		return nil, fileError(zipName, "member "+member+" is corrupt ("+err.Error()+")")
	}
	*budget -= n
	return b.Bytes(), nil
}

// commonDir returns "dir/" when every member lies under the one folder dir
// (someone zipped the export's folder), so that members are named relative
// to the export's root; otherwise "". macOS resource forks are left out.
func commonDir(files []*zip.File) string {
	prefix := ""
	for _, f := range files {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if strings.HasPrefix(name, "__MACOSX/") {
			continue
		}
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return ""
		}
		switch dir := name[:i+1]; {
		case prefix == "":
			prefix = dir
		case dir != prefix:
			return ""
		}
	}
	return prefix
}

// Byte order marks.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode makes u.data UTF-8 without a byte order mark: UTF-16 with a BOM
// is converted, and a file that is not valid UTF-8 is read as
// Windows-1252, with a problem saying so. A file whose lines end in a lone
// CR (classic Mac) gets LF.
func (u *unit) decode() {
	d := u.data
	switch {
	case bytes.HasPrefix(d, bomUTF8):
		d = d[len(bomUTF8):]
	case bytes.HasPrefix(d, bomUTF16LE):
		d = fromUTF16(d[2:], false)
	case bytes.HasPrefix(d, bomUTF16BE):
		d = fromUTF16(d[2:], true)
	}
	if !utf8.Valid(d) {
		d = fromWindows1252(d)
		u.problem(0, "not UTF-8: read as Windows-1252; check that accented titles came out right")
	}
	if bytes.IndexByte(d, '\n') < 0 && bytes.IndexByte(d, '\r') >= 0 {
		d = bytes.ReplaceAll(d, []byte{'\r'}, []byte{'\n'})
	}
	u.data = d
}

// fromUTF16 converts UTF-16 (an odd last byte is dropped) to UTF-8.
func fromUTF16(b []byte, bigEndian bool) []byte {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(units)))
}

// windows1252High maps the bytes 0x80–0x9F of Windows-1252; the five it
// leaves undefined map to the C1 controls of the same value, as the WHATWG
// encoding standard does. Bytes 0xA0–0xFF are Latin-1.
var windows1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// fromWindows1252 converts Windows-1252 to UTF-8.
func fromWindows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, windows1252High[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}
