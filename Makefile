# Thin front over CMake.  `make run` and `make test` work from a clean clone
# on Debian 12: they install missing packages first (scripts/install-deps.sh).
BUILD ?= build
RELEASE := $(BUILD)/release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build run test bench fmt clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

run: build
	@bash scripts/run-demo.sh $(RELEASE)

test: deps
	@bash scripts/test.sh

bench: build
	@bash bench/run-all.sh $(RELEASE)

fmt:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/release $(BUILD)/asan $(BUILD)/clang $(BUILD)/coverage $(BUILD)/tsan

# ---- Bindings: Node-API addon, WebAssembly build, npm tarballs ----------------
.PHONY: node wasm npm

node: deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS) --target sqlite_vector_node

wasm: deps
	@bash scripts/build-wasm.sh $(BUILD)/wasm

npm: node wasm
	@bash scripts/build-npm.sh $(RELEASE)/node/sqlite_vector.node $(BUILD)/wasm $(BUILD)/npm
# Coverage-guided fuzzing of the sync frame decoder (clang, libFuzzer, ASan +
# UBSan); the corpus persists in $(BUILD)/fuzz/corpus between runs.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: deps
	@CC=clang cmake -S . -B $(BUILD)/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSV_SANITIZE=address,undefined -DSV_BUILD_EXTENSION=OFF >/dev/null
	@cmake --build $(BUILD)/fuzz -j $(JOBS) --target fuzz_frames
	@mkdir -p $(BUILD)/fuzz/corpus
	@$(BUILD)/fuzz/fuzz/fuzz_frames $(BUILD)/fuzz/corpus -max_total_time=$(FUZZ_SECONDS) \
	  -rss_limit_mb=2048 -print_final_stats=1
