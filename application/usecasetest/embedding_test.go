package application_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The modules an embedder requires (docs/embedding.md), by module path and
// directory in this checkout.
var embeddedModules = []struct{ path, dir string }{
	{"github.com/moviediary/moviediary/domain", "domain"},
	{"github.com/moviediary/moviediary/application", "application"},
	{"github.com/moviediary/moviediary/adapters/memory", "adapters/memory"},
}

// The only module outside the standard library those three may bring.
const uuidModule = "github.com/google/uuid"

// outsideMain is a small service built on the library: the use cases with
// the in-memory adapters.
const outsideMain = `package main

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

func main() {
	ctx := context.Background()
	movies := memory.NewMovieRepository()
	logReview, err := application.NewLogReview(movies, memory.NewMetadata(), memory.DiscardEvents, nil, nil)
	if err != nil {
		panic(err)
	}
	history, err := application.NewGetReviewHistory(movies)
	if err != nil {
		panic(err)
	}
	year, rating := 1957, 4.5
	entry, err := logReview.Handle(ctx, application.LogReviewCommand{
		UserID: domain.NewUserID(), ManualTitle: "Wild Strawberries", ManualReleaseYear: &year,
		Rating: &rating, WatchedAt: time.Now().Add(-time.Hour),
	})
	if err != nil {
		panic(err)
	}
	h, err := history.Handle(ctx, entry.Movie.ID.String(), domain.UserID{})
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Movie.Title, len(h.Viewings), h.Trend())
}
`

// TestOutsideModuleNeedsOnlyTheThreeModules builds a module outside the
// workspace that requires exactly domain, application and adapters/memory
// (replaced by this checkout, as an embedder's go.mod would pin their
// versions) and checks that go mod tidy resolves it offline and that its
// build needs nothing outside the standard library but uuid. A test-only
// requirement in one of the three modules (domain/mock, gomock, …) would
// enter the module graph and make tidy fail: GOPROXY=off leaves the shared
// module cache as the only source.
func TestOutsideModuleNeedsOnlyTheThreeModules(t *testing.T) {
	t.Parallel()
	dir := outsideModule(t, outsideMain)

	// The module graph: the main module, the three, uuid — nothing else.
	mods := strings.Fields(goCmd(t, dir, "list", "-m", "-f", "{{.Path}}", "all"))
	want := []string{"example.com/embedder", uuidModule}
	for _, m := range embeddedModules {
		want = append(want, m.path)
	}
	slices.Sort(mods)
	slices.Sort(want)
	if !slices.Equal(mods, want) {
		t.Errorf("module graph = %v, want exactly %v", mods, want)
	}

	// The packages built: besides the standard library, only packages of the
	// three modules and uuid.
	deps := goCmd(t, dir, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
	t.Logf("go list -deps (non-standard):\n%s", deps)
	var sawUUID bool
	for _, pkg := range strings.Fields(deps) {
		switch {
		case pkg == "example.com/embedder":
		case pkg == uuidModule:
			sawUUID = true
		case inEmbeddedModule(pkg):
		default:
			t.Errorf("the outside module depends on %s", pkg)
		}
	}
	if !sawUUID {
		t.Errorf("go list -deps did not list %s; the check is not looking at the real graph:\n%s", uuidModule, deps)
	}

	out := runBuilt(t, dir)
	if out != "Wild Strawberries 1 neutral\n" {
		t.Errorf("the outside program printed %q", out)
	}
}

// TestREADMEEmbeddingSnippetBuildsAndRuns compiles the first ```go block of
// README.md's "## Embedding" section as the main package of an outside
// module, runs it and compares its output with the ```text block that
// follows, so the snippet embedders copy cannot rot.
func TestREADMEEmbeddingSnippetBuildsAndRuns(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(checkoutRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	code, want := embeddingSnippet(t, string(readme))
	dir := outsideModule(t, code)
	if got := runBuilt(t, dir); got != want {
		t.Errorf("the README snippet printed\n%s\nthe README says it prints\n%s", got, want)
	}
}

// embeddingSnippet returns the first ```go block of the "## Embedding"
// section and the ```text block after it.
func embeddingSnippet(t *testing.T, readme string) (code, output string) {
	t.Helper()
	var (
		inSection bool
		fence     string // the fence of the block being read, "" outside one
		block     strings.Builder
		blocks    = map[string]string{}
	)
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case fence != "":
			if line == "```" {
				if _, seen := blocks[fence]; !seen {
					blocks[fence] = block.String()
				}
				fence = ""
				block.Reset()
				continue
			}
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			if inSection {
				return finishSnippet(t, blocks)
			}
			inSection = strings.HasPrefix(line, "## Embedding")
		case inSection && (line == "```go" || line == "```text"):
			if line == "```text" && blocks["go"] == "" {
				continue // output before the program: not ours
			}
			fence = strings.TrimPrefix(line, "```")
		}
	}
	if !inSection {
		t.Fatal(`README.md has no "## Embedding" section`)
	}
	return finishSnippet(t, blocks)
}

func finishSnippet(t *testing.T, blocks map[string]string) (string, string) {
	t.Helper()
	if blocks["go"] == "" || blocks["text"] == "" {
		t.Fatal("the Embedding section of README.md needs a ```go block with a program and a ```text block with its output")
	}
	if !strings.HasPrefix(blocks["go"], "package main\n") {
		t.Fatal("the first ```go block of the Embedding section is not a complete program (package main)")
	}
	return blocks["go"], blocks["text"]
}

// outsideModule writes a module example.com/embedder with mainGo as its
// main package into a temporary directory, outside the workspace, requiring
// exactly the three embedded modules (replaced by this checkout), and runs
// go mod tidy there. It returns the directory.
func outsideModule(t *testing.T, mainGo string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	root := checkoutRoot(t)
	dir := t.TempDir()
	var gomod strings.Builder
	gomod.WriteString("module example.com/embedder\n\ngo 1.26\n\nrequire (\n")
	for _, m := range embeddedModules {
		gomod.WriteString("\t" + m.path + " v0.0.0\n")
	}
	gomod.WriteString(")\n\nreplace (\n")
	for _, m := range embeddedModules {
		gomod.WriteString("\t" + m.path + " => " + filepath.Join(root, filepath.FromSlash(m.dir)) + "\n")
	}
	gomod.WriteString(")\n")
	// uuid's checksums, as domain records them: with GOPROXY=off the
	// checksum database cannot be asked.
	sums, err := os.ReadFile(filepath.Join(root, "domain", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": gomod.String(), "go.sum": string(sums), "main.go": mainGo} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, dir, "mod", "tidy")
	return dir
}

// runBuilt builds the module in dir and returns what the program prints.
func runBuilt(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "embedder")
	goCmd(t, dir, "build", "-o", bin, ".")
	cmd := exec.Command(bin)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the outside program: %v\n%s", err, out)
	}
	return string(out)
}

// goCmd runs the go command in dir offline and outside the workspace:
// GOWORK=off, GOPROXY=off (the module cache, shared with this test, is the
// only source of uuid), GOFLAGS=-mod=mod, no toolchain switch.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inEmbeddedModule reports whether pkg lies under one of the three module
// paths. (Nested modules such as domain/mock share the prefix; the module
// graph check rules them out.)
func inEmbeddedModule(pkg string) bool {
	for _, m := range embeddedModules {
		if pkg == m.path || strings.HasPrefix(pkg, m.path+"/") {
			return true
		}
	}
	return false
}

// checkoutRoot is the root of this checkout: the test runs in
// application/usecasetest.
func checkoutRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "domain", "go.mod")); err != nil {
		t.Fatalf("%s is not the checkout root: %v", root, err)
	}
	return root
}
