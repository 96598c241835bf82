/*
 * lessons/10_producer_consumer.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/10_producer_consumer --quiz asks them,
 * --answers answers them, and tests/10_producer_consumer.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "With one slot (--capacity 1), 4 handlers and no naps, what depth does handler "
             "0's first \"queued\" line show, and how deep does the queue ever get?",
      .run = "./build/10_producer_consumer --capacity 1 --producers 4 --messages 20 --scale 0",
      .status = 0,
      .shows = { "^handler 0 queued #1  \\[queue 1/1\\]",
                 "^queue: 1 slots, deepest 1; handlers waited for room [0-9]+ times",
                 "^RESULT produced=80 consumed=80 duplicates=0 out_of_order=0 OK$" },
      .why = "1/1, and never deeper than 1. bq_put waits on not_full while the queue holds "
             "capacity items, so a put always finds a free slot and leaves the depth at most "
             "at the capacity. With one slot every put fills it and every take empties it." },
    { .ask = "16 loggers (--loggers 16) but only one message in all (--producers 1 --messages "
             "1): 15 loggers never get any work. Does the program end, or do they wait "
             "forever?",
      .run = "./build/10_producer_consumer --producers 1 --messages 1 --loggers 16 --scale 0",
      .status = 0,
      .shows = { "^1 handlers x 1 messages -> queue of 4 -> 16 loggers$",
                 "^main: every handler is done, [01] messages? still queued: closing the "
                 "queue$",
                 "^RESULT produced=1 consumed=1 duplicates=0 out_of_order=0 OK$" },
      .why = "It ends. bq_close sets the queue's closed flag and broadcasts not_empty, so "
             "every logger asleep in bq_take wakes, sees \"closed and empty\" and returns; "
             "main joins all 16. A signal instead of the broadcast would wake only one of "
             "them, and the watchdog would end the run STUCK (the header's Try)." },
    { .ask = "main closes the queue as soon as the last handler is done, while some "
             "messages may still be in it. With the default 3 handlers x 20 messages "
             "(--scale 0.01), are those messages lost?",
      .run = "./build/10_producer_consumer --scale 0.01",
      .status = 0,
      .shows = { "^handler 2 queued #20  \\[queue [1-4]/4\\]",
                 "^main: every handler is done, [0-4] messages? still queued: closing the "
                 "queue$",
                 "^RESULT produced=60 consumed=60 duplicates=0 out_of_order=0 OK$" },
      .why = "No. Closing only stops new puts; bq_take still hands out what is queued and "
             "returns BQ_CLOSED only once the queue is closed and empty. main's line comes "
             "after every handler's last line because main prints it after joining them." },
    { .ask = "Three loggers share the queue (--loggers 3) with 6 handlers and 2 slots. Can a "
             "message be written twice, or go missing, when several loggers take at once?",
      .run = "./build/10_producer_consumer --producers 6 --messages 20 --capacity 2 "
             "--loggers 3 --scale 0",
      .status = 0,
      .shows = { "^6 handlers x 20 messages -> queue of 2 -> 3 loggers$",
                 "^RESULT produced=120 consumed=120 duplicates=0 out_of_order=0 OK$" },
      .why = "Neither. A take copies the message out and moves the head under the queue's "
             "mutex, so two loggers can never take the same slot, and a put never "
             "overwrites a slot that has not been taken. Each logger still sees each "
             "handler's numbers increasing, because the queue is FIFO." },
};
