# hfc — build, test, fuzz, benchmark. `make test` is the one test command (README).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
CC := gcc
CLANG ?= clang
FUZZ_SECONDS ?= 30
PYTEST_ARGS ?=

B := build/c
CORE_SRC := $(shell find csrc -name '*.c' -not -path 'csrc/py/*' | sort)
SYS_CFLAGS := $(shell pkg-config --cflags oniguruma libcurl libcrypto 2>/dev/null)
SYS_LIBS := $(shell pkg-config --libs oniguruma libcurl libcrypto 2>/dev/null) -lpthread -lm
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TEST_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) $(SAN) -Icsrc/include -Itests/c $(SYS_CFLAGS) -MMD -MP
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -Icsrc/include $(SYS_CFLAGS) -MMD -MP

CORE_SAN_OBJ := $(patsubst csrc/%.c,$(B)/san/%.o,$(CORE_SRC))
CORE_FUZZ_OBJ := $(patsubst csrc/%.c,$(B)/fuzzcore/%.o,$(CORE_SRC))
C_TESTS := $(patsubst tests/c/%.c,$(B)/%,$(wildcard tests/c/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export HFC_FIXTURES ?= $(abspath ../shared/fixtures)

.PHONY: all deps install build test test-c test-py test-py-asan fuzz fuzz-build bench demo clean

all: build

deps:
	sh scripts/install-deps.sh

# Editable install with the test extra (reference libraries included). -O3 build.
install: deps
	$(PIP) install -q -e '.[test]'

# Fast rebuild of the extension in place after C changes (needs `make install` once).
build:
	$(PYTHON) setup.py -q build_ext --inplace

test: install test-c test-py

test-py:
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# pytest against an ASan+UBSan build of the extension (slow; not part of `make test`).
# Rebuilds the normal -O3 extension afterwards.
test-py-asan:
	HFC_SANITIZE=1 $(PYTHON) setup.py -q build_ext --inplace --force
	LD_PRELOAD=$$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
	  $(PYTHON) -m pytest -q $(PYTEST_ARGS); status=$$?; \
	  $(PYTHON) setup.py -q build_ext --inplace --force; exit $$status

# C unit tests: the core alone (no libpython), under ASan + UBSan (+ LeakSanitizer).
test-c: $(C_TESTS)
	@set -e; for t in $(C_TESTS); do echo "== $$t"; $$t; done

$(B)/san/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -c $< -o $@

$(B)/libhfc_san.a: $(CORE_SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/test_%: tests/c/test_%.c $(B)/libhfc_san.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< $(B)/libhfc_san.a $(SYS_LIBS) -o $@

# libFuzzer targets (clang), one short run each over the seed corpus.
fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZERS); do \
	  name=$$(basename $$f); seeds=tests/fuzz/corpus/$${name#fuzz_}; work=$(B)/corpus/$${name#fuzz_}; \
	  mkdir -p $$work $$seeds; echo "== $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -timeout=10 $$work $$seeds 2>&1 | tail -n 12; \
	done

$(B)/fuzzcore/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(B)/fuzz/%: tests/fuzz/%.c $(CORE_FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(CORE_FUZZ_OBJ) $(SYS_LIBS) -o $@

bench: install
	$(PIP) install -q -e '.[bench]'
	$(PYTHON) benchmarks/run.py

demo: install
	$(PYTHON) -m hfc.demo
	$(PYTHON) -m hfc.demo_models

clean:
	rm -rf build python/hfc/*.so *.egg-info python/*.egg-info

-include $(shell find $(B) -name '*.d' 2>/dev/null)
