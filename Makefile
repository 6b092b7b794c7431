# moviediary — build, run and test every module of the Go workspace.
#
#   make run     serve the diary on http://localhost:3000 with embedded defaults
#   make test    run every module's tests (PostgreSQL tests need TEST_DATABASE_URL)

SHELL := /bin/bash
GO ?= go
BIN := bin/moviediary
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

# Every module of the workspace, as package patterns ("…/domain/...").
MODULES = $(shell $(GO) list -m -f '{{.Path}}/...')
MODULE_DIRS = $(shell $(GO) list -m -f '{{.Dir}}')

.PHONY: all build run test test-race test-postgres test-browser cover generate check-generate \
        fmt lint layers deadcode bench bench-http bench-import clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./presentation/cmd/moviediary

run: build
	./$(BIN) serve

test:
	$(GO) test -count=1 $(MODULES)

test-race:
	$(GO) test -race -count=1 $(MODULES)

# The PostgreSQL-backed tests, mandatory: they fail instead of skipping
# when TEST_DATABASE_URL is missing.
test-postgres:
	./scripts/test-postgres.sh

# The HTML flow in a real headless Chromium (scripts/install-chromium.sh
# installs it); the tests fail instead of skipping when it is missing.
test-browser:
	MOVIEDIARY_BROWSER_TESTS=1 $(GO) test -count=1 -v ./browsertest/...

# domain's own tests, and application's, which live in application/usecasetest.
cover:
	$(GO) test -count=1 -coverprofile=coverage.out \
		-coverpkg=github.com/moviediary/moviediary/domain,github.com/moviediary/moviediary/application \
		github.com/moviediary/moviediary/domain github.com/moviediary/moviediary/application/usecasetest
	$(GO) tool cover -func=coverage.out | tail -1

generate:
	cd domain/mock && $(GO) generate ./...

# Regenerates the mocks and fails when the committed ones were stale.
check-generate: generate
	git diff --exit-code -- domain/mock || (echo "generated files are stale: run make generate" >&2; exit 1)

fmt:
	gofmt -w $(MODULE_DIRS)

lint: layers deadcode
	$(GO) vet $(MODULES)
	@out=$$(gofmt -l $(MODULE_DIRS)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1; then \
		$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(MODULES); \
	else echo "staticcheck unavailable: skipped"; fi

# The inward-only dependency rule, checked on the real import graph.
layers:
	@./scripts/check-layers.sh

# Functions nothing reaches, found by golang.org/x/tools/cmd/deadcode. First
# every package of every module, with the binary, the tests and the examples
# as roots (library API that only a test or example calls is live); then the
# packages only the binary uses (presentation, wiring, the command), with the
# binary alone as root. Fails on any finding not in scripts/deadcode-allow.txt,
# and on an entry there that is no longer found.
REPO := github.com/moviediary/moviediary
DEADCODE = $(GO) run golang.org/x/tools/cmd/deadcode@v0.52.0 -f '{{range .Funcs}}{{$$.Path}} {{.Name}}{{"\n"}}{{end}}'

deadcode:
	@found=$$($(DEADCODE) -test -filter '^$(REPO)/' $(MODULES)) || exit 1; \
	bin=$$($(DEADCODE) -filter '^$(REPO)/presentation(/wiring|/cmd/.+)?$$' $(REPO)/presentation/cmd/...) || exit 1; \
	found=$$(printf '%s\n%s\n' "$$found" "$$bin" | sed -n 's|^$(REPO)/||p' | sort -u); \
	allowed=$$(sed -e 's/[[:space:]]*#.*//' -e '/^$$/d' scripts/deadcode-allow.txt | sort -u); \
	dead=$$(comm -23 <(echo "$$found") <(echo "$$allowed")); \
	stale=$$(comm -13 <(echo "$$found") <(echo "$$allowed")); \
	if [ -n "$$dead" ]; then echo "deadcode: unreachable (delete it, or allow it with a reason in scripts/deadcode-allow.txt):" >&2; echo "$$dead" | sed 's/^/  /' >&2; fi; \
	if [ -n "$$stale" ]; then echo "deadcode: scripts/deadcode-allow.txt lists what is no longer found (delete the line):" >&2; echo "$$stale" | sed 's/^/  /' >&2; fi; \
	[ -z "$$dead$$stale" ] && echo "deadcode: ok"

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(MODULES)

bench-http: build
	./scripts/bench-http.sh

# Import of a 100,000-row Letterboxd diary and export of 1,000,000 entries
# through the binary, on SQLite and PostgreSQL (TEST_DATABASE_URL; without
# it the PostgreSQL halves are skipped), three runs each: docs/bench/import.md.
bench-import:
	$(GO) test -run '^$$' -bench 'ImportLetterboxd100k|Export1M' -benchtime=1x -count=3 -timeout 60m ./presentation/cmd/moviediary

clean:
	rm -rf bin coverage.out
