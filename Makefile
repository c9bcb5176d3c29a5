# ballast: the README's two commands are `make reproduce` and `make test`.
# Only Go is required; optional checks (DuckDB via npm) skip themselves with a
# message when their tool is missing.

GO      ?= go
BIN     := bin/ballast
RUNS    := artifacts/runs
# Experiments make reproduce sweeps; later issues grow the list into every
# table and figure of the papers.
REPRO_EXPERIMENTS := smoke

.PHONY: all build test vet reproduce sweep-check bench fuzz duckdb clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/ballast

vet:
	$(GO) vet ./...

# Unit, golden, invariant and determinism tests; then the determinism and
# engine packages again under the race detector.
test: vet
	$(GO) test ./...
	$(GO) test -race ./harness/... ./sim/fast/...
	$(MAKE) --no-print-directory sweep-check

# Regenerates every output under artifacts/ from configs and seeds.
reproduce: build
	@set -e; for e in $(REPRO_EXPERIMENTS); do ./$(BIN) run $$e --out $(RUNS)/$$e; ./$(BIN) merge $(RUNS)/$$e --out $(RUNS)/$$e; done
	@echo "outputs: $(RUNS)/<experiment>/events/**.parquet, manifest/, runs.parquet; schema: docs/schema.md"

# The scale-out sequence on one machine (docs/scale-out.md): three shards,
# merged, must equal one unsharded sweep file for file.
SWEEP_CHECK := $(shell mktemp -u /tmp/ballast-sweep-check.XXXXXX)
sweep-check: build
	@set -e; d=$(SWEEP_CHECK); \
	./$(BIN) run smoke -j 2 --out $$d/whole > /dev/null 2>&1; \
	for i in 0 1 2; do ./$(BIN) run smoke -j 1 --shard $$i/3 --out $$d/shard-$$i > /dev/null 2>&1; done; \
	./$(BIN) merge $$d/shard-0 $$d/shard-1 $$d/shard-2 --out $$d/merged > /dev/null; \
	./$(BIN) merge $$d/whole --out $$d/whole > /dev/null; \
	diff -r $$d/whole $$d/merged && echo "sweep-check: 3 shards merged == unsharded sweep"; \
	rm -rf $$d

# Performance targets are checked here, not in unit tests (BENCHMARKS.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzEngine -fuzztime 60s ./sim/fast
	$(GO) test -run '^$$' -fuzz FuzzPolicyDeadlines -fuzztime 60s ./policies

# Installs DuckDB for the independent-reader test (needs npm).
duckdb:
	npm ci --prefix sim/eventlog/pq/testdata/duckdb

clean:
	rm -rf bin artifacts/runs artifacts/tables artifacts/figures
