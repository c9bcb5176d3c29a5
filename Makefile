# ballast: the README's two commands are `make reproduce` and `make test`.
# Only Go is required; optional checks (DuckDB via npm) skip themselves with a
# message when their tool is missing.

GO      ?= go
BIN     := bin/ballast
RUNS    := artifacts/runs
# The issue-2 grid; later issues grow it into the papers' experiments.
REPRO_SCENARIOS := wan_main lan
REPRO_POLICIES  := random static
REPRO_SEEDS     := 1 2 3

.PHONY: all build test test-race vet reproduce bench fuzz duckdb clean

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

# Regenerates every output under artifacts/ from configs and seeds.
reproduce: build
	@set -e; for s in $(REPRO_SCENARIOS); do for p in $(REPRO_POLICIES); do for seed in $(REPRO_SEEDS); do \
		mkdir -p $(RUNS)/reproduce/$$s/$$p; \
		./$(BIN) sim --scenario $$s --policy $$p --seed $$seed --out $(RUNS)/reproduce/$$s/$$p/seed-$$seed.parquet; \
	done; done; done
	@echo "outputs: $(RUNS)/reproduce/<scenario>/<policy>/seed-N.parquet (+ .runs.parquet); schema: docs/schema.md"

# Performance targets are checked here, not in unit tests (BENCHMARKS.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzEngine -fuzztime 60s ./sim/fast

# Installs DuckDB for the independent-reader test (needs npm).
duckdb:
	npm ci --prefix sim/eventlog/pq/testdata/duckdb

clean:
	rm -rf bin artifacts/runs artifacts/tables artifacts/figures
