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
fuzz:
	@for pkg in ./protocols/http ./protocols/websocket ./internal/tlstransport; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$t ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./timer ./protocols/...
