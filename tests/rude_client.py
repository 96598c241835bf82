#!/usr/bin/env python3
"""rude_client.py: a client of lesson 20 that misbehaves in one way, for the tests.

    rude_client.py PORT nonreader   send ADD lines without ever reading an answer
    rude_client.py PORT slow        a valid ADD every 0.2 s, reading each answer
    rude_client.py PORT trickle     one request line, one byte every 0.1 s

Once a worker has taken it (HELLO arrived) it says "taken" on stderr. It runs until the
server hangs up (or for at most --for seconds, default 20) and prints one line on stdout,
what the server last said (or how the connection ended):

    last: <the server's last line>     or     ended: <why>

Exit 0 when the server ended the connection, 1 when it was still going at the end.
"""
import argparse
import select
import socket
import sys
import time


def last_line(sock, timeout):
    """Read what is left until the server closes; return the last whole line."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data = (data + chunk)[-4096:]
    except (socket.timeout, ConnectionResetError):
        pass
    lines = [l for l in data.split(b"\n") if l]
    return lines[-1].decode("ascii", "replace") if lines else ""


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
    # A worker has taken us when HELLO arrives. The nonreader only peeks at it: it stays
    # unread, like every answer after it.
    f = sock.makefile("rb")
    hello = sock.recv(64, socket.MSG_PEEK) if a.how == "nonreader" else f.readline()
    if not hello.startswith(b"HELLO "):
        print(f"ended: no HELLO ({hello!r})")
        return 1
    print("taken", file=sys.stderr, flush=True)
    try:
        if a.how == "nonreader":
            burst = b"ADD 1\n" * 1000
            sock.settimeout(1)
            while time.monotonic() < end:
                try:
                    sock.sendall(burst)
                except socket.timeout:
                    continue  # the server is not reading either, for now
        elif a.how == "slow":
            while time.monotonic() < end:
                sock.sendall(b"ADD 1\n")
                answer = f.readline()
                if not answer.startswith(b"OK "):
                    print(f"last: {answer.decode('ascii', 'replace').strip()}")
                    return 0
                time.sleep(0.2)
        else:
            # Stop sending as soon as the server speaks: bytes sent after its hang-up
            # would earn a reset, which may take its last line with it.
            for byte in b"ADD 000000000000001\n":
                if time.monotonic() >= end:
                    break
                sock.sendall(bytes([byte]))
                if select.select([sock], [], [], 0.1)[0]:
                    break
            print(f"last: {last_line(sock, max(0.1, end - time.monotonic()))}")
            return 0
    except (BrokenPipeError, ConnectionResetError) as e:
        print(f"ended: {e.__class__.__name__}")
        return 0
    print("ended: still connected when time ran out")
    return 1


if __name__ == "__main__":
    sys.exit(main())
