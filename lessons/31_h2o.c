/*
 * 31_h2o: hydrogen and oxygen threads arrive in a seeded random order and must leave as
 * water: every molecule exactly two H and one O, the three that were let in together.
 * The Little Book of Semaphores' solution: a semaphore as the mutex, one queue semaphore
 * per kind, and a barrier of three.
 *
 *   make && ./build/31_h2o                      # fixed: every molecule H, H, O of one group
 *   ./build/31_h2o --variant no-barrier         # atoms leave alone: molecules mix (exit 1)
 *   ./build/31_h2o --molecules 200 --scale 0    # many atoms, no naps
 *
 * Notice: an atom that arrives counts itself under the mutex; the arrival that completes
 * a group (two H and an O waiting) lets exactly those three in (two posts on the hydrogen
 * queue, one on the oxygen queue) and keeps the mutex, so no other group can form. Each
 * atom that gets in notes the group it was let in with (the molecule it thinks it joins),
 * travels to the bonding site (a seeded random nap), and bonds: it takes the next place
 * in the line of bonded atoms, and each three places in a row are one molecule. Then the
 * barrier: nobody leaves until all three have bonded, and the oxygen, on its way out,
 * gives the mutex back (a semaphore has no owner, so the thread that releases it need not
 * be the one that took it; a pthread mutex would not allow that). --variant no-barrier
 * skips the barrier: the oxygen gives the mutex back as soon as it has bonded, the next
 * group is let in while a slow hydrogen of this one is still on its way, and molecules
 * form out of atoms from different groups ("molecule 2 is mixed: H (group 1), H (group 2),
 * H (group 2)"). How many mix depends on the timing: 20 runs of the defaults (seeds 1-20)
 * on a 2-vCPU VM each mixed between 4 and 20 of the 30 molecules, as measured.
 * Try: --variant no-barrier --molecules 1 (one group has nobody to mix with: OK), then
 * --scale 0 a few times: no travel time at all; fewer mix, now and then none, but the
 * race is still there.
 *
 * Verdict: "RESULT variant=V molecules=M oxygen=O hydrogen=H mixed=X OK" (exit 0) when
 * M == O == H/2, every molecule is two H and one O that were let in together (X, the
 * molecules that are not, is 0), and every atom bonded exactly once; FAIL (exit 1)
 * otherwise. A run longer than --timeout is ended by a watchdog (exit 3).
 */
#include "program.h"
#include "watchdog.h"
#include "quizzes/31_h2o.h" /* --quiz and --answers: its questions */

#include <semaphore.h>
#include <stdatomic.h>

static const char usage[] =
    "[--variant fixed|no-barrier] [--molecules N] [--seed S] [--timeout S] [--scale F]\n"
    "  2N hydrogen and N oxygen threads arrive in a seeded random order and bond as water.\n"
    "  --variant    fixed (default): a barrier of three keeps each molecule together\n"
    "               no-barrier: atoms leave as soon as they bond; molecules mix (exit 1)\n"
    "  --molecules  molecules to make, 1..300 (default 30)\n"
    "  --seed       seed of the arrival order and travel times, 0..2147483647 (default 1)\n"
    "  --timeout    seconds before the watchdog calls the run stuck, 0.1..3600 (default 30);\n"
    "               real seconds, times F when F is above 1\n"
    "  --scale      multiply every arrival gap and travel time by F, 0..100 (default 1)\n";

enum variant { VARIANT_FIXED, VARIANT_NO_BARRIER };
static const char *const variant_names[] = { "fixed", "no-barrier", NULL };

enum { MAX_MOLECULES = 300, MAX_ATOMS = 3 * MAX_MOLECULES };
enum kind { HYDROGEN, OXYGEN };
static const double longest_gap = 0.002;     /* between two arrivals, before --scale */
static const double longest_travel = 0.004;  /* to the bonding site, before --scale */

/* Semaphores report errors through errno, not a return value: checked with die_errno. */
static void sem_post_checked(sem_t *s, const char *what)
{
    if (sem_post(s) != 0)
        die_errno(what);
}

static void sem_wait_checked(sem_t *s, const char *what)
{
    while (sem_wait(s) != 0)
        if (errno != EINTR)
            die_errno(what);
}

/* ---- the reaction: the Little Book's semaphores, and a barrier of three ------------- */

static struct reaction {
    sem_t mutex;               /* a semaphore of 1: taken by an arrival, given back by the
                                * oxygen of the group that arrival let in */
    sem_t hydrogen_queue, oxygen_queue;
    pthread_barrier_t bonded;  /* the three atoms of a molecule */
    int hydrogen, oxygen;      /* waiting in the queues; under mutex */
    atomic_int groups;         /* groups let in so far: written under mutex, read by the
                                * atoms let in, who do not hold it (atomic: no data race) */
} reaction;

/* What the atoms did, for the verdict: written under its own lock. */
static struct record {
    pthread_mutex_t mu;
    int bonded;                 /* places taken in the line of bonded atoms */
    int atom_at[MAX_ATOMS];     /* who took each place */
} record = { .mu = PTHREAD_MUTEX_INITIALIZER };

struct atom {
    int id;
    enum kind kind;
    enum variant variant;
    double arrive_after, travel;   /* seconds, before --scale */
    int group;                     /* the group it was let in with */
    int place;                     /* its place in the line of bonded atoms */
};

/* Called with reaction.mutex held by the caller: if two hydrogen and one oxygen wait, let
 * exactly them in and keep the mutex for them (true); otherwise false. */
static bool let_in_a_group(void)
{
    if (reaction.hydrogen < 2 || reaction.oxygen < 1)
        return false;
    reaction.hydrogen -= 2;
    reaction.oxygen -= 1;
    atomic_fetch_add(&reaction.groups, 1);
    sem_post_checked(&reaction.hydrogen_queue, "sem_post(hydrogen_queue)");
    sem_post_checked(&reaction.hydrogen_queue, "sem_post(hydrogen_queue)");
    sem_post_checked(&reaction.oxygen_queue, "sem_post(oxygen_queue)");
    return true;
}

static void bond(struct atom *a)
{
    nap(a->travel);   /* to the bonding site */
    PT_CHECK(pthread_mutex_lock(&record.mu));
    a->place = record.bonded++;
    record.atom_at[a->place] = a->id;
    PT_CHECK(pthread_mutex_unlock(&record.mu));
}

static void *atom_main(void *arg)
{
    struct atom *a = arg;
    nap(a->arrive_after);

    sem_wait_checked(&reaction.mutex, "sem_wait(mutex)");
    if (a->kind == HYDROGEN)
        reaction.hydrogen++;
    else
        reaction.oxygen++;
    if (!let_in_a_group())
        sem_post_checked(&reaction.mutex, "sem_post(mutex)");

    sem_wait_checked(a->kind == HYDROGEN ? &reaction.hydrogen_queue : &reaction.oxygen_queue,
                     "sem_wait(queue)");
    /* Let in. In fixed, the mutex is still held for this group, so no later group can
     * have formed: this is the number of the group that let it in. */
    a->group = atomic_load(&reaction.groups);
    bond(a);

    if (a->variant == VARIANT_FIXED) {
        /* FIXED: nobody leaves until all three have bonded. */
        int rc = pthread_barrier_wait(&reaction.bonded);
        if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
            die_rc("pthread_barrier_wait", rc);
    }
    /* BROKEN (no-barrier): each atom goes as soon as it has bonded, and the oxygen opens
     * the door for the next group while its hydrogens may still be travelling. */
    if (a->kind == OXYGEN)
        sem_post_checked(&reaction.mutex, "sem_post(mutex)");
    return NULL;
}

/* ---- the check ----------------------------------------------------------------------- */

/* Molecules (three places in a row in the line of bonded atoms) that are not two H and
 * one O let in as one group. Prints each of the first few. */
static int count_mixed(const struct atom *atoms, int molecules)
{
    int mixed = 0;
    for (int m = 0; m < molecules; m++) {
        const struct atom *three[3];
        int h = 0;
        bool one_group = true;
        for (int k = 0; k < 3; k++) {
            three[k] = &atoms[record.atom_at[3 * m + k]];
            h += three[k]->kind == HYDROGEN;
            one_group = one_group && three[k]->group == three[0]->group;
        }
        if (h == 2 && one_group)
            continue;
        if (++mixed <= 5)
            printf("molecule %d is mixed: %c (group %d), %c (group %d), %c (group %d)\n", m + 1,
                   "HO"[three[0]->kind], three[0]->group, "HO"[three[1]->kind],
                   three[1]->group, "HO"[three[2]->kind], three[2]->group);
    }
    if (mixed > 5)
        printf("... and %d more mixed molecules\n", mixed - 5);
    return mixed;
}

/* Every atom took exactly one place. */
static bool each_atom_once(int natoms)
{
    static int seen[MAX_ATOMS];
    for (int p = 0; p < natoms; p++)
        if (seen[record.atom_at[p]]++ != 0)
            return false;
    return record.bonded == natoms;
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_FIXED;
    long molecules = 30;
    uint64_t seed = 1;
    double timeout = 30;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "molecules", required_argument, NULL, 'm' },
        { "seed", required_argument, NULL, 'r' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'm': molecules = parse_long("--molecules", optarg, 1, MAX_MOLECULES); break;
        case 'r': seed = (uint64_t)parse_long("--seed", optarg, 0, 2147483647L); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.1, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }
    int natoms = 3 * (int)molecules;

    if (sem_init(&reaction.mutex, 0, 1) != 0 || sem_init(&reaction.hydrogen_queue, 0, 0) != 0 ||
        sem_init(&reaction.oxygen_queue, 0, 0) != 0)
        die_errno("sem_init");
    PT_CHECK(pthread_barrier_init(&reaction.bonded, NULL, 3));
    printf("%ld molecules: %d hydrogen and %ld oxygen threads, seed %llu, variant %s\n",
           molecules, 2 * (int)molecules, molecules, (unsigned long long)seed,
           variant_names[variant]);

    /* The atoms: H, H, O for each molecule, shuffled (Fisher-Yates, seeded), each arriving
     * a random moment after the one before it, each with its own travel time. */
    static struct atom atoms[MAX_ATOMS];
    static enum kind order[MAX_ATOMS];
    uint64_t rng = seed;
    for (int i = 0; i < natoms; i++)
        order[i] = i % 3 == 2 ? OXYGEN : HYDROGEN;
    for (int i = natoms - 1; i > 0; i--) {
        int j = (int)rng_below(&rng, (uint64_t)i + 1);
        enum kind t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    watchdog dog;
    watchdog_start(&dog, scaled_timeout(timeout), NULL, NULL);
    pthread_t tids[MAX_ATOMS];
    double at = 0;
    for (int i = 0; i < natoms; i++) {
        at += longest_gap * (double)rng_below(&rng, 1001) / 1000;
        atoms[i] = (struct atom){ .id = i, .kind = order[i], .variant = variant,
                                  .arrive_after = at,
                                  .travel = longest_travel * (double)rng_below(&rng, 1001) / 1000 };
        PT_CHECK(pthread_create(&tids[i], NULL, atom_main, &atoms[i]));
    }
    for (int i = 0; i < natoms; i++)
        PT_CHECK(pthread_join(tids[i], NULL));
    watchdog_stop(&dog);

    int formed = record.bonded / 3;
    int oxygen = 0, hydrogen = 0;
    for (int i = 0; i < natoms; i++)
        *(atoms[i].kind == OXYGEN ? &oxygen : &hydrogen) += 1;
    int mixed = count_mixed(atoms, formed);
    bool once = each_atom_once(natoms);
    if (variant == VARIANT_NO_BARRIER && mixed == 0 && formed > 1)
        printf("no-barrier: no molecule mixed this time; that is luck, nothing prevented it\n");
    if (!once)
        printf("an atom bonded twice, or not at all\n");
    printf("%d molecules formed, %d of them mixed (not two H and one O let in together)\n",
           formed, mixed);

    PT_CHECK(pthread_barrier_destroy(&reaction.bonded));
    if (sem_destroy(&reaction.mutex) != 0 || sem_destroy(&reaction.hydrogen_queue) != 0 ||
        sem_destroy(&reaction.oxygen_queue) != 0)
        die_errno("sem_destroy");

    bool ok = formed == oxygen && 2 * formed == hydrogen && mixed == 0 && once;
    return verdict(ok, "variant=%s molecules=%d oxygen=%d hydrogen=%d mixed=%d",
                   variant_names[variant], formed, oxygen, hydrogen, mixed);
}
