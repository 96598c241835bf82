#!/usr/bin/env python3
"""http_server.py: the tutorials' Python web server, for `make bench` to drive with wrk.

    python3 bench/python/http_server.py --port 8000              # as Python ships it
    python3 bench/python/http_server.py --port 8000 --nodelay    # Nagle's algorithm off
    curl -s http://127.0.0.1:8000/

http.server.ThreadingHTTPServer (a thread per connection) with a BaseHTTPRequestHandler
that answers GET and HEAD / with one fixed body (--body FILE: that file's bytes, the bench
passes lesson 20's / page so that every server sends the same body; default a small page)
and 404 anything else. It listens on 127.0.0.1 only, prints "LISTENING port=N" once it
does (--port 0: the OS picks), and stops on SIGTERM or SIGINT with the verdict
"RESULT answered=N OK" (exit 0).

Two changes from the library's defaults, both needed to measure it at all, and one that is
the point of the comparison:
  - protocol_version "HTTP/1.1" (with a Content-Length): the default, HTTP/1.0, closes the
    connection after every answer, so wrk's keep-alive connections would each carry one
    request;
  - no log line per request (log_message does nothing): the default writes one to stderr,
    and nginx in the bench has its access log off too;
  - --nodelay sets TCP_NODELAY on every accepted socket (StreamRequestHandler's own switch,
    disable_nagle_algorithm). As shipped, the handler writes the head and the body in two
    send()s; with Nagle's algorithm on, the body waits for the client's ACK of the head,
    which the client delays (up to 40 ms on Linux): a keep-alive connection then carries
    about 25 requests a second instead of thousands.
Exit status: 0 after a clean stop, 2 bad usage (argparse).
"""
import argparse
import itertools
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_BODY = (b"<!doctype html>\n<title>http_server.py</title>\n<h1>http_server.py</h1>\n"
                b"<p>Python's ThreadingHTTPServer: a thread per connection.</p>\n")


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hangs up mid-request (wrk does, at the end of a run) is not an
        error worth a traceback; anything else is."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Stop(Exception):
    """Raised by the signal handler, in the main thread, out of serve_forever."""


def make_handler(body, nodelay, answered):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = nodelay

        def answer(self, send_body):
            if self.path != "/":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            next(answered)  # one C call: atomic under the interpreter lock

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

        def log_message(self, format, *args):
            pass

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0, help="0..65535 (default 0: the OS picks)")
    p.add_argument("--nodelay", action="store_true", help="TCP_NODELAY on accepted sockets")
    p.add_argument("--body", metavar="FILE", help="answer GET / with this file's bytes")
    args = p.parse_args()
    if not 0 <= args.port <= 65535:
        p.error(f"--port: expected 0..65535, got {args.port}")
    body = DEFAULT_BODY
    if args.body:
        with open(args.body, "rb") as f:
            body = f.read()
    answered = itertools.count()
    server = Server(("127.0.0.1", args.port), make_handler(body, args.nodelay, answered))

    def stop(signum, frame):
        # Once is enough: a second signal (timeout(1) sends one to the child and one to its
        # process group) must not land in the interpreter's shutdown, which restores the
        # default action and would end the process by the signal instead of its verdict.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.reconfigure(line_buffering=True)
    print(f"LISTENING port={server.server_address[1]}"
          f" nodelay={'yes' if args.nodelay else 'no'} body={len(body)}")
    try:
        server.serve_forever()
    except Stop:
        pass
    finally:
        server.server_close()  # the handler threads are daemons: nothing to join
    print(f"RESULT answered={next(answered)} OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
