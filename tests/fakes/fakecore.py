"""What the fake provider servers share: the fault queue of the control API,
the HTTP plumbing of a handler (bodies, truncated answers, dropped
connections, logging), the threaded server and its start and stop.

Each fake (fake_fluent.py, fake_fresh.py) keeps what is its provider's own:
data, routes, error bodies, rate limits.  Stdlib only.
"""

import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BadRequest(Exception):
    pass


def log(name, msg):
    try:
        sys.stderr.write("%s: %s\n" % (name, msg))
        sys.stderr.flush()
    except Exception:
        pass


class Fault:
    __slots__ = ("kind", "count", "on_page", "retry_after", "delay", "path", "message",
                 "content_type")


class FaultQueue:
    """FIFO of injected faults; a request takes the first one matching it."""

    def __init__(self, kinds, default_path):
        self.kinds = kinds
        self.default_path = default_path
        self.items = []

    def clear(self):
        self.items = []

    def add(self, body):
        if body.get("clear"):
            self.clear()
            return
        kind = str(body.get("kind", ""))
        if kind not in self.kinds:
            raise BadRequest("unknown fault kind %r (known: %s)" % (kind, sorted(self.kinds)))
        f = Fault()
        f.kind = kind
        try:
            f.count = int(body.get("count", 1))
            f.on_page = None if body.get("on_page") is None else int(body["on_page"])
            f.retry_after = body.get("retry_after", 1)
            f.delay = float(body.get("delay", 3.0 if kind == "slow" else 0.0))
        except (TypeError, ValueError) as e:
            raise BadRequest(str(e))
        f.path = str(body.get("path", self.default_path))
        f.message = str(body.get("message", "Internal Server Error"))
        f.content_type = body.get("content_type")
        self.items.append(f)

    def take(self, path, page):
        for idx, f in enumerate(self.items):
            if not path.startswith(f.path):
                continue
            if f.on_page is not None and page != f.on_page:
                continue
            if f.count > 0:
                f.count -= 1
                if f.count == 0:
                    del self.items[idx]
            return f
        return None

    def pending(self):
        return sum(f.count if f.count > 0 else 1 for f in self.items)


class BaseHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1; subclasses define dispatch() and SERVER_NAME."""
    protocol_version = "HTTP/1.1"
    timeout = 120
    SERVER_NAME = "fake"

    def version_string(self):
        return self.SERVER_NAME

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            self.server.log(fmt % args)

    def log_request(self, code="-", size="-"):
        if not self.server.quiet:
            self.server.log("%s %s %s" % (self.command, self.path,
                                          getattr(code, "value", code)))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n:
            try:
                n = int(n)
            except ValueError:
                n = 0
            return self.rfile.read(n) if n > 0 else b""
        return b""

    def send_all(self, status, ctype, headers, body, truncate=False):
        """Send a whole answer, or with truncate half of it and close."""
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            try:
                self.wfile.flush()
            except Exception:
                pass
            self.close_connection = True
        else:
            self.wfile.write(body)

    def drop(self):
        """Close the connection without any answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if not self.server.quiet:
            self.server.log("%s %s dropped" % (self.command, self.path))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, BrokenPipeError, socket.timeout, TimeoutError)):
            return
        import traceback
        self.log("error serving %s: %s" % (client_address, traceback.format_exc()))


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def serve(name, app, handler, port, port_file, quiet, banner):
    """Listen on 127.0.0.1:port, write the port file, serve until SIGTERM or
    SIGINT.  banner(port) is the line logged once listening.  -> exit status."""
    server = Server(("127.0.0.1", port), handler)
    server.app = app
    server.quiet = quiet
    server.log = lambda msg: log(name, msg)
    port = server.server_address[1]
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    th = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                          daemon=True)
    th.start()
    if port_file:
        write_port_file(port_file, port)
    server.log(banner(port))
    while not stop.wait(0.5):
        pass
    server.log("shutting down")
    server.shutdown()
    server.server_close()
    return 0
