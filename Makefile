# The book's commands: `make run` to read it, `make test` to check it.
# Every Go command runs through `tangle -annotate`, so an error in generated code is
# reported at the chapter line that wrote it.

SHELL := bash
.SHELLFLAGS := -o pipefail -ec
GO ?= go
TANGLE := $(GO) run ./tools/tangle/cmd/tangle
ANNOTATE := $(TANGLE) -annotate
ADDR ?= 127.0.0.1:8080

.PHONY: tangle proto check build test run record export bench clean

# The .proto is tangled from the Overview chapter; its Go is generated from it by
# protoc-gen-go, driven by tools/protoc (a nested module: no protoc to install).
PROTOC := cd tools/protoc && $(GO) run .
PROTOS := ../../code/kv/kvpb/kv.proto

## tangle: write code/ from the chapters (only files that changed), then the protobuf Go
tangle:
	$(TANGLE)
	$(PROTOC) $(PROTOS)

## proto: regenerate the protobuf Go from the tangled .proto
proto:
	$(PROTOC) $(PROTOS)

## check: fail, naming the chapter to edit, if code/ differs from the chapters
check:
	$(TANGLE) -check
	$(PROTOC) -check $(PROTOS)

## build: every program of the book into bin/
build: tangle
	$(GO) build -o bin/ ./code/... 2>&1 | $(ANNOTATE)

## test: the drift check, vet, and every test (with the race detector)
test: check
	$(GO) vet ./... 2>&1 | $(ANNOTATE)
	@# The event loop's kqueue backend and the portable socket code must build elsewhere too.
	GOOS=darwin $(GO) vet ./code/... 2>&1 | $(ANNOTATE)
	GOOS=freebsd $(GO) vet ./code/... 2>&1 | $(ANNOTATE)
	$(GO) test -race -json -timeout 40m ./... 2>&1 | $(ANNOTATE)
	cd tools/protoc && $(GO) vet ./... && $(GO) test ./...
	@# The Run panel's session fold (site/render/static/run/fold.js) against the recordings,
	@# with node's own test runner, where node is installed.
	@if command -v node >/dev/null; then node --test site/render/jstest/; \
	else echo "node is not installed: the Run panel's fold tests (site/render/jstest) did not run"; fi
	@# The benchmark's module: its harness's unit tests, and the gnet peer against the
	@# conformance suite (no benchmark runs here).
	cd tools/bench && $(GO) vet ./... && $(GO) test ./...

## run: the site, at http://$(ADDR)/ (Ctrl-C stops it)
# The site runs as a job of its own (set -m) in the terminal's foreground, so Ctrl-C reaches
# it alone: it stops its runs, exits 0, and make has nothing to report. (It must not be the
# recipe's last command, which bash would exec without job control.)
run: tangle
	@echo "building the site into tmp/site (on a cold build cache, a minute or two)"
	@$(GO) build -o tmp/site ./site 2>&1 | $(ANNOTATE)
	@set -m; tmp/site -addr $(ADDR); status=$$?; exit $$status

## record: refresh the sessions the Run panels show before Run (chapters/recordings)
record: build
	$(GO) run ./site -record

## export: the whole book as static files in out/, for any static file server
export:
	$(GO) run ./site -export out

## bench: the benchmarks, never part of make test (BENCH=quick: a short run that writes
## tools/bench/out/ instead of the c10k chapter's figures)
bench: tangle
	$(GO) -C tools/bench run ./cmd/bench $(if $(filter quick,$(BENCH)),-quick)

clean:
	rm -rf bin tmp out
