# florenz: the two commands of the README, plus bench. Each first installs what is missing
# (scripts/install-deps; set FLORENZ_SKIP_DEPS=1 to skip) and builds build/ in Release.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
CTEST_ARGS ?=

.PHONY: deps build demo test bench clean

deps:
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps; fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

# The main job: until training exists, validate and print the quickstart grid.
demo: build
	$(BUILD)/florenz validate experiments/grids/quickstart.yaml

test: build
	cd $(BUILD) && ctest --output-on-failure $(CTEST_ARGS)

bench: build
	@if [ "$(FLORENZ_SKIP_DEPS)" != "1" ]; then scripts/install-deps --bench; fi
	scripts/run-benchmarks $(BUILD)

clean:
	rm -rf $(BUILD) build-fuzz
