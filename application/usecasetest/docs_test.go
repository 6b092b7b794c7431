package application_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// undocumentedElsewhere lists exported fields, as "file: Type.Field", in
// files whose owners document them separately; each entry must still be
// undocumented, so the list shrinks as they are.
var undocumentedElsewhere = map[string]bool{}

// Every exported field of an exported struct in domain, domain/porttest and
// application has a doc comment (or a line comment), as STYLE.md asks of
// every exported identifier: go doc shows struct fields only with them.
func TestExportedStructFieldsAreDocumented(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, dir := range []string{"../../domain", "../../domain/porttest", ".."} {
		for _, missing := range undocumentedFields(t, dir) {
			if undocumentedElsewhere[missing] {
				seen[missing] = true
				continue
			}
			t.Errorf("%s: exported field without a doc comment", filepath.Join(dir, missing))
		}
	}
	for known := range undocumentedElsewhere {
		if !seen[known] {
			t.Errorf("%s is documented now: drop it from undocumentedElsewhere", known)
		}
	}
}

// undocumentedFields returns "file: Type.Field" for every exported field of
// an exported struct type in the non-test Go files of dir that has neither
// a doc comment nor a line comment.
func undocumentedFields(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Doc != nil || field.Comment != nil {
					continue
				}
				for _, name := range fieldNames(field) {
					if ast.IsExported(name) {
						file := filepath.Base(fset.Position(field.Pos()).Filename)
						out = append(out, fmt.Sprintf("%s: %s.%s", file, ts.Name.Name, name))
					}
				}
			}
			return true
		})
	}
	return out
}

// fieldNames returns the names a field declares; an embedded field is named
// by its type.
func fieldNames(field *ast.Field) []string {
	if len(field.Names) > 0 {
		names := make([]string, len(field.Names))
		for i, n := range field.Names {
			names[i] = n.Name
		}
		return names
	}
	typ := field.Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch x := typ.(type) {
	case *ast.Ident:
		return []string{x.Name}
	case *ast.SelectorExpr:
		return []string{x.Sel.Name}
	}
	return nil
}
