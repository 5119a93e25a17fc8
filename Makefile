# florenz: the two commands of the README, plus bench. Each first installs what is missing
# (scripts/install-deps; set FLORENZ_SKIP_DEPS=1 to skip) and builds build/ in Release.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
CTEST_ARGS ?=

.PHONY: deps build demo test bench study clean

deps:
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps; fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the quickstart study end to end — check the grid, train its runs (skipped
# when already finished), gather the results, fit the unseen-caption scaling law and write the
# study report, which prints the short findings (the full study: make study, docs/study/).
DEMO_OUT ?= results/quickstart
demo: build
	$(BUILD)/florenz validate experiments/grids/quickstart.yaml
	$(BUILD)/florenz run experiments/grids/quickstart.yaml --out $(DEMO_OUT)
	$(BUILD)/florenz collect $(DEMO_OUT)
	$(BUILD)/florenz fit $(DEMO_OUT) --y unseen_caption_excl_prefix --law loglinear --plot $(DEMO_OUT)/unseen_caption_fit.png
	$(BUILD)/florenz report $(DEMO_OUT)
	@echo "results: $(DEMO_OUT)/ (runs/*.h5, results.csv, unseen_caption_fit.png, report/index.html)"

test: build
	cd $(BUILD) && ctest --output-on-failure $(CTEST_ARGS)

# The study (issue 10, docs/study/README.md): both study grids under mpirun on this machine
# (about an hour on 2 cores), their reports, published to docs/study/.
study: build
	scripts/study $(BUILD)

bench: build
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps --bench; fi
	scripts/run-benchmarks $(BUILD)

clean:
	rm -rf $(BUILD) build-fuzz
