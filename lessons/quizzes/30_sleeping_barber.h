/*
 * lessons/30_sleeping_barber.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/30_sleeping_barber --quiz asks them,
 * --answers answers them, and tests/30_sleeping_barber.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant lost-wakeup checks \"nobody waits\" under the lock, lets go of it, and "
             "only then sleeps; the lesson holds the barber in that gap until the first "
             "customer rings. 20 customers come within 0.04 s (--variant lost-wakeup "
             "--timeout 0.5 --scale 0.01): how many are served, and how many turned away?",
      .run = "./build/30_sleeping_barber --variant lost-wakeup --timeout 0.5 --scale 0.01",
      .status = 3,
      .shows = { "^stuck: lost wakeup: 1 ring of the bell came while the barber was between "
                 "\"nobody waits\" and his sleep, and nobody heard it$",
                 "^stuck: the 19 customers who came later found someone waiting, so did not "
                 "ring$",
                 "^RESULT variant=lost-wakeup customers=20 served=0 turned_away=17 waiting=3 "
                 "stuck_after=0\\.5s STUCK$" },
      .why = "None served, 17 turned away. The one ring came while the barber was in his "
             "gap, so nobody heard it, and everyone after it found someone waiting and did "
             "not ring. He sleeps beside a full room (3 chairs) and the supervisor ends the "
             "run with exit 3. pthread_cond_wait closes the gap: it lets go of the mutex and "
             "sleeps in one step." },
    { .ask = "The same broken barber and a single customer, who comes at once (--variant "
             "lost-wakeup --customers 1 --timeout 0.5 --scale 0). Is one customer enough to "
             "hang the shop?",
      .run = "./build/30_sleeping_barber --variant lost-wakeup --customers 1 --timeout 0.5 "
             "--scale 0",
      .status = 3,
      .shows = { "^stuck: customer 1 sits in the waiting room, waiting for the barber$",
                 "^RESULT variant=lost-wakeup customers=1 served=0 turned_away=0 waiting=1 "
                 "stuck_after=0\\.5s STUCK$" },
      .why = "Yes. The customer finds the room empty and rings once, while the barber is "
             "between his check and his sleep; then he sleeps, and nobody is left to ring. "
             "Making every customer ring (the Try) hides the bug when someone comes later, "
             "never when nobody does." },
    { .ask = "Eight customers arrive at the same moment (--scale 0) at a shop with eight "
             "waiting-room chairs (--customers 8 --chairs 8 --scale 0). How many are turned "
             "away?",
      .run = "./build/30_sleeping_barber --customers 8 --chairs 8 --scale 0",
      .status = 0,
      .shows = { "^served 8, turned away 0 \\(every chair taken\\), most waiting at once [1-8] "
                 "of 8$",
                 "^RESULT variant=fixed customers=8 served=8 turned_away=0 chairs=8 "
                 "max_waiting=[1-8] max_in_chair=1 OK$" },
      .why = "None. A customer leaves only when every chair is taken, and eight chairs seat "
             "all eight even before the barber starts. The barber sleeps only when nobody "
             "waits, so each of them gets a haircut." },
    { .ask = "One chair and 60 customers arriving fast (--customers 60 --chairs 1 --scale "
             "0.01): many are turned away. Do two ever wait at once, or sit in the barber's "
             "chair together?",
      .run = "./build/30_sleeping_barber --customers 60 --chairs 1 --scale 0.01",
      .status = 0,
      .shows = { "^served [0-9]+, turned away [0-9]+ \\(every chair taken\\), most waiting at "
                 "once 1 of 1$",
                 "^RESULT variant=fixed customers=60 served=[0-9]+ turned_away=[0-9]+ "
                 "chairs=1 max_waiting=1 max_in_chair=1 OK$" },
      .why = "Never. A customer counts the free chairs and takes one under the shop's mutex, "
             "so two cannot both take the last one, and the barber calls one customer at a "
             "time to his chair. How many are served depends on the arrival times; that "
             "served plus turned away is 60 does not, and the verdict checks it." },
};
