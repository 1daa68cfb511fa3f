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
	$(GO) test -race -json -timeout 15m ./... 2>&1 | $(ANNOTATE)
	cd tools/protoc && $(GO) vet ./... && $(GO) test ./...
	@# The Run panel's session fold (site/render/static/run/fold.js) against the recordings,
	@# with node's own test runner, where node is installed.
	@if command -v node >/dev/null; then node --test site/render/jstest/; \
	else echo "node is not installed: the Run panel's fold tests (site/render/jstest) did not run"; fi
	@# The benchmark's module: its harness's unit tests, and the gnet peer against the
	@# conformance suite (no benchmark runs here).
	cd tools/bench && $(GO) vet ./... && $(GO) test ./...

## run: the site, at http://$(ADDR)/
run: tangle
	@if ls site/*.go >/dev/null 2>&1; then $(GO) run ./site -addr $(ADDR); \
	else echo "The site is not built yet: read the chapters in chapters/."; fi

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
