# SPDX-License-Identifier: BSD-3-Clause
#
# darkscope top-level build.  `make run` and `make test` install any missing
# Debian package first (deploy/install-deps.sh), then build with flags taken
# from pkg-config.  Libraries under lib/ build without DPDK; only app/ links it.

PKGCONF  ?= pkg-config
CC       ?= cc
BUILD    ?= build
OPT      ?= -O3 -g
SANITIZE ?=
VERSION  := 0.1.0

# pkg-config module -> Debian package that provides it
PC_LIB   := libmaxminddb libconfig jansson libisal
PC_APP   := libdpdk libpcap
PC_PKG_libdpdk      := libdpdk-dev
PC_PKG_libmaxminddb := libmaxminddb-dev
PC_PKG_libconfig    := libconfig-dev
PC_PKG_jansson      := libjansson-dev
PC_PKG_libisal      := libisal-dev
PC_PKG_libpcap      := libpcap-dev

LIB_DIRS := $(sort $(dir $(wildcard lib/*/*.h)))
LIB_SRC  := $(wildcard lib/*/*.c)
LIB_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))

WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes
BASE_CFLAGS := $(OPT) -std=gnu11 $(WARN) -march=native -fno-strict-aliasing \
	-DDS_VERSION='"$(VERSION)"' $(addprefix -I,$(LIB_DIRS))
ifeq ($(SANITIZE),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_LDFLAGS := -fsanitize=address,undefined
BUILD := build-san
endif

# Lazily evaluated: pkg-config is only asked once a recipe needs the flags.
LIB_CFLAGS = $(shell $(PKGCONF) --cflags $(PC_LIB))
LIB_LIBS   = $(shell $(PKGCONF) --libs $(PC_LIB)) -lm -lpthread
DPDK_CFLAGS = $(filter-out -march=%,$(shell $(PKGCONF) --cflags libdpdk))
DPDK_LIBS   = $(shell $(PKGCONF) --libs libdpdk)
PCAP_LIBS   = $(shell $(PKGCONF) --libs libpcap)

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

APPS := $(BUILD)/darkscope $(BUILD)/darkgen $(BUILD)/darkscope-report

.PHONY: all deps check-pkgs run test bench fuzz clean
.DEFAULT_GOAL := all

all: check-pkgs $(APPS) $(TEST_BIN)

deps:
	@deploy/install-deps.sh

check-pkgs:
	@for m in $(PC_LIB) $(PC_APP); do \
	  $(PKGCONF) --exists $$m || { \
	    case $$m in \
	      libdpdk) p=$(PC_PKG_libdpdk);; libmaxminddb) p=$(PC_PKG_libmaxminddb);; \
	      libconfig) p=$(PC_PKG_libconfig);; jansson) p=$(PC_PKG_jansson);; \
	      libisal) p=$(PC_PKG_libisal);; libpcap) p=$(PC_PKG_libpcap);; esac; \
	    echo "error: pkg-config module '$$m' not found: install the Debian package '$$p' (or run 'make deps')" >&2; \
	    exit 1; }; \
	done

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/libds.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/darkscope: $(wildcard app/darkscope/*.c app/darkscope/*.h) $(BUILD)/libds.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(DPDK_CFLAGS) $(LIB_CFLAGS) -Iapp/darkscope \
	  $(filter %.c,$^) $(BUILD)/libds.a $(DPDK_LIBS) $(PCAP_LIBS) $(LIB_LIBS) $(SAN_LDFLAGS) -o $@

# darkgen is independent of lib/ on purpose (it checks darkscope): no libds.a.
$(BUILD)/darkgen: $(wildcard app/darkgen/*.c app/darkgen/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(DPDK_CFLAGS) $(LIB_CFLAGS) -Iapp/darkgen \
	  $(filter %.c,$^) $(DPDK_LIBS) $(PCAP_LIBS) $(LIB_LIBS) $(SAN_LDFLAGS) -o $@

$(BUILD)/darkscope-report: $(wildcard app/darkscope-report/*.c app/darkscope-report/*.h) $(BUILD)/libds.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Iapp/darkscope-report \
	  $(filter %.c,$^) $(BUILD)/libds.a $(LIB_LIBS) $(SAN_LDFLAGS) -o $@

$(BUILD)/tests/%: tests/%.c tests/ds_test.h tests/ds_fixture.h $(BUILD)/libds.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Itests $< $(BUILD)/libds.a $(PCAP_LIBS) $(LIB_LIBS) $(SAN_LDFLAGS) -o $@

# The two set-up commands of the README.
run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) deploy/run-scenario.sh

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh

clean:
	rm -rf build build-san

# ---------------------------------------------------------------------------
# Fuzzing (tests/fuzz/, docs/robustness.md): each libFuzzer harness is built
# with clang from the lib/ sources it needs (not libds.a, which is built by
# $(CC)), then run for FUZZ_TIME seconds on a scratch copy of its seed corpus.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_BUILD   ?= build/fuzz
FUZZ_FLAGS   := -O1 -g -std=gnu11 -march=native -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(addprefix -I,$(LIB_DIRS))
FUZZ_NAMES   := parse config geo pcapf \
	$(if $(and $(wildcard lib/archive/ds_archive.c),$(wildcard tests/fuzz/fuzz_archive.c)),archive)
FUZZ_SRC_parse   := lib/parse/ds_parse.c
FUZZ_SRC_config  := lib/config/ds_conf.c
FUZZ_SRC_geo     := lib/geo/ds_geo.c lib/lpm/ds_lpm.c
FUZZ_SRC_pcapf   := lib/pcapf/ds_pcapf.c
FUZZ_SRC_archive := $(filter-out lib/report/% lib/geo/%,$(LIB_SRC))
FUZZ_FLAGS   += -fsanitize-coverage-ignorelist=tests/fuzz/nocov.txt
FUZZ_RUN_ARGS ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard lib/*/*.c lib/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(LIB_CFLAGS) $< $(FUZZ_SRC_$*) $(PCAP_LIBS) $(LIB_LIBS) -o $@

fuzz: check-pkgs $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
	@set -e; for n in $(FUZZ_NAMES); do \
	  rm -rf $(FUZZ_BUILD)/work-$$n; mkdir -p $(FUZZ_BUILD)/work-$$n; \
	  echo "fuzz_$$n: $(FUZZ_TIME) s on tests/fuzz/corpus/$$n"; \
	  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	  $(FUZZ_BUILD)/fuzz_$$n $(FUZZ_RUN_ARGS) -max_total_time=$(FUZZ_TIME) \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$n- \
	    $(FUZZ_BUILD)/work-$$n tests/fuzz/corpus/$$n 2>$(FUZZ_BUILD)/fuzz_$$n.log || \
	    { tail -n 60 $(FUZZ_BUILD)/fuzz_$$n.log; echo "fuzz_$$n: FAILED (log $(FUZZ_BUILD)/fuzz_$$n.log)"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FUZZ_BUILD)/fuzz_$$n.log | sed "s/^/  fuzz_$$n /"; \
	done

# bench/dpbench: data-path cycles per packet (issue 6); `make bench` builds it.
$(BUILD)/dpbench: bench/dpbench.c $(BUILD)/libds.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(DPDK_CFLAGS) $(LIB_CFLAGS) $< $(BUILD)/libds.a \
	  $(DPDK_LIBS) $(LIB_LIBS) $(SAN_LDFLAGS) -o $@

bench: $(BUILD)/dpbench
