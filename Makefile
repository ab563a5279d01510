# make test: install what the tests need (Chromium, npm packages), then vet
# and run every test under the race detector.
GO ?= go
FUZZTIME ?= 20s

.PHONY: test deps vet cross race fuzz bench

test: deps vet cross race

# deps: Debian's chromium, python3-websockets, curl, openssl and redis-server, and
# tests/browser's npm packages (idempotent).
deps:
	bash ./scripts/install-test-deps.sh

vet:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# cross: the supported systems build (Linux is where it is tested; macOS and
# FreeBSD run gnet too). Windows is not supported.
cross:
	GOOS=linux $(GO) build ./...
	GOOS=darwin $(GO) build ./...
	GOOS=freebsd $(GO) build ./...

race:
	$(GO) test -race -count=1 ./...

# Each fuzz target runs for FUZZTIME (go test -fuzz takes one target at a time).
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" as FUZZTIME ends, with no failing input (golang/go#75804, fixed
# in Go 1.27): such a run is repeated, up to twice. A failing input always fails.
fuzz:
	@out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for pkg in ./protocols/http ./protocols/websocket ./internal/tlstransport; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			for try in 1 2 3; do \
				echo "fuzz $$t ($$pkg) for $(FUZZTIME)"; \
				if $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >$$out 2>&1; then cat $$out; break; fi; \
				cat $$out; \
				if [ $$try = 3 ] || grep -q 'Failing input written' $$out || ! grep -qx '    context deadline exceeded' $$out; then exit 1; fi; \
				echo "fuzz $$t: the coordinator's deadline race (golang/go#75804), no failing input: once more"; \
			done; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./timer ./protocols/...
