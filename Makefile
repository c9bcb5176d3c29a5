# ballast: the README's two commands are `make reproduce` and `make test`.
# Only Go is required; optional checks (DuckDB via npm, TeX for make paper)
# skip themselves with a message when their tool is missing.

GO      ?= go
BIN     := bin/ballast
# Parallel runs of make reproduce (default: one per CPU).
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
# actionlint checks .github/workflows and staticcheck the Go code in make
# test; both run with 'go run' at a pinned version so that they stay out of
# go.mod.
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test vet lint-go lint-workflows reproduce reproduce-quick reproduce-live reproduce-live-validation reproduce-live-prototype paper sweep-check bench swarm fuzz duckdb etcd clean

all: build

# The build's version, stamped into the binary ('ballast --version'): the
# git description where there is one. Every run also records the code
# version, a content hash of the simulation sources (docs/experiments.md).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/ballast

vet:
	$(GO) vet ./...

# Unit, golden, invariant and determinism tests; then the determinism and
# engine packages again under the race detector; the workflows; the
# shard-merge-analyse sequence of the sweep workflow.
test: vet lint-go lint-workflows
	$(GO) test ./...
	$(GO) test -race ./harness/... ./sim/fast/... ./sim/etcdraft/...
	$(GO) test -race -run 'TestSameSeedSameEvents|TestTimelineIdenticalAcrossPolicies|TestHeartbeatTunerHooks' ./sim
	$(MAKE) --no-print-directory sweep-check

lint-go:
	$(GO) run $(STATICCHECK) ./...
	@echo "lint-go: staticcheck finds nothing"

# The GitHub workflows cannot run here; actionlint checks their syntax,
# expressions, action inputs and the shell of every run: step.
lint-workflows:
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml
	@echo "lint-workflows: .github/workflows/*.yml pass actionlint"

# Every table and figure of the papers and the blog, with the published
# numbers beside them: tunes, sweeps (resumably), analyses and renders into
# artifacts/ (tables/, figures/, REPORT.md; runs/ and metrics/). Tuned
# parameters go to configs/tuned/. REPRODUCING.md maps claims to outputs.
reproduce: build
	./$(BIN) reproduce -j $(JOBS)

# The same pipeline with fewer seeds and the 1000-failure Dynatune runs cut
# to 100 failures: a few minutes; CI runs it. Outputs under artifacts/quick/.
reproduce-quick: build
	./$(BIN) reproduce --quick -j $(JOBS)

# make reproduce-live runs both live experiments (not part of make
# reproduce): the validation, then the BALLAST prototype tables.
#
# The live validation (docs/live.md): each of
# LIVE_SCENARIOS (etcd's defaults on a loopback LAN, 200 leader crashes;
# on a long-tail lossy WAN, 200 crashes) on the etcd engine in virtual
# time, on live ballast nodes and on real etcd members in wall time (20
# and 27 minutes per live side), seed 1 everywhere; then per scenario the
# three compared pairwise (means, medians, bootstrap intervals of the
# differences, KS) and their CDFs, in artifacts/live/. Live runs are
# measurements: their numbers vary from run to run and machine to machine.
LIVE_OUT ?= artifacts/live
LIVE_SCENARIOS ?= etcd_lan etcd_wan
reproduce-live: reproduce-live-validation reproduce-live-prototype

reproduce-live-validation: build etcd
	@mkdir -p $(LIVE_OUT)
	@set -e; for s in $(LIVE_SCENARIOS); do \
	  for side in etcd nodes sim; do \
	    case $$side in \
	      etcd) cmd="live --target etcd";; nodes) cmd="live --target ballast";; sim) cmd="sim --engine etcd";; esac; \
	    echo "./$(BIN) $$cmd --scenario $$s --policy etcd --seed 1 --out $(LIVE_OUT)/$$s.$$side.parquet"; \
	    ./$(BIN) $$cmd --scenario $$s --policy etcd --seed 1 --out $(LIVE_OUT)/$$s.$$side.parquet; \
	    ./$(BIN) analyze $(LIVE_OUT)/$$s.$$side.parquet --out $(LIVE_OUT)/$$s.metrics-$$side; \
	  done; \
	  ./$(BIN) compare --failovers --format markdown --labels "etcd engine (virtual time),live ballast nodes,real etcd" \
	    --plot $(LIVE_OUT)/$$s --out $(LIVE_OUT)/$$s.md $(LIVE_OUT)/$$s.metrics-sim $(LIVE_OUT)/$$s.metrics-nodes $(LIVE_OUT)/$$s.metrics-etcd; \
	  cat $(LIVE_OUT)/$$s.md; \
	done

# The BALLAST real-prototype tables (2, 3, A.2-A.5) on live ballast nodes
# beside the etcd engine in virtual time (docs/live.md; not part of make
# reproduce): each experiment of configs/live/ (the built-in etcd_*
# experiment with engine live, same scenarios, methods and seeds) swept
# LIVE_JOBS live clusters at a time, and 'ballast compare' of its metrics
# against the virtual-time sweep's, seed for seed, in
# artifacts/live/prototype/; and Table 5, the policies' call times in the
# nodes' processes on wan_main_n3 ('ballast table overhead'). The live
# runs take 83 + 83 + 41 minutes one at a time, about two hours with the
# default LIVE_JOBS. LIVE_JOBS counts 3-node clusters; the 5- and 7-node
# experiment (etcd_prevote) runs half as many. On the 2-core development
# machine a sweep of 4 at once had 13-26 % of its runs flagged
# (docs/live.md).
LIVE_JOBS ?= 2
LIVE_PROTOTYPE ?= etcd_prototype etcd_stress etcd_prevote
reproduce-live-prototype: build
	@set -e; P=$(LIVE_OUT)/prototype; mkdir -p $$P; for e in $(LIVE_PROTOTYPE); do \
	  j=$(LIVE_JOBS); if [ $$e = etcd_prevote ]; then j=$$(( ($(LIVE_JOBS) + 1) / 2 )); fi; \
	  ./$(BIN) run $$e -j $(JOBS) --out $$P/virtual/$$e; \
	  ./$(BIN) analyze $$P/virtual/$$e --out $$P/virtual/$$e/metrics; \
	  ./$(BIN) run configs/live/$$e.yaml -j $$j --out $$P/live/$$e; \
	  ./$(BIN) analyze $$P/live/$$e --out $$P/live/$$e/metrics; \
	  ./$(BIN) compare --format markdown --all --metric recovery_mean,unwritable_frac \
	    --out $$P/$$e.md $$P/virtual/$$e/metrics $$P/live/$$e/metrics; \
	  cat $$P/$$e.md; \
	done; \
	if [ -d $$P/live/etcd_prototype/metrics ]; then \
	  ./$(BIN) table overhead --metrics $$P/live/etcd_prototype/metrics --experiment etcd_prototype --scenario wan_main_n3 \
	    --methods random,static,backoff,bandit_safe --out $$P/etcd_prototype_overhead; \
	  cat $$P/etcd_prototype_overhead.md; \
	fi

# The paper: paper/main.tex inputs the generated tables and includes the
# figures of $(PAPER_ARTIFACTS) (relative to paper/); built with latexmk
# where TeX is installed, skipped with a message otherwise. It needs only
# latexmk and the packages of texlive-latex-recommended (the install the
# message and README.md give). make test never needs TeX.
# PAPER_ARTIFACTS=../artifacts/quick builds it from the quick run. The
# tables are laid out to fit the page; a line or float that does not is
# counted in a warning line (details in paper/main.log).
PAPER_ARTIFACTS ?= ../artifacts
paper:
	@if ! command -v latexmk >/dev/null 2>&1 || ! command -v pdflatex >/dev/null 2>&1; then \
	  echo "paper: latexmk and pdflatex not found; skipped (Debian: apt-get install latexmk texlive-latex-recommended)"; \
	  exit 0; fi; \
	if [ ! -f paper/$(PAPER_ARTIFACTS)/REPORT.md ]; then \
	  if [ "$(PAPER_ARTIFACTS)" = "../artifacts" ]; then $(MAKE) --no-print-directory reproduce; \
	  else echo "paper: paper/$(PAPER_ARTIFACTS)/REPORT.md missing; run the reproduction first"; exit 2; fi; fi; \
	cd paper && latexmk -pdf -interaction=nonstopmode -halt-on-error -quiet \
	  -usepretex='\def\art{$(PAPER_ARTIFACTS)}' main.tex > latexmk.out 2>&1 || { tail -30 latexmk.out; exit 1; }; \
	n=$$(grep -cE '^(Overfull|LaTeX Warning: Float too large)' main.log); \
	if [ "$$n" -gt 0 ]; then echo "paper: warning: $$n overfull lines or floats too large (paper/main.log)"; fi; \
	echo "paper: paper/main.pdf (from $(PAPER_ARTIFACTS))"

# The scale-out sequence on one machine (docs/scale-out.md): three shards,
# merged, must equal one unsharded sweep file for file; then the sweep
# workflow's merge job (shards of a reproduction experiment, merged, then
# 'ballast reproduce --no-run') must render the same tables and figures as
# an unsharded reproduction; and the workflow's plan (its shard matrix
# from the shards input, the experiment's name from a name or a path) must
# hold.
SWEEP_CHECK := $(shell mktemp -u /tmp/ballast-sweep-check.XXXXXX)
sweep-check: build
	@set -e; d=$(SWEEP_CHECK); \
	./$(BIN) run smoke -j 2 --out $$d/whole > /dev/null 2>&1; \
	for i in 0 1 2; do ./$(BIN) run smoke -j 1 --shard $$i/3 --out $$d/shard-$$i > /dev/null 2>&1; done; \
	./$(BIN) merge $$d/shard-0 $$d/shard-1 $$d/shard-2 --out $$d/merged > /dev/null; \
	./$(BIN) merge $$d/whole --out $$d/whole > /dev/null; \
	diff -r $$d/whole $$d/merged && echo "sweep-check: 3 shards merged == unsharded sweep"; \
	e=ballast_cold_start; \
	for i in 0 1 2; do ./$(BIN) run $$e -j 1 --shard $$i/3 --out $$d/$$e-shard-$$i > /dev/null 2>&1; done; \
	./$(BIN) merge $$d/$$e-shard-0 $$d/$$e-shard-1 $$d/$$e-shard-2 --out $$d/merged-out/runs/$$e > /dev/null; \
	./$(BIN) reproduce --only $$e --no-run --out $$d/merged-out > /dev/null 2>&1; \
	./$(BIN) reproduce --only $$e -j 2 --out $$d/whole-out > /dev/null 2>&1; \
	for o in tables figures; do diff -r $$d/whole-out/$$o $$d/merged-out/$$o; done && \
	echo "sweep-check: $$e in 3 shards, merged, analysed with --no-run == unsharded reproduction"; \
	test "$$(sh .github/scripts/sweep-plan.sh smoke 8 | grep indexes=)" = "indexes=[0,1,2,3,4,5,6,7]"; \
	test "$$(sh .github/scripts/sweep-plan.sh configs/experiments/$$e.yaml 2)" = "$$(printf 'name=%s\nfile=%s\nindexes=[0,1]' $$e configs/experiments/$$e.yaml)"; \
	for bad in "smoke 0" "smoke 257" "smoke 2x" "nonesuch 2"; do \
	  if sh .github/scripts/sweep-plan.sh $$bad 2>/dev/null; then echo "sweep-check: sweep-plan.sh accepted $$bad"; exit 1; fi; done; \
	echo "sweep-check: the sweep workflow's plan makes one job per shard and refuses bad inputs"; \
	rm -rf $$d

# Performance targets are checked here, not in unit tests (BENCHMARKS.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The swarm test for longer than make test gives it (there: 40 cases):
# generated configurations on both engines under the safety and liveness
# checkers (docs/architecture.md). SWARM_TIME=1h for a long soak.
SWARM_TIME ?= 10m
swarm:
	$(GO) test ./sim/swarm -run '^TestSwarm$$' -swarm.time $(SWARM_TIME) -timeout 0 -v

# Each fuzzer for FUZZTIME (make test runs their seed corpora only).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzSwarm -fuzztime $(FUZZTIME) ./sim/swarm
	$(GO) test -run '^$$' -fuzz FuzzScenarioFile -fuzztime $(FUZZTIME) ./sim/scenario
	$(GO) test -run '^$$' -fuzz FuzzExperimentFile -fuzztime $(FUZZTIME) ./harness
	$(GO) test -run '^$$' -fuzz FuzzPolicyDeadlines -fuzztime $(FUZZTIME) ./policies

# A real etcd server at the pinned version (tools/etcd/go.mod:
# go.etcd.io/etcd/server/v3 v3.7.3) into bin/etcd, for the live mode's etcd
# target (docs/live.md); tests that need it skip with a message without it.
# A module of its own, so that ballast's build and tests never compile etcd.
etcd:
	cd tools/etcd && $(GO) build -o ../../bin/etcd .

# Installs DuckDB for the independent-reader test (needs npm).
duckdb:
	npm ci --prefix eventlog/pq/testdata/duckdb

clean:
	rm -rf bin artifacts/runs artifacts/metrics artifacts/tables artifacts/figures artifacts/REPORT.md artifacts/quick
	cd paper && rm -f main.pdf main.aux main.log main.fls main.fdb_latexmk main.out main.toc
