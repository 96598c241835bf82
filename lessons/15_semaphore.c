/*
 * 15_semaphore: a parking lot with K spaces. A counting semaphore starts at K; each car
 * takes one unit on the way in (sem_wait) and gives it back on the way out (sem_post).
 *
 *   make && ./build/15_semaphore                  # 10 cars, 3 spaces: never more than 3 in
 *   ./build/15_semaphore --variant unbounded      # no semaphore: the lot overflows (exit 1)
 *   ./build/15_semaphore --spaces 1 --cars 4      # one space: a semaphore of 1 is a lock
 *   ./build/15_semaphore --cars 40 --scale 0.01   # many cars, 100x faster
 *
 * Notice: a mutex lets one thread in; a counting semaphore lets K in. Its value is the
 * number of free spaces: sem_wait takes one (and waits while there are none), sem_post
 * gives one back and lets a waiting car through. Nobody owns a semaphore, so any thread
 * may post; and it remembers posts, unlike a condition variable (06): a post with nobody
 * waiting is kept for the next car. The lesson counts the cars inside with an atomic
 * counter (incremented after sem_wait, decremented before sem_post) and keeps its
 * maximum: with the semaphore it never exceeds K. --variant unbounded skips the
 * semaphore and changes nothing else, so "7 of 3 spaces taken" is the difference the
 * semaphore makes.
 * The sem_* functions are the old style of error reporting: they return -1 and set
 * errno (pthread functions return the error number instead), so they are checked with
 * die_errno, not PT_CHECK. A car waits at the gate with sem_timedwait, so a lot that
 * never frees up ends the lesson instead of hanging it. POSIX gives sem_timedwait an
 * absolute CLOCK_REALTIME deadline (POSIX.1-2008 has no sem_clockwait; glibc's is an
 * extension), so a jump of the wall clock can stretch or cut that wait.
 * Try: delete the sem_post in leave_the_lot() and run with --timeout 2: the first K cars
 * park and leave, the lot stays "full" forever, and every later car gives up at the
 * gate (exit 3). A semaphore trusts you to give back what you took.
 *
 * Verdict: "RESULT variant=V spaces=K cars=N parked=N max_occupancy=M free_at_end=K OK"
 * (exit 0) when every car parked exactly once and M <= K; FAIL (exit 1) otherwise, which
 * --variant unbounded gets whenever more than K cars overlap. A car that waited longer
 * than --timeout gives up; the line then ends "gave_up=G STUCK" (exit 3).
 */
#include "program.h"
#include "quizzes/15_semaphore.h" /* --quiz and --answers: its questions */

#include <semaphore.h>
#include <stdatomic.h>

static const char usage[] =
    "[--variant semaphore|unbounded] [--spaces K] [--cars N] [--timeout S] [--scale F]\n"
    "  N cars arrive at a parking lot with K spaces, park for a while and leave.\n"
    "  --variant  semaphore (default): a counting semaphore of K guards the gate\n"
    "             unbounded: no semaphore; more than K cars get in (exit 1)\n"
    "  --spaces   spaces in the lot, 1..256 (default 3)\n"
    "  --cars     cars (one thread each), 1..256 (default 10)\n"
    "  --timeout  seconds a car waits at the gate before giving up, 0.001..3600\n"
    "             (default 30); real seconds, times F when --scale F is above 1\n"
    "  --scale    multiply every arrival and parking time by F, 0..100 (default 1)\n";

enum variant { VARIANT_SEMAPHORE, VARIANT_UNBOUNDED };
static const char *const variant_names[] = { "semaphore", "unbounded", NULL };

enum { MAX_SPACES = 256, MAX_CARS = 256 };
static const double arrival_gap = 0.05;   /* between one car's arrival and the next's */
static const double shortest_stay = 0.5;  /* each car parks 0.5 .. 1.0 s, before --scale */

/* ---- the lot: a semaphore, and an instrument that counts the cars inside --------------- */

static sem_t free_spaces;    /* its value: how many spaces are free right now */

/* The instrument must stay correct even when the semaphore is skipped, so it uses atomic
 * operations (08_race_counter): each is one indivisible step. */
static atomic_int cars_inside;
static atomic_int most_cars_inside;

static int count_in(void)
{
    int now = atomic_fetch_add(&cars_inside, 1) + 1;
    int most = atomic_load(&most_cars_inside);
    while (now > most && !atomic_compare_exchange_weak(&most_cars_inside, &most, now))
        ;   /* another car raised the maximum meanwhile: `most` now holds theirs; retry */
    return now;
}

static void count_out(void)
{
    atomic_fetch_sub(&cars_inside, 1);
}

/* ---- the cars ---------------------------------------------------------------------------- */

struct car {
    pthread_t tid;
    int id;
    enum variant variant;
    int spaces;
    double arrive_after, stay;   /* seconds, before --scale */
    double timeout;
    int parked;                  /* times this car parked: must end up exactly 1 */
    bool gave_up;
};

/* Take a space: at once if one is free, else wait at the gate until a car leaves.
 * Returns false if the wait ran out of time. sem_timedwait wants an absolute time on
 * CLOCK_REALTIME (POSIX has no monotonic variant), hence deadline_on(CLOCK_REALTIME). */
static bool enter_the_lot(const struct car *car)
{
    if (car->variant == VARIANT_UNBOUNDED)
        return true;                     /* BROKEN: drive straight in, full or not */

    if (sem_trywait(&free_spaces) == 0)
        return true;                     /* a space was free */
    if (errno != EAGAIN)
        die_errno("sem_trywait");

    printf("car %2d: the lot is full: waits at the gate\n", car->id);
    struct timespec give_up = deadline_on(CLOCK_REALTIME, scaled_timeout(car->timeout));
    while (sem_timedwait(&free_spaces, &give_up) != 0) {
        if (errno == ETIMEDOUT)
            return false;
        if (errno != EINTR)              /* a signal handler interrupted the wait: retry */
            die_errno("sem_timedwait");
    }
    return true;
}

/* Give the space back; if a car waits at the gate, sem_post lets it in. */
static void leave_the_lot(const struct car *car)
{
    if (car->variant == VARIANT_UNBOUNDED)
        return;
    if (sem_post(&free_spaces) != 0)
        die_errno("sem_post");
}

static void *car_main(void *arg)
{
    struct car *car = arg;
    nap(car->arrive_after);
    if (!enter_the_lot(car)) {
        car->gave_up = true;
        printf("car %2d: gave up after waiting %g s at the gate: no space came free "
               "(do cars park longer than that? raise --timeout; or is a sem_post "
               "missing?)\n", car->id, scaled_timeout(car->timeout));
        return NULL;
    }

    int inside = count_in();             /* after taking a space ... */
    car->parked++;
    printf("car %2d: parks (%d of %d spaces taken)%s\n", car->id, inside, car->spaces,
           inside > car->spaces ? "  <- over capacity!" : "");
    nap(car->stay);
    count_out();                         /* ... and before giving it back */
    printf("car %2d: leaves\n", car->id);
    leave_the_lot(car);
    return NULL;
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_SEMAPHORE;
    int spaces = 3, ncars = 10;
    double timeout = 30;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "spaces", required_argument, NULL, 'k' },
        { "cars", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'k': spaces = (int)parse_long("--spaces", optarg, 1, MAX_SPACES); break;
        case 'n': ncars = (int)parse_long("--cars", optarg, 1, MAX_CARS); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    /* pshared = 0: shared by the threads of this process only. The value starts at K. */
    if (sem_init(&free_spaces, 0, (unsigned)spaces) != 0)
        die_errno("sem_init");
    printf("%d cars, %d spaces%s\n", ncars, spaces,
           variant == VARIANT_UNBOUNDED ? " (no semaphore: nobody counts the spaces!)" : "");

    /* Cars arrive one every arrival_gap and stay between 0.5 and 1 s: the lot fills up. */
    static struct car cars[MAX_CARS];
    uint64_t rng = 15;
    for (int i = 0; i < ncars; i++) {
        double stay = shortest_stay * (1 + (double)rng_below(&rng, 1000) / 1000);
        cars[i] = (struct car){ .id = i + 1, .variant = variant, .spaces = spaces,
                                .arrive_after = i * arrival_gap, .stay = stay,
                                .timeout = timeout };
        PT_CHECK(pthread_create(&cars[i].tid, NULL, car_main, &cars[i]));
    }

    /* After the joins, every car's fields are safe to read. */
    int parked = 0, gave_up = 0;
    bool each_once = true;
    for (int i = 0; i < ncars; i++) {
        PT_CHECK(pthread_join(cars[i].tid, NULL));
        parked += cars[i].parked;
        gave_up += cars[i].gave_up;
        each_once = each_once && (cars[i].parked == 1);
    }
    int free_at_end;
    if (sem_getvalue(&free_spaces, &free_at_end) != 0)
        die_errno("sem_getvalue");
    if (sem_destroy(&free_spaces) != 0)
        die_errno("sem_destroy");

    int most = atomic_load(&most_cars_inside);
    printf("main: at most %d car%s inside at once, with %d space%s\n", most,
           most == 1 ? "" : "s", spaces, spaces == 1 ? "" : "s");
    if (gave_up > 0) {
        printf("RESULT variant=%s spaces=%d cars=%d parked=%d max_occupancy=%d "
               "free_at_end=%d gave_up=%d STUCK\n", variant_names[variant], spaces, ncars,
               parked, most, free_at_end, gave_up);
        return EXIT_STUCK;
    }
    bool ok = each_once && most <= spaces && free_at_end == spaces;
    return verdict(ok, "variant=%s spaces=%d cars=%d parked=%d max_occupancy=%d free_at_end=%d",
                   variant_names[variant], spaces, ncars, parked, most, free_at_end);
}
