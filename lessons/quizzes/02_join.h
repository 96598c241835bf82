/*
 * lessons/02_join.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/02_join --quiz asks them, --answers answers them,
 * and tests/02_join.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Without join (--variant no-join), main makes the coffee straight after "
             "pthread_create. How hot is the water in its coffee, and what is the exit status?",
      .run = "./build/02_join --variant no-join --scale 0.01",
      .status = 1,
      .shows = { "^main: make coffee with 20 C water$",
                 "^  kettle: water boiled \\(100 C\\)$",
                 "^RESULT variant=no-join coffee_water=20 returned=100 FAIL$" },
      .why = "20 C, and exit 1. pthread_create returns before the kettle thread has done any "
             "work, and nothing makes main wait for it, so main reads the temperature while it "
             "is still cold. The lesson also holds a stage mutex so that a busy machine cannot "
             "turn the order round: the cold coffee shows in every run." },
    { .ask = "The no-join run still calls pthread_join, after the coffee is made. With every "
             "nap removed (--scale 0), what value does that late join hand back?",
      .run = "./build/02_join --variant no-join --scale 0",
      .status = 1,
      .shows = { "^  kettle: water boiled \\(100 C\\)$",
                 "^main: the kettle says 100 C, too late for the coffee$",
                 "^RESULT variant=no-join coffee_water=20 returned=100 FAIL$" },
      .why = "100. pthread_join returns only once the kettle thread has returned, and hands "
             "main the pointer the thread returned: a heap int holding 100. A thread's result "
             "waits for whoever joins it, however late; it was the coffee that could not "
             "wait." },
    { .ask = "With --variant join and no naps at all (--scale 0), the kettle has almost "
             "nothing to do. Can main ever make the coffee before the water has boiled?",
      .run = "./build/02_join --variant join --scale 0",
      .status = 0,
      .shows = { "^  kettle: water boiled \\(100 C\\)$",
                 "^main: make coffee with 100 C water$",
                 "^RESULT variant=join coffee_water=100 returned=100 OK$" },
      .why = "No. main cannot get past pthread_join until the kettle thread has returned, and "
             "the thread boils the water and prints its line before it returns. The order "
             "comes from the join, not from the naps, so no machine is fast or slow enough to "
             "change it. The join also makes what the kettle wrote visible to main." },
    { .ask = "The bare command runs both: first without join (cold coffee), then with join. "
             "What exit status does it end with?",
      .run = "./build/02_join --scale 0.01",
      .status = 0,
      .shows = { "^without join:$",
                 "^with join:$",
                 "^RESULT variant=both no_join_coffee_water=20 coffee_water=100 returned=100 "
                 "OK$" },
      .why = "0. The verdict word and the exit status judge the join run only; the no-join run "
             "is there for contrast, and its cold coffee shows on the same line as "
             "no_join_coffee_water=20. The bare command of every lesson is the correct "
             "program." },
};
