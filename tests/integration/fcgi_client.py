#!/usr/bin/env python3
"""A small FastCGI client for the suites: speaks to a program's socket the
way nginx does, so that what nginx does with a connection (keep it open,
send a body, hang up) can be done on purpose and checked.

  fcgi_client.py SOCKET CASE

prints what it saw, one fact a line, and exits 0; a fault exits 1 with the
reason.  Every wait is bounded (socket timeouts)."""

import os
import signal
import socket
import struct
import subprocess
import sys
import time

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
KEEP_CONN = 1


def record(rtype, rid, body=b""):
    pad = -len(body) % 8
    return struct.pack("!BBHHBx", 1, rtype, rid, len(body), pad) + body + b"\0" * pad


def pair_len(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def request(rid, params, body=b"", keep=True, stdin_end=True):
    out = record(BEGIN, rid, struct.pack("!HB5x", 1, KEEP_CONN if keep else 0))
    pp = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        pp += pair_len(len(k)) + pair_len(len(v)) + k + v
    out += record(PARAMS, rid, pp) + record(PARAMS, rid)
    if body:
        out += record(STDIN, rid, body)
    if stdin_end:
        out += record(STDIN, rid)
    return out


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def answer(s):
    """The STDOUT of one request, up to its END_REQUEST record."""
    out = b""
    while True:
        _, rtype, _, clen, pad = struct.unpack("!BBHHBx", recv_exact(s, 8))
        body = recv_exact(s, clen + pad)[:clen]
        if rtype == STDOUT:
            out += body
        elif rtype == END:
            return out.decode("utf-8", "replace")


def status_of(text):
    for line in text.split("\r\n"):
        if line.startswith("Status: "):
            return line.split()[1]
    return "none"


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def closed_by_peer(s, secs=5.0):
    """True when the program hung up: recv gives EOF (or a reset)."""
    s.settimeout(secs)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def kept_connections(path, n, params):
    """n connections, each with one request answered and kept open."""
    conns = []
    for _ in range(n):
        s = connect(path)
        s.sendall(request(1, params))
        answer(s)
        conns.append(s)
    return conns


GET = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": "/api/health",
       "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1"}


def main():
    path, case = sys.argv[1], sys.argv[2]
    if case == "kept":
        # Three requests, one connection: each answered, the connection open.
        s = connect(path)
        for rid in (1, 2, 3):
            s.sendall(request(rid, GET))
            a = answer(s)
            print("answer %d: %s" % (rid, status_of(a)))
        print("open after 3:", "no" if closed_by_peer(s, 0.3) else "yes")
    elif case == "idle":
        # More idle kept connections than the program has workers, then a
        # request on a new connection: answered at once.
        n = int(sys.argv[3])
        idle = kept_connections(path, n, GET)
        t0 = time.monotonic()
        s = connect(path)
        s.sendall(request(1, GET))
        a = answer(s)
        print("new connection beside %d idle: %s in %s" % (
            n, status_of(a), "under 2 s" if time.monotonic() - t0 < 2 else "over 2 s"))
        # And each idle one still serves its next request.
        ok = 0
        for c in idle:
            c.sendall(request(2, GET))
            if status_of(answer(c)) == "200":
                ok += 1
        print("idle connections answering again: %d of %d" % (ok, n))
        for c in idle + [s]:
            c.close()
    elif case == "unread":
        # A body the program does not read (405 before the body): the
        # answer comes, then the program closes the connection rather than
        # take the rest of the body for a next request.
        s = connect(path)
        body = b"x" * 5000
        p = dict(GET, REQUEST_METHOD="POST", CONTENT_LENGTH=str(len(body)),
                 CONTENT_TYPE="application/json")
        s.sendall(request(1, p, body))
        print("answer:", status_of(answer(s)))
        print("closed after unread body:", "yes" if closed_by_peer(s) else "no")
    elif case == "hangup":
        # Connections opened and dropped, one mid-request: the workers let
        # them go (count the program's sockets before and after: the suite).
        for i in range(int(sys.argv[3])):
            s = connect(path)
            if i % 2 == 0:
                s.sendall(request(1, GET))
                answer(s)
            else:
                s.sendall(request(1, GET, stdin_end=False)[:30])
            s.close()
        s = connect(path)
        s.sendall(request(1, GET))
        print("after hang-ups:", status_of(answer(s)))
        s.close()
    elif case == "batch":
        # K kept connections to a one-process program (PID); the program
        # is stopped while a request arrives on each, so that it finds all
        # K waiting at once.  COUNT prints MariaDB's count of executed
        # statements, CHANGE writes what status shows, LOG is the
        # program's log.
        pid, k = int(sys.argv[3]), int(sys.argv[4])
        count_cmd, change_cmd, log = sys.argv[5], sys.argv[6], sys.argv[7]
        st = dict(GET, DOCUMENT_URI="/api/fluent/status")
        conns = kept_connections(path, k, st)

        def stopped():
            # kill() returns before the stop takes effect: a request sent
            # at once could still be taken alone.
            for _ in range(200):
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "T":
                        return
                time.sleep(0.01)
            raise OSError("process %d did not stop" % pid)

        def batch():
            os.kill(pid, signal.SIGSTOP)
            try:
                stopped()
                for c in conns:
                    c.sendall(request(1, st))
                time.sleep(0.3)
            finally:
                os.kill(pid, signal.SIGCONT)
            got = [answer(c) for c in conns]
            return (" ".join(status_of(a) for a in got),
                    {a.split("\r\n\r\n", 1)[-1] for a in got})

        def count():
            out = subprocess.run(count_cmd, shell=True, capture_output=True,
                                 text=True, timeout=30).stdout.split()
            return int(out[-1]) if out else -1

        def logged():
            with open(log, encoding="utf-8", errors="replace") as f:
                return sum(1 for line in f
                           if "GET /api/fluent/status 200" in line)

        c0 = count()
        codes, bodies1 = batch()
        c1 = count()
        print("batch 1 answers:", codes)
        print("batch 1 bodies alike:", "yes" if len(bodies1) == 1 else "no")
        print("batch 1 statements:", c1 - c0)
        print("logged after batch 1:", logged())
        subprocess.run(change_cmd, shell=True, check=True, timeout=30)
        codes, bodies2 = batch()
        print("batch 2 answers:", codes)
        print("batch 2 bodies alike:", "yes" if len(bodies2) == 1 else "no")
        print("batch 2 shows the change:",
              "yes" if bodies1.isdisjoint(bodies2) else "no")
        for c in conns:
            c.close()
    else:
        print("unknown case", case, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError) as e:
        print("fault: %s" % e)
        sys.exit(1)
