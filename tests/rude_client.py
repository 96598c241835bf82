#!/usr/bin/env python3
"""rude_client.py: an HTTP client of lesson 20 that misbehaves in one way, for the tests.

    rude_client.py PORT nonreader   pipelined GET /add?k=1 requests, no answer ever read
    rude_client.py PORT slow        a good GET /add?k=1 every 0.2 s, reading each answer
    rude_client.py PORT trickle     one request, one byte every 0.1 s (slowloris)

Each first makes one whole exchange (GET /stats, keep-alive) so that a worker has surely
taken it, then says "taken" on stderr. It runs until the server ends the connection (or for
at most --for seconds, default 20) and prints one line on stdout:

    last: <the status line of the server's last answer> <its Connection header>
    ended: <why>

Exit 0 when the server ended the connection, 1 when it was still going at the end.
"""
import argparse
import select
import socket
import sys
import time


def read_answer(f):
    """One response: (status line, connection header value), or None at the close."""
    status = f.readline()
    if not status:
        return None
    length, connection = 0, ""
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection":
            connection = value.strip()
    f.read(length)
    return status.decode("latin-1").strip(), connection


def request(target):
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("how", choices=["nonreader", "slow", "trickle"])
    ap.add_argument("--for", dest="seconds", type=float, default=20)
    a = ap.parse_args()
    end = time.monotonic() + a.seconds
    sock = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    if a.how == "nonreader":
        # A small receive buffer, so that the server's answers back up soon.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    f = sock.makefile("rb")
    sock.sendall(request("/stats"))
    first = read_answer(f)
    if not first or not first[0].startswith("HTTP/1.1 200"):
        print(f"ended: no answer to GET /stats ({first!r})")
        return 1
    print("taken", file=sys.stderr, flush=True)
    last = None
    try:
        if a.how == "nonreader":
            burst = request("/add?k=1") * 200
            sock.settimeout(1)
            while time.monotonic() < end:
                try:
                    sock.sendall(burst)
                except socket.timeout:
                    continue  # the server is not reading either, for now
        elif a.how == "slow":
            while time.monotonic() < end:
                sock.sendall(request("/add?k=1"))
                last = read_answer(f)
                if last is None or last[1] == "close":
                    break
                time.sleep(0.2)
            else:
                last = "time"
        else:
            # Stop sending as soon as the server speaks: bytes sent after its hang-up
            # would earn a reset, which may take its answer with it.
            for byte in request("/add?k=1"):
                if time.monotonic() >= end:
                    break
                sock.sendall(bytes([byte]))
                if select.select([sock], [], [], 0.1)[0]:
                    break
            sock.settimeout(max(0.1, end - time.monotonic()))
            last = read_answer(f)
    except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
        print(f"ended: {e.__class__.__name__}")
        return 0 if not isinstance(e, socket.timeout) else 1
    if last == "time" or (a.how == "nonreader"):
        print("ended: still connected when time ran out")
        return 1
    print(f"last: {last[0]} {last[1]}" if last else "ended: closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
