# GNU Make is the front door: `make help` lists the targets and the lessons.
#
# Layout: lessons/NN_topic.c are the lessons; the other lessons/*.c (the pools) and
# lessons/*.h are shared by lessons, tests and benchmarks; tests/*.c and bench/*.c are
# programs of their own. Everything is built under $(BUILD) (default build/).

CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
CSTD     = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
# SAN is set by the tsan/asan targets below; EXTRA by per-program rules (GLib, OpenMP).
ALL_CFLAGS = $(CSTD) $(CFLAGS) $(WARN) -pthread -Ilessons $(SAN) $(EXTRA)
LDLIBS  += -lm

LESSON_SRCS := $(sort $(wildcard lessons/[0-9][0-9]_*.c))
LESSONS     := $(LESSON_SRCS:lessons/%.c=%)
LIB_SRCS    := $(filter-out $(LESSON_SRCS),$(wildcard lessons/*.c))
HEADERS     := $(wildcard lessons/*.h)
TEST_SRCS   := $(wildcard tests/*.c)
BENCH_SRCS  := $(wildcard bench/*.c)

LESSON_BINS := $(LESSONS:%=$(BUILD)/%)
LIB_OBJS    := $(LIB_SRCS:lessons/%.c=$(BUILD)/obj/%.o)
LIB         := $(BUILD)/libconc.a
TEST_BINS   := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

TSAN_FLAGS := -fsanitize=thread
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all lessons tests benches run test tsan asan deps help clean
.DEFAULT_GOAL := all

all: lessons tests
lessons: $(LESSON_BINS)
tests: $(TEST_BINS)
benches: $(BENCH_BINS)

$(LIB_OBJS): $(BUILD)/obj/%.o: lessons/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(if $(LIB_OBJS),$(AR) rcs $@ $^,$(AR) rc $@)

$(LESSON_BINS): $(BUILD)/%: lessons/%.c $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(TEST_BINS): $(BUILD)/tests/%: tests/%.c $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# `make run L=03 ARGS='--accounts 4'`: build and run one lesson by its number.
run:
	@test -n "$(L)" || { echo "usage: make run L=NN [ARGS='...']  (lessons: $(LESSONS))" >&2; exit 2; }
	@lesson='$(filter $(L)_%,$(LESSONS))'; \
	test -n "$$lesson" || { echo "make run: no lesson numbered '$(L)'; lessons: $(LESSONS)" >&2; exit 2; }; \
	$(MAKE) -s $(BUILD)/$$lesson && ./$(BUILD)/$$lesson $(ARGS)

# Sanitizer builds live in folders of their own, so they never mix with the plain build.
tsan:
	$(MAKE) BUILD=$(BUILD)/tsan SAN='$(TSAN_FLAGS)' CFLAGS='-O1 -g' all
asan:
	$(MAKE) BUILD=$(BUILD)/asan SAN='$(ASAN_FLAGS)' CFLAGS='-O1 -g' all

# The test suite installs what it misses (bats, valgrind, clang) and then runs every
# tests/*.bats; `make test T=tests/08_race_counter.bats` runs one file.
T ?= tests
test: deps
	$(MAKE) all
	scripts/run-tests.sh $(T)

deps:
	scripts/install-deps.sh test

help:
	@echo "make                 build every lesson into $(BUILD)/ (CC=clang, WERROR=1 work too)"
	@echo "make run L=NN ARGS=  build and run one lesson, e.g. make run L=03 ARGS='--accounts 4'"
	@echo "make test            install test tools if missing, then run the whole bats suite"
	@echo "make tsan | asan     ThreadSanitizer | Address+UndefinedBehaviorSanitizer builds in $(BUILD)/tsan | $(BUILD)/asan"
	@echo "make clean           remove $(BUILD)/"
	@echo
	@echo "lessons:"
	@for l in $(LESSONS); do echo "  $$l"; done

clean:
	rm -rf $(BUILD)
