# GNU Make is the front door: `make help` lists the targets and the lessons.
#
# Layout: lessons/NN_topic.c are the lessons, one program each, and lessons/quizzes/NN_topic.h
# their questions (--quiz, --answers); lessons/lib/ is what they stand on (the pools, the
# bounded queue, the socket plumbing, the shared headers), built once into
# $(BUILD)/libconc.a and linked into every program. tests/*_test.c are the library's own
# test programs (with tests/harness.c), tests/*.bats the suite that runs everything;
# lessons/exercises/ are skeletons for students, each graded against its checker by `make
# exercise E=NAME` (solutions/ holds the reference solutions); bench/*.c are the benchmark
# programs (and bench/peers_tbb.cpp, C++, built by $(CXX) where oneTBB is installed);
# scripts/ runs them. Adding a lesson (with its quiz), a library file, a test program or an
# exercise (NAME.c, NAME.h, solutions/NAME.c, grade/NAME_check.c) is adding files.
# Everything is built under $(BUILD) (default build/).

CC      ?= cc
CXX     ?= g++
BUILD   ?= build
CFLAGS  ?= -O2 -g
CXXFLAGS ?= -O2 -g
CSTD     = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
# Loops start on a 32-byte boundary, so a short one never straddles a 64-byte line: where
# the linker happened to put sum_squares.h's loop across one, the same kernel ran 2x slower
# (20 sums near 50,000: 1.44 ms against 0.72 ms, pinned to one CPU of the AMD EPYC VM the
# suite is measured on), and bench/peers' tasks were twice as long as bench/peers_tbb's.
ALIGN    = -falign-loops=32
# SAN is set by the tsan/asan targets below; EXTRA by per-program rules (GLib, OpenMP).
ALL_CFLAGS = $(CSTD) $(CFLAGS) $(ALIGN) $(WARN) -pthread -Ilessons/lib $(SAN) $(EXTRA)
# The one C++ program (bench/peers_tbb.cpp): the same warnings, the same headers.
ALL_CXXFLAGS = -std=c++17 $(CXXFLAGS) $(ALIGN) $(WARN) -pthread -Ilessons/lib $(SAN) $(EXTRA)
LDLIBS  += -lm
MPICC   ?= mpicc
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
HAVE_MPICC := $(shell command -v $(MPICC) 2>/dev/null)
# oneTBB, for bench/peers_tbb (below): "yes" when pkg-config finds it.
PEERS_TBB  := $(shell pkg-config --exists tbb 2>/dev/null && echo yes)

MPI_SRCS    := $(sort $(wildcard lessons/[0-9][0-9]_mpi_*.c))
LESSON_SRCS := $(filter-out $(MPI_SRCS),$(sort $(wildcard lessons/[0-9][0-9]_*.c)))
LESSONS     := $(LESSON_SRCS:lessons/%.c=%)
LIB_SRCS    := $(sort $(wildcard lessons/lib/*.c))
HEADERS     := $(wildcard lessons/lib/*.h)
TEST_SRCS   := $(wildcard tests/*_test.c)
BENCH_SRCS  := $(wildcard bench/*.c)

LESSON_BINS := $(LESSONS:%=$(BUILD)/%)
LIB_OBJS    := $(LIB_SRCS:lessons/lib/%.c=$(BUILD)/obj/%.o)
LIB         := $(BUILD)/libconc.a
TEST_BINS   := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
HARNESS     := $(BUILD)/obj/tests/harness.o
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
# Exercises (lessons/exercises/NAME.c, the student's; solutions/NAME.c, the reference): each
# is linked with its checker (grade/NAME_check.c) and the checkers' shared main (grade.c),
# never with a main of its own. Both are built by `make`, so both always compile.
EXERCISES   := $(sort $(basename $(notdir $(wildcard lessons/exercises/*.c))))
EX_BINS     := $(EXERCISES:%=$(BUILD)/exercises/%)
EX_SOL_BINS := $(EXERCISES:%=$(BUILD)/exercises/solutions/%)
MPI_BINS    := $(MPI_SRCS:lessons/%.c=$(BUILD)/%)

TSAN_FLAGS := -fsanitize=thread
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all lessons tests exercise-bins exercise exercises benches run test tsan helgrind timeline asan deps bench bench-deps plots help clean
.DEFAULT_GOAL := all

all: lessons tests exercise-bins $(if $(MPI_SRCS),$(if $(HAVE_MPICC),mpi,mpi-missing))
lessons: $(LESSON_BINS)
tests: $(TEST_BINS)
benches: $(BENCH_BINS) $(BUILD)/bench/peers_tbb.features $(if $(PEERS_TBB),$(BUILD)/bench/peers_tbb)

$(LIB_OBJS): $(BUILD)/obj/%.o: lessons/lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LESSON_BINS): $(BUILD)/%: lessons/%.c lessons/quizzes/%.h $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

exercise-bins: $(EX_BINS) $(EX_SOL_BINS)
# First, so that bounded_queue.h is the exercise's, not the library's of the same name.
EX_FLAGS = -Ilessons/exercises -Ilessons/exercises/grade
EX_GRADE = lessons/exercises/grade/grade.c lessons/exercises/grade/grade.h
$(EX_BINS): $(BUILD)/exercises/%: lessons/exercises/%.c lessons/exercises/%.h \
            lessons/exercises/grade/%_check.c $(EX_GRADE) $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(EX_FLAGS) $(ALL_CFLAGS) -o $@ $< lessons/exercises/grade/$*_check.c lessons/exercises/grade/grade.c $(filter %_ref.o,$^) $(LIB) $(EX_LDFLAGS) $(LDLIBS)
$(EX_SOL_BINS): $(BUILD)/exercises/solutions/%: lessons/exercises/solutions/%.c lessons/exercises/%.h \
                lessons/exercises/grade/%_check.c $(EX_GRADE) $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(EX_FLAGS) $(ALL_CFLAGS) -o $@ $< lessons/exercises/grade/$*_check.c lessons/exercises/grade/grade.c $(filter %_ref.o,$^) $(LIB) $(EX_LDFLAGS) $(LDLIBS)
# event's checker sees which clock each condition variable gets through a wrapper of
# pthread_cond_init (-Wl,--wrap: GNU ld, as on Linux).
$(BUILD)/exercises/event $(BUILD)/exercises/solutions/event: EX_LDFLAGS = -Wl,--wrap=pthread_cond_init
# ticket_lock's speed check times the student's lock against the reference's in one
# process, turn about: the reference is linked in as well, its functions renamed ref_*.
TICKET_REF := $(BUILD)/exercises/obj/ticket_lock_ref.o
$(TICKET_REF): lessons/exercises/solutions/ticket_lock.c lessons/exercises/ticket_lock.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(EX_FLAGS) $(ALL_CFLAGS) $(foreach f,init acquire release,-Dticket_lock_$f=ref_ticket_lock_$f) -c -o $@ $<
$(BUILD)/exercises/ticket_lock $(BUILD)/exercises/solutions/ticket_lock: $(TICKET_REF)

$(HARNESS): tests/harness.c tests/harness.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(TEST_BINS): $(BUILD)/tests/%: tests/%.c tests/harness.h $(HEADERS) $(HARNESS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(HARNESS) $(LIB) $(LDLIBS)

BENCH_HEADERS := $(wildcard bench/*.h)

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c $(HEADERS) $(BENCH_HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# bench/peers and bench/granularity compare our pools with GLib's GThreadPool and OpenMP.
# Each peer is built in only when this toolchain has it (the programs print which ones they
# left out): OpenMP when $(CC) accepts -fopenmp (gcc: libgomp1; clang: libomp-dev), GLib
# when pkg-config finds it. `private` keeps these flags off the library objects they use.
PEERS_OPENMP = $(shell printf '\043include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n' \
                 | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo -fopenmp)
PEERS_GLIB   = $(shell pkg-config --exists glib-2.0 2>/dev/null && echo -DHAVE_GLIB $$(pkg-config --cflags glib-2.0))
PEER_BINS = $(BUILD)/bench/peers $(BUILD)/bench/granularity
$(PEER_BINS): private EXTRA = $(PEERS_OPENMP) $(PEERS_GLIB)
$(PEER_BINS): private LDLIBS += $(shell pkg-config --libs glib-2.0 2>/dev/null)
# The peers this toolchain offers, as a stamp both depend on: its recipe runs every time
# but rewrites the file only when the set changes (GLib installed since the last build, say),
# and only then are they rebuilt. Without it, a peers built before `make bench` installed
# GLib would look up to date and leave GThreadPool out.
$(PEER_BINS): $(BUILD)/bench/peers.features
$(BUILD)/bench/peers.features: FORCE
	@mkdir -p $(@D)
	@new='openmp=$(if $(PEERS_OPENMP),yes,no) glib=$(if $(PEERS_GLIB),yes,no)'; \
	test "$$(cat $@ 2>/dev/null)" = "$$new" || echo "$$new" >$@
.PHONY: FORCE
FORCE:

# bench/peers_tbb: oneTBB (task_group, parallel_for) on peers' two tables and granularity's
# sweep, a C++ program of its own (peers stays C). Built by $(CXX) only where pkg-config
# finds tbb (Debian: libtbb-dev, scripts/install-deps.sh bench); `benches` then includes
# it. Its stamp says whether tbb was found and which version, rewritten only when that
# changes: `benches` always brings it up to date (bench.sh and machine.txt read it), and
# peers_tbb depends on it, so a libtbb-dev installed or upgraded since the last build is
# picked up by the next `make benches`. It links libconc.a for the command line, the
# clocks and median.
$(BUILD)/bench/peers_tbb: private EXTRA = $(shell pkg-config --cflags tbb 2>/dev/null)
$(BUILD)/bench/peers_tbb: bench/peers_tbb.cpp $(HEADERS) $(BENCH_HEADERS) $(LIB) $(BUILD)/bench/peers_tbb.features
	@test -n '$(PEERS_TBB)' || { echo "pkg-config finds no tbb: run scripts/install-deps.sh bench" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -o $@ $< $(LIB) $(shell pkg-config --libs tbb 2>/dev/null) $(LDLIBS)
$(BUILD)/bench/peers_tbb.features: FORCE
	@mkdir -p $(@D)
	@new='tbb=$(if $(PEERS_TBB),yes $(shell pkg-config --modversion tbb 2>/dev/null),no)'; \
	test "$$(cat $@ 2>/dev/null)" = "$$new" || echo "$$new" >$@

# MPI lessons (lessons/NN_mpi_*.c) are built by OpenMPI's wrapper, which adds MPI's include
# and library flags to the compiler it runs (OMPI_CC: $(CC), so CC=clang works). `make`
# builds them when $(MPICC) is found and otherwise says so and goes on; `make mpi` insists.
.PHONY: mpi mpi-missing
mpi: $(if $(HAVE_MPICC),$(MPI_BINS))
	@test -n '$(HAVE_MPICC)' || { echo "$(MPICC) not found: run scripts/install-deps.sh mpi" >&2; exit 1; }

mpi-missing:
	@echo "note: $(MPICC) not found, so the MPI lessons are not built (scripts/install-deps.sh mpi)" >&2

$(MPI_BINS): $(BUILD)/%: lessons/%.c lessons/quizzes/%.h $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	OMPI_CC='$(CC)' $(MPICC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# `make run L=03 ARGS='--accounts 4'` (or L=3): build and run one lesson by its number,
# saying the command first. L is checked by make itself and never reaches a shell: it must
# be exactly one lesson's number. ARGS is shell words, by design (quote them as you would on
# the command line). The MPI lesson runs on 2 ranks of this machine, with the settings
# tests/21_mpi_sum_squares.bats explains. make's own exit status can only be 0 or 2, so a
# lesson that ends 1 (FAIL) or 3 (STUCK) is named with its status on the last line; run the
# echoed command itself to get that status from your shell.
MPI_LESSONS := $(MPI_SRCS:lessons/%.c=%)
RUN_NAMES   := $(LESSONS) $(MPI_LESSONS)
run_number   = $(if $(filter 1 2 3 4 5 6 7 8 9,$(value L)),0$(value L),$(value L))
run_lesson   = $(if $(filter 1,$(words $(value L))),$(filter $(run_number)_%,$(RUN_NAMES)))
MPIRUN_LOCAL = OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none \
               OMPI_MCA_pml=ob1 OMPI_MCA_oob_tcp_if_include=lo \
               mpirun -np 2 --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
run_command  = $(if $(filter $(MPI_LESSONS),$(run_lesson)),$(MPIRUN_LOCAL) )$(BUILD)/$(run_lesson) $(ARGS)
# check_L TARGET: L names exactly one lesson, or make stops with the usage.
check_L = $(if $(value L),,$(error usage: make $1 L=NN [ARGS='...'] (lessons: $(RUN_NAMES))))$\
          $(if $(filter 1,$(words $(run_lesson))),,$(error make $1: L must be one lesson number, like L=03 (lessons: $(RUN_NAMES))))
# then_name_status TARGET: after the command, a line naming a non-zero status, which stays
# the recipe's (so make exits 2).
then_name_status = status=$$?; \
	case $$status in 0) ;; 1) why=FAIL;; 2) why='bad usage';; 3) why='STUCK: a watchdog gave up';; \
	    66) why='ThreadSanitizer reported';; 99) why='valgrind reported errors';; *) why='see above';; esac; \
	[ $$status -eq 0 ] || echo "make $1: $(run_lesson) exited with status $$status ($$why)" >&2; \
	exit $$status
run:
	$(call check_L,run)
	@$(MAKE) -s $(BUILD)/$(run_lesson)
	$(info $(run_command))
	@$(run_command); $(call then_name_status,run)

# Sanitizer builds live in folders of their own, so they never mix with the plain build.
# `make tsan` builds every lesson into $(BUILD)/tsan; `make tsan L=08 ARGS='--variant unsafe'`
# builds that one and runs it, every report printed (halt_on_error=0), exit 66 if any.
TSAN_RUN = TSAN_OPTIONS='halt_on_error=0 exitcode=66 second_deadlock_stack=1'
tsan:
	$(if $(value L),$(call check_L,tsan))
	$(if $(value L),$(if $(filter $(MPI_LESSONS),$(run_lesson)),$(error make tsan: the MPI lesson runs under mpirun; try make run L=21)))
	$(MAKE) $(if $(value L),-s )BUILD=$(BUILD)/tsan SAN='$(TSAN_FLAGS)' CFLAGS='-O1 -g' $(if $(value L),$(BUILD)/tsan/$(run_lesson),all)
	$(if $(value L),$(info $(TSAN_RUN) $(BUILD)/tsan/$(run_lesson) $(ARGS)))
	@$(if $(value L),$(TSAN_RUN) $(BUILD)/tsan/$(run_lesson) $(ARGS); $(call then_name_status,tsan))
# `make timeline L=14 ARGS='--mode threads'`: the lesson run with --trace, its events drawn
# as a Gantt chart (one row per thread, one bar per task) by scripts/timeline.py, into
# $(BUILD)/timelines/NN_topic.{json,png,svg}. Only lessons with a --trace option; a broken
# variant's FAIL is drawn too (that is often the picture worth seeing), then named.
TRACED := $(patsubst lessons/%.c,%,$(shell grep -l 'CLI_TRACE' lessons/*.c 2>/dev/null))
timeline:
	$(call check_L,timeline)
	$(if $(filter $(run_lesson),$(TRACED)),,$(error make timeline: $(run_lesson) has no --trace (these do: $(TRACED))))
	@$(MAKE) -s $(BUILD)/$(run_lesson)
	@mkdir -p $(BUILD)/timelines
	$(info $(BUILD)/$(run_lesson) --trace $(BUILD)/timelines/$(run_lesson).json $(ARGS))
	@rm -f $(BUILD)/timelines/$(run_lesson).json; \
	$(BUILD)/$(run_lesson) --trace $(BUILD)/timelines/$(run_lesson).json $(ARGS); status=$$?; \
	if [ -s $(BUILD)/timelines/$(run_lesson).json ]; then set -- $(ARGS); \
	    scripts/timeline.py $(BUILD)/timelines/$(run_lesson).json --title "$(run_lesson) $$*" || exit 1; fi; \
	(exit $$status); $(call then_name_status,timeline)

# `make helgrind L=04 ARGS='--variant bad-order --timeout 2'`: the lesson under valgrind's thread
# checker (slow: it runs one thread at a time), every error printed, exit 99 if any.
HELGRIND = valgrind --tool=helgrind --error-exitcode=99
helgrind:
	$(call check_L,helgrind)
	$(if $(filter $(MPI_LESSONS),$(run_lesson)),$(error make helgrind: the MPI lesson runs under mpirun; try make run L=21))
	@$(MAKE) -s $(BUILD)/$(run_lesson)
	$(info $(HELGRIND) $(BUILD)/$(run_lesson) $(ARGS))
	@$(HELGRIND) $(BUILD)/$(run_lesson) $(ARGS); $(call then_name_status,helgrind)
# `make exercise E=bank`: grade lessons/exercises/bank.c (SOLUTION=1: the reference
# solution): its checks, then ThreadSanitizer, helgrind and a speed check where the exercise
# has them, one PASS/FAIL line each, then "SCORE bank P/N"; exit 0 only if all pass (make
# turns the grader's 1 into its own 2). `make exercises`: all of them, and a table.
# E is checked by make itself, like L: one exercise's name (no % pattern), or the usage
# naming them all.
check_E = $(if $(filter 1,$(words $(value E))),$(if $(and $(filter $(value E),$(EXERCISES)),$(if $(findstring %,$(value E)),,ok)),,$(error make exercise: no exercise "$(value E)" (exercises: $(EXERCISES)))),$(error usage: make exercise E=NAME [SOLUTION=1] (exercises: $(EXERCISES))))
GRADE = BUILD='$(BUILD)' scripts/grade.sh $(if $(filter 1,$(SOLUTION)),--solution)
exercise:
	$(call check_E)
	@$(MAKE) -s $(BUILD)/exercises/$(E) $(BUILD)/exercises/solutions/$(E)
	@$(MAKE) -s BUILD=$(BUILD)/tsan SAN='$(TSAN_FLAGS)' CFLAGS='-O1 -g' $(BUILD)/tsan/exercises/$(if $(filter 1,$(SOLUTION)),solutions/)$(E)
	@$(GRADE) $(E) || { echo "make exercise: $(E) is not complete yet: see the FAIL lines above" >&2; exit 1; }
exercises:
	@$(MAKE) -s -j$(JOBS) exercise-bins
	@$(MAKE) -s -j$(JOBS) BUILD=$(BUILD)/tsan SAN='$(TSAN_FLAGS)' CFLAGS='-O1 -g' \
	    $(if $(filter 1,$(SOLUTION)),$(EX_SOL_BINS:$(BUILD)/%=$(BUILD)/tsan/%),$(EX_BINS:$(BUILD)/%=$(BUILD)/tsan/%))
	@JOBS=$(JOBS) $(GRADE) --all $(EXERCISES) || { echo "make exercises: not every exercise is complete yet" >&2; exit 1; }

asan:
	$(MAKE) BUILD=$(BUILD)/asan SAN='$(ASAN_FLAGS)' CFLAGS='-O1 -g' all

# The test suite installs what it misses (bats, valgrind, clang, OpenMPI) and runs every
# tests/*.bats; `make test T=tests/08_race_counter.bats` runs one file.
T ?= tests
# Everything the tests run is built first, in parallel: the tests then run several files at
# once (scripts/run-tests.sh), and two of them must never build the same file together.
test: deps
	$(MAKE) -j$(JOBS) all benches tsan asan
	scripts/run-tests.sh $(T)

deps:
	scripts/install-deps.sh test mpi

# `make bench` installs what it misses (hyperfine, gnuplot, GLib, OpenMPI, ...), builds
# bench/ and the lessons it times (12, 13, 14, 20, 23, and 21 when mpicc is there), runs every
# benchmark into bench/results/<host>-<date>/ (ignored by git: a run never changes a tracked
# file), draws its plots there, and prints the summary and the headline beside the committed
# reference run's (bench/results/reference/). QUICK=1: smaller sizes and fewer runs (about
# a minute and a half); RESULTS=dir: write there instead. Progress on stderr, the summary
# on stdout.
# The MPI lesson is built by a make of its own, so that without it (or if it fails to
# build) everything else is still measured.
BENCH_LESSONS = $(filter $(BUILD)/12_% $(BUILD)/13_% $(BUILD)/14_% $(BUILD)/20_% $(BUILD)/23_%,$(LESSON_BINS))
bench: bench-deps
	@$(MAKE) --no-print-directory benches $(BENCH_LESSONS) >&2
	@$(MAKE) --no-print-directory mpi >&2 || echo "note: no MPI lesson, so the bench skips MPI" >&2
	@BUILD='$(BUILD)' CC='$(CC)' QUICK='$(QUICK)' $(if $(RESULTS),RESULTS='$(RESULTS)') scripts/bench.sh

bench-deps:
	@scripts/install-deps.sh bench mpi

# `make plots`: redraw plots/ (the README's images, SVG) from the committed reference run
# (PLOTS_OUT=dir: into dir instead, as the tests do, beside a suite that reads plots/);
# `make plots RESULTS=bench/results/<dir>`: draw that run's plots into <dir>/plots/.
# Neither runs a benchmark.
PLOTS_OUT ?= plots
plots:
	scripts/plots.sh $(if $(RESULTS),--results '$(RESULTS)',--results bench/results/reference --out '$(PLOTS_OUT)' --formats svg)

help:
	@echo "make                 build every lesson into $(BUILD)/ (CC=clang, WERROR=1 work too)"
	@echo "make run L=NN ARGS=  build and run one lesson, e.g. make run L=03 ARGS='--accounts 4'"
	@echo "                     (L=3 works too; 21 runs on 2 MPI ranks; ARGS is shell words:"
	@echo "                     quote them as on a command line)"
	@echo "make test            install test tools if missing, then run the whole bats suite"
	@echo "make bench [QUICK=1] install bench tools if missing, run every benchmark into bench/results/<host>-<date>/"
	@echo "make plots [RESULTS=dir]  redraw plots/ from the reference run (or dir/plots/ from dir)"
	@echo "make mpi             the MPI lessons, built by mpicc (scripts/install-deps.sh mpi)"
	@echo "make tsan | asan     ThreadSanitizer | Address+UndefinedBehaviorSanitizer builds in $(BUILD)/tsan | $(BUILD)/asan"
	@echo "make tsan L=NN ARGS= one lesson built with ThreadSanitizer and run: its reports, exit 66 if any"
	@echo "make helgrind L=NN ARGS=  one lesson under valgrind's helgrind: its errors, exit 99 if any"
	@echo "make timeline L=NN ARGS=  one lesson run with --trace, drawn as a timeline (PNG, SVG)"
	@echo "make exercise E=NAME [SOLUTION=1]  grade one exercise (lessons/exercises/NAME.c)"
	@echo "make exercises [SOLUTION=1]        grade them all, then a table"
	@echo "make clean           remove $(BUILD)/"
	@echo
	@echo "layout: lessons/NN_topic.c the lessons; lessons/lib/ the library they stand on (pools,"
	@echo "        queue, sockets, core.h and program.h); tests/ the bats suite and the pools' C"
	@echo "        tests; bench/ and scripts/ the benchmarks; plots/ the reference run's images"
	@echo
	@echo "lessons:"
	@for l in $(LESSONS); do echo "  $$l"; done
	@for l in $(MPI_SRCS:lessons/%.c=%); do echo "  $$l  (make mpi; mpirun -np 2 $(BUILD)/$$l)"; done

clean:
	rm -rf $(BUILD)
