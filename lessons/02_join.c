/*
 * 02_join: pthread_join waits for a thread to finish and collects what it returned.
 *
 *   make && ./build/02_join                     # without join, then with join
 *   ./build/02_join --variant no-join           # coffee is made with cold water (FAIL)
 *   ./build/02_join --variant join              # the water boils first, then coffee (OK)
 *   ./build/02_join --scale 0.01                # the same, 100x faster
 *
 * Notice: a kettle thread boils water; main wants to make coffee. Without a join, nothing
 * stops main from making coffee at once: "make coffee" comes before "water boiled" and
 * the coffee is made with 20 C water. With pthread_join(kettle, &result), main cannot get
 * past the join until the kettle thread has returned, so the water has boiled; and
 * `result` is the pointer the thread returned: here, the temperature it reached.
 * Try: in make_coffee_with_join, move the join below the coffee line. The coffee is cold
 * again, and the verdict says so.
 *
 * Verdict: the last line, printed by main after every join:
 *   --variant join:     "RESULT variant=join coffee_water=100 returned=100 OK"     (exit 0)
 *   --variant no-join:  "RESULT variant=no-join coffee_water=20 returned=100 FAIL" (exit 1)
 *   --variant both:     "RESULT variant=both no_join_coffee_water=20 coffee_water=100
 *                        returned=100 OK" (one line; the word and exit status judge the join
 *                        run, the no-join run is shown for contrast and always makes cold
 *                        coffee)
 * coffee_water is the water's temperature when main made the coffee; returned is the
 * value main collected through pthread_join.
 */
#include "program.h"
#include "quizzes/02_join.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--variant both|no-join|join] [--scale F]\n"
    "  a kettle thread boils water while main makes coffee.\n"
    "  --variant  both (default): no-join, then join; the exit status judges join\n"
    "             no-join: main makes coffee without waiting (cold coffee, exit 1);\n"
    "             join: main joins the kettle first and gets its temperature back\n"
    "  --scale    multiply every sleep by F, 0..100 (default 1; 0.01 for tests)\n";

enum variant { VARIANT_BOTH, VARIANT_NO_JOIN, VARIANT_JOIN };
static const char *const variant_names[] = { "both", "no-join", "join", NULL };

enum { COLD = 20, BOILING = 100 };   /* degrees Celsius */
static const double boil_seconds = 1.5;

/* ---- the kettle --------------------------------------------------------------------- */

struct kettle {
    int temperature;   /* written by the kettle thread, read by main */
    bool staged;       /* no-join run only: see the stage direction below */
};

/* Stage direction, for the no-join run only. The kettle's nap makes "coffee before the
 * water boiled" likely, not certain: a busy machine could hold main up for longer than
 * the nap. So that the wrong order shows every time, main holds this mutex while it
 * makes the coffee and the kettle takes it before it announces the boil. (Mutexes are
 * lesson 03.) It also keeps main's peek at the temperature free of a data race. Nothing
 * like it is needed with join, which is the point. */
static pthread_mutex_t stage = PTHREAD_MUTEX_INITIALIZER;

/* The thread function. What it returns reaches whoever joins it. It must not return the
 * address of one of its own locals (its stack is gone once it returns), so the result
 * goes on the heap, and the joiner frees it. */
static void *boil_water(void *arg)
{
    struct kettle *kettle = arg;
    printf("  kettle: heating the water\n");
    nap(boil_seconds);

    if (kettle->staged)
        PT_CHECK(pthread_mutex_lock(&stage));
    kettle->temperature = BOILING;
    printf("  kettle: water boiled (%d C)\n", kettle->temperature);
    if (kettle->staged)
        PT_CHECK(pthread_mutex_unlock(&stage));

    int *result = xmalloc(sizeof *result);
    *result = BOILING;
    return result;
}

/* Join the kettle and take the temperature it returned. */
static int join_kettle(pthread_t kettle)
{
    void *result;
    PT_CHECK(pthread_join(kettle, &result));
    int temperature = *(int *)result;
    free(result);
    return temperature;
}

/* ---- without join: main does not wait ----------------------------------------------- */

struct run {
    int coffee_water;   /* how hot the water was when main made the coffee */
    int returned;       /* what the kettle thread handed back through pthread_join */
};

static struct run make_coffee_without_join(void)
{
    struct run run;
    struct kettle kettle = { .temperature = COLD, .staged = true };
    pthread_t tid;

    printf("without join:\n");
    PT_CHECK(pthread_mutex_lock(&stage));
    PT_CHECK(pthread_create(&tid, NULL, boil_water, &kettle));
    run.coffee_water = kettle.temperature;
    printf("main: make coffee with %d C water\n", run.coffee_water);
    PT_CHECK(pthread_mutex_unlock(&stage));

    /* Too late for the coffee, but main still joins before it goes on: `kettle` lives in
     * this function's stack frame, and the thread must not outlive the data it uses.
     * (Forgetting a thread altogether also leaks it; lesson 09 is about that.) */
    printf("main: coffee is made; joining the kettle anyway before leaving\n");
    run.returned = join_kettle(tid);
    printf("main: the kettle says %d C, too late for the coffee\n", run.returned);
    return run;
}

/* ---- with join: main waits for the water -------------------------------------------- */

static struct run make_coffee_with_join(void)
{
    struct run run;
    struct kettle kettle = { .temperature = COLD, .staged = false };
    pthread_t tid;

    printf("with join:\n");
    PT_CHECK(pthread_create(&tid, NULL, boil_water, &kettle));
    printf("main: waiting for the kettle (pthread_join)\n");
    run.returned = join_kettle(tid);
    /* Past the join the kettle thread has finished, and everything it wrote is visible
     * here: the water in the kettle has boiled, and main holds the value it returned. */
    run.coffee_water = kettle.temperature;
    printf("main: make coffee with %d C water\n", run.coffee_water);
    return run;
}

/* ---- main: the outline ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_BOTH;
    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    struct run bad = { 0, 0 }, good = { 0, 0 };
    if (variant != VARIANT_JOIN)
        bad = make_coffee_without_join();
    if (variant != VARIANT_NO_JOIN)
        good = make_coffee_with_join();

    switch (variant) {
    case VARIANT_NO_JOIN:
        return verdict(bad.coffee_water == BOILING && bad.returned == BOILING,
                       "variant=no-join coffee_water=%d returned=%d", bad.coffee_water,
                       bad.returned);
    case VARIANT_JOIN:
        return verdict(good.coffee_water == BOILING && good.returned == BOILING,
                       "variant=join coffee_water=%d returned=%d", good.coffee_water,
                       good.returned);
    default:
        return verdict(good.coffee_water == BOILING && good.returned == BOILING,
                       "variant=both no_join_coffee_water=%d coffee_water=%d returned=%d",
                       bad.coffee_water, good.coffee_water, good.returned);
    }
}
