# florenz: the two commands of the README, plus bench, study, install and package. Each first
# installs what is missing (scripts/install-deps; set FLORENZ_SKIP_DEPS=1 to skip) and builds
# build/ in Release: `demo`, `install` and `package` only the programs, the others everything.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
CTEST_ARGS ?=

PREFIX ?= $(HOME)/.local

.PHONY: deps demo-deps configure build programs demo test bench study install package clean

deps:
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps; fi

demo-deps:
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps --demo; fi

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# florenz and florenz-tokenizer alone: what the demo runs (no tests, no benchmarks).
programs: demo-deps configure
	cmake --build $(BUILD) -j $(JOBS) --target florenz florenz-tokenizer

# The main job: the quickstart study end to end — check the grid, train its runs (skipped
# when already finished), gather the results, fit the unseen-caption scaling law and write the
# study report, which prints the short findings (the full study: make study, docs/study/).
DEMO_OUT ?= results/quickstart
demo: programs
	$(BUILD)/florenz validate experiments/grids/quickstart.yaml
	$(BUILD)/florenz run experiments/grids/quickstart.yaml --out $(DEMO_OUT)
	$(BUILD)/florenz collect $(DEMO_OUT)
	$(BUILD)/florenz fit $(DEMO_OUT) --y unseen_caption_excl_prefix --law loglinear --plot $(DEMO_OUT)/unseen_caption_fit.png
	$(BUILD)/florenz report $(DEMO_OUT)
	@echo "results: $(DEMO_OUT)/ (runs/*.h5, results.csv, unseen_caption_fit.png, report/index.html)"

test: build
	cd $(BUILD) && ctest --output-on-failure $(CTEST_ARGS)

# The study (docs/study/README.md, "Study v3"): its calibration, ladder and weight-decay grids
# under mpirun on this machine (under an hour on 2 cores), their reports and the registered
# targets measured (scripts/study-v3), published to docs/study/.
study: build
	scripts/study $(BUILD)

bench: build
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps --bench; fi
	scripts/run-benchmarks $(BUILD)

# florenz, florenz-tokenizer, the example grids, the docs and the man pages under PREFIX
# (default ~/.local): PREFIX/bin/florenz runs without the source or build folder.
install: demo-deps configure
	cmake --build $(BUILD) -j $(JOBS) --target florenz_programs
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package $(BUILD)/florenz_<version>_amd64.deb (apt-get install ./$(BUILD)/florenz_*.deb).
package: demo-deps configure
	cmake --build $(BUILD) -j $(JOBS) --target florenz_programs
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-fuzz
