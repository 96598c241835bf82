/*
 * lessons/15_semaphore.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/15_semaphore --quiz asks them, --answers
 * answers them, and tests/15_semaphore.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "With one space (--spaces 1 --cars 4 --scale 0.01), how many cars are ever inside "
             "the lot at once?",
      .run = "./build/15_semaphore --spaces 1 --cars 4 --scale 0.01",
      .status = 0,
      .shows = { "^main: at most 1 car inside at once, with 1 space$",
                 "^RESULT variant=semaphore spaces=1 cars=4 parked=4 max_occupancy=1 "
                 "free_at_end=1 OK$" },
      .why = "One. A semaphore that starts at 1 lets one sem_wait through and holds the next "
             "until somebody posts: it works as a lock. Unlike a mutex, nobody owns it, so any "
             "thread may post it." },
    { .ask = "With no naps at all (--scale 0), 64 cars race for 4 spaces as fast as their "
             "threads start. Can a fifth car get in, and does every car park?",
      .run = "./build/15_semaphore --cars 64 --spaces 4 --scale 0",
      .status = 0,
      .shows = { "^RESULT variant=semaphore spaces=4 cars=64 parked=64 max_occupancy=[1-4] "
                 "free_at_end=4 OK$" },
      .why = "Never more than 4, and all 64 park. The bound comes from the count, not from "
             "timing: sem_wait takes a unit or waits for one, so a fifth car passes only after "
             "a car has left and posted. Every car gives back what it took, so the value ends "
             "where it began, 4 free spaces." },
    { .ask = "--variant unbounded drops the semaphore. With as many spaces as cars (--spaces 6 "
             "--cars 6), can the lot overflow?",
      .run = "./build/15_semaphore --variant unbounded --spaces 6 --cars 6 --scale 0.01",
      .status = 0,
      .shows = { "^RESULT variant=unbounded spaces=6 cars=6 parked=6 max_occupancy=[1-6] "
                 "free_at_end=6 OK$" },
      .why = "No. Six cars cannot take more than six spaces, semaphore or not, so the broken "
             "variant passes. It fails only when more cars overlap than there are spaces: a "
             "test with a big enough lot never finds the bug." },
    { .ask = "One space, two cars; a car parks at least 0.25 s (--scale 0.5), and a car waits "
             "at the gate at most 10 ms (--timeout 0.01). How does the run end?",
      .run = "./build/15_semaphore --spaces 1 --cars 2 --timeout 0.01 --scale 0.5",
      .status = 3,
      .shows = { "^car +[12]: gave up after waiting 0\\.01 s at the gate",
                 "^RESULT variant=semaphore spaces=1 cars=2 parked=1 max_occupancy=1 "
                 "free_at_end=1 gave_up=1 STUCK$" },
      .why = "STUCK, exit 3: the car that comes second (car 2, unless car 1 starts late) gives "
             "up. sem_timedwait returns ETIMEDOUT when its deadline passes, so a lot that "
             "never frees up in time ends the lesson instead of hanging it. free_at_end is 1: "
             "the car that parked gave its space back." },
};
