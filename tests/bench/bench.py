#!/usr/bin/env python3
"""Deskhub benchmarks: every figure is a ratio to a limit measured in the
same run on the same machine (the machines are shared and noisy).

Run by tests/bench/run (make bench), which starts the private stack in
$STACK_DIR with 100 FluentSupport tickets a page.  Sections, in order:

  sync       full FluentSupport sync of 20,000 and 100,000 tickets into an
             empty database, re-sync with nothing changed, re-sync with 1%
             changed; limits: curl downloading the same pages at the same
             concurrency, MariaDB bulk-loading (LOAD DATA) the same rows into
             scratch copies of the tables.
  closures   a month (30 days) of Freshservice closures, 62,500 tickets of
             which 50,000 resolved/closed, 40 agents, each day force-synced
             at the end of that day; same two limits.
  endpoints  wrk, 64 connections, against nginx serving a static file of the
             same size; VmRSS of every FastCGI worker across 100,000 requests.
  scale      GET /api/requests on 1,000,000 rows: first page vs offset 900000.

Figures are medians of BENCH_RUNS runs (default 3; at least 5 for the
re-syncs and the scale timings).
Memory is VmHWM (peak RSS) from /proc, reset before each run through
/proc/PID/clear_refs.  Every loop and wait is bounded.  Stdlib only.
"""

import base64
import datetime as dt
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.environ.get("STACK_DIR", os.path.join(ROOT, "tests", "var", "bench"))
RUNS = max(1, int(os.environ.get("BENCH_RUNS", "3")))
RESYNC_RUNS = max(RUNS, 5) if RUNS > 1 else 1
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "20000,100000").split(",") if x]
WRK_SECS = max(1, int(os.environ.get("BENCH_WRK_SECS", "10")))
CONC = int(os.environ.get("FLUENT_CONCURRENCY", "4"))
PER_PAGE = 100
# The fake providers' credentials, as tests/stack.sh starts them.
FLUENT_AUTH = ("wpuser", "abcd efgh ijkl mnop")
FRESH_KEY = "testkey"
BIZ_TZ = "America/New_York"         # DESKHUB_TIMEZONE of tests/stack.sh
OUT = os.path.join(ROOT, "tests", "artifacts", "bench-results.txt")


def load_env():
    env = {}
    with open(os.path.join(STACK, "env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


E = load_env()
BASE = E["BASE"]
ADMIN = (E["ADMIN_USER"], E["ADMIN_PASS"])
VAR = E["STACK_VAR"]
DUMP = os.path.join(VAR, "bench-dump")
HTDOCS = os.path.join(ROOT, "htdocs")
ROWS = []          # the summary table
NOTES = []


def log(*a):
    print("bench:", *a, flush=True)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


# ----------------------------------------------------------------- helpers

def sql(q, db="deskhub", timeout=900):
    p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + E["DB_SOCKET"],
                        "-u", E["DB_ADMIN"], "-N", "-B", db, "-e", q],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("sql failed: %s\n%s" % (q[:200], p.stderr))
    return p.stdout


def sql_timed(stmts, timeout=900):
    """Run stmts in one session; seconds between the first and the last."""
    q = "SET @bench_t0 = NOW(6); %s; SELECT TIMESTAMPDIFF(MICROSECOND, @bench_t0, NOW(6))" % stmts
    return int(sql(q, timeout=timeout).strip().splitlines()[-1]) / 1e6


def http(method, url, body=None, auth=ADMIN, timeout=900, raw=False):
    data = None
    hdrs = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if auth is not None:
        hdrs["Authorization"] = basic(*auth)
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            out = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        out = e.read()
        status = e.code
    if raw:
        return status, out
    try:
        return status, json.loads(out)
    except ValueError:
        return status, out.decode("utf-8", "replace")


def ctl(fake, path, body, timeout=300):
    st, out = http("POST", fake + "/__control/" + path, body, auth=None,
                   timeout=timeout)
    if st != 200:
        raise RuntimeError("control %s: %s %s" % (path, st, out))
    return out


def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == ppid:
            out.append(int(d))
    return sorted(out)


def workers(prog):
    with open(os.path.join(VAR, "run", prog + ".pid")) as f:
        master = int(f.read().strip())
    kids = children(master)
    return kids if kids else [master]


def vm(pid, key):
    """kB of VmRSS / VmHWM of pid, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_hwm(pids):
    for p in pids:
        try:
            with open("/proc/%d/clear_refs" % p, "w") as f:
                f.write("5")
        except OSError:
            pass


def mib(kb):
    return "-" if kb is None else "%.1f MiB" % (kb / 1024.0)


def row(section, figure, value, limit="", ratio=None, target="", ok=None):
    ROWS.append((section, figure, value, limit,
                 "" if ratio is None else "%.2fx" % ratio if ratio >= 0.1
                 else "%.3fx" % ratio, target,
                 "" if ok is None else ("yes" if ok else "NO")))


def curl_many(urls, conc, auth_user=None, auth_pw=None, header=None):
    """Fetch urls with conc curl processes (contiguous shares, keep-alive
    inside each); returns (seconds, number of 200 answers)."""
    conc = max(1, min(conc, len(urls)))
    share = math.ceil(len(urls) / conc)
    procs = []
    t0 = time.monotonic()
    for i in range(conc):
        part = urls[i * share:(i + 1) * share]
        if not part:
            continue
        cmd = ["curl", "-sS", "--max-time", "600", "-w", "%{http_code}\n"]
        if auth_user is not None:
            cmd += ["-u", "%s:%s" % (auth_user, auth_pw)]
        if header:
            cmd += ["-H", header]
        for u in part:
            cmd += ["-o", "/dev/null", u]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True))
    ok = 0
    for p in procs:
        out, _ = p.communicate(timeout=900)
        ok += sum(1 for c in out.split() if c == "200")
    return time.monotonic() - t0, ok


def insert_cols(table):
    return sql("SELECT column_name FROM information_schema.columns WHERE "
               "table_schema = 'deskhub' AND table_name = '%s' AND extra NOT "
               "LIKE '%%GENERATED%%' ORDER BY ordinal_position" % table).split()


class BulkLimit:
    """The rows of tables dumped once, and LOAD DATA of all of them into
    empty scratch copies (same columns and indexes), timed as often as
    asked, so that the limit can be measured next to each run it bounds."""

    def __init__(self, tables):
        os.makedirs(DUMP, exist_ok=True)
        self.tables = tables
        self.loads = []
        self.nrows = 0
        self.nbytes = 0
        for t in tables:
            cols = ", ".join("`%s`" % c for c in insert_cols(t))
            path = self.drop_dump(t)
            sql("SELECT %s INTO OUTFILE '%s' FROM `%s`" % (cols, path, t))
            self.nbytes += os.path.getsize(path)
            self.nrows += int(sql("SELECT COUNT(*) FROM `%s`" % t))
            sql("DROP TABLE IF EXISTS bench_%s; CREATE TABLE bench_%s LIKE %s"
                % (t, t, t))
            self.loads.append("LOAD DATA INFILE '%s' INTO TABLE bench_%s (%s)"
                              % (path, t, cols))

    def once(self):
        sql("; ".join("TRUNCATE TABLE bench_%s" % t for t in self.tables))
        return sql_timed("; ".join(self.loads))

    def close(self):
        sql("; ".join("DROP TABLE IF EXISTS bench_%s" % t for t in self.tables))
        for t in self.tables:
            self.drop_dump(t)

    @staticmethod
    def drop_dump(table):
        """Remove the dump file of table, if any; its path."""
        path = os.path.join(DUMP, table + ".tsv")
        if os.path.exists(path):
            os.unlink(path)
        return path


def bulk_limit(tables, runs):
    """LOAD DATA of the rows of tables, median of runs back to back."""
    b = BulkLimit(tables)
    try:
        times = [b.once() for _ in range(runs)]
    finally:
        b.close()
    return med(times), b.nrows, b.nbytes


def busy_share(secs):
    """The share of this machine's CPU time (steal left out: that is the
    neighbours') not idle over secs."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        steal = v[7] if len(v) > 7 else 0
        return v[3], sum(v[:8]) - steal
    i0, t0 = snap()
    time.sleep(secs)
    i1, t1 = snap()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


SETTLED = []


def settle(limit=30.0):
    """Wait for a quiet machine before a timed run: the page cache written
    back and the CPUs at least 90% idle over half a second.  After a big
    write MariaDB purges and the kernel writes back for seconds; a run
    timed then measures that too.  At most limit seconds."""
    t0 = time.monotonic()
    subprocess.run(["sync"], timeout=300)
    while time.monotonic() - t0 < limit and busy_share(0.5) > 0.10:
        pass
    SETTLED.append(time.monotonic() - t0)


# -------------------------------------------------------------------- sync

def reset_db():
    sql("DELETE FROM fluent_sync_staging; DELETE FROM fluent_tickets; "
        "DELETE FROM requests; DELETE FROM fluent_sync_status; "
        "UPDATE sync_locks SET run_id = NULL, holder_conn = NULL, "
        "heartbeat_at = NULL")


def fluent_url(page):
    return ("%s/wp-json/fluent-support/v2/tickets?page=%d&per_page=%d&"
            "order_by=created_at&order_type=DESC&filters%%5Bstatus_type%%5D=all"
            % (E["FLUENT_FAKE"], page, PER_PAGE))


def warm_fluent():
    # The fake sorts on the first list request after a change; keep that
    # out of both the sync and the download limit.
    subprocess.run(["curl", "-sS", "-o", "/dev/null", "-u",
                    "%s:%s" % FLUENT_AUTH, fluent_url(1)], check=True,
                   timeout=300)


def one_sync(expect):
    sync_pids = workers("sync")
    reset_hwm(sync_pids)
    t0 = time.monotonic()
    st, out = http("POST", BASE + "/api/fluent/sync",
                   {"dateFilter": "2000-01-01"})
    secs = time.monotonic() - t0
    if st != 200 or not isinstance(out, dict) or not out.get("success"):
        raise RuntimeError("sync failed: %s %s" % (st, str(out)[:400]))
    for k, v in expect.items():
        if out.get(k) != v:
            raise RuntimeError("sync: %s is %s, want %s (%s)"
                               % (k, out.get(k), v, out))
    pid = int(sql("SELECT pid FROM fluent_sync_status ORDER BY id DESC LIMIT 1"))
    return secs, vm(pid, "VmHWM"), out


def bench_sync(n):
    log("sync %d: generating the tickets in the fake" % n)
    ctl(E["FLUENT_FAKE"], "reset", {"tickets": n, "now": "2026-03-01T12:00:00Z"},
        timeout=600)
    pages = math.ceil(n / PER_PAGE)
    urls = [fluent_url(p) for p in range(1, pages + 1)]
    warm_fluent()

    def download():
        secs, ok = curl_many(urls, CONC, *FLUENT_AUTH)
        if ok != pages:
            raise RuntimeError("download: %d of %d pages answered 200" % (ok, pages))
        return secs

    settle()
    dl = [download() for _ in range(RUNS)]
    log("sync %d: download limit %.2f s (%s)" % (n, med(dl), ", ".join("%.2f" % x for x in dl)))

    # Each limit is measured next to the run it bounds: the load right
    # after each full sync, the download right before each re-sync.
    full, full_mem, loads = [], [], []
    bl = None
    try:
        for i in range(RUNS):
            reset_db()
            settle()
            secs, hwm, _ = one_sync({"ticketsFetched": n, "ticketsAdded": n})
            full.append(secs)
            full_mem.append(hwm)
            if bl is None:
                bl = BulkLimit(["requests", "fluent_tickets"])
            settle()
            loads.append(bl.once())
            log("sync %d: full sync %.2f s, sync worker peak %s; bulk load %.2f s"
                % (n, secs, mib(hwm), loads[-1]))
    finally:
        if bl is not None:
            bl.close()
    load, nrows, nbytes = med(loads), bl.nrows, bl.nbytes
    pages_done = int(sql("SELECT pages_fetched FROM fluent_sync_status ORDER BY id DESC LIMIT 1"))
    if pages_done != pages:
        NOTES.append("sync %d: the sync fetched %d pages, the download limit %d"
                     % (n, pages_done, pages))
    log("sync %d: bulk-load limit %.2f s (%d rows, %.1f MB)" % (n, load, nrows, nbytes / 1e6))

    # A re-sync and its download take 0.2-1 s, where a stray second of
    # another process shows: each is taken on a quiet machine, and the
    # medians are of RESYNC_RUNS pairs.
    same, same_mem, same_dl = [], [], []
    for _ in range(RESYNC_RUNS):
        settle()
        same_dl.append(download())
        settle()
        secs, hwm, _ = one_sync({"ticketsFetched": n, "ticketsSkipped": n})
        same.append(secs)
        same_mem.append(hwm)
        log("sync %d: download %.2f s, then re-sync, nothing changed, %.2f s, peak %s"
            % (n, same_dl[-1], secs, mib(hwm)))

    changed, changed_mem, changed_dl = [], [], []
    k = max(1, n // 100)
    for r in range(RESYNC_RUNS):
        ids = range(1, n + 1, max(1, n // k))
        ctl(E["FLUENT_FAKE"], "tickets", {"tickets": [
            {"id": i, "title": "Bench run %d changed ticket %d" % (r, i)}
            for i in list(ids)[:k]]})
        warm_fluent()
        settle()
        changed_dl.append(download())
        settle()
        secs, hwm, _ = one_sync({"ticketsFetched": n, "ticketsUpdated": k})
        changed.append(secs)
        changed_mem.append(hwm)
        log("sync %d: download %.2f s, then re-sync, 1%% changed, %.2f s, peak %s"
            % (n, changed_dl[-1], secs, mib(hwm)))

    lim = max(med(dl), load)
    tag = "%dk" % (n // 1000)
    limits = "dl %.2fs, load %.2fs" % (med(dl), load)
    row("sync", "full sync %s tickets" % tag, "%.2f s" % med(full), limits,
        med(full) / lim, "<= 1.5x max", med(full) / lim <= 1.5)
    row("sync", "re-sync %s, no change" % tag, "%.2f s" % med(same),
        "dl %.2fs" % med(same_dl), med(same) / med(same_dl), "<= 1.2x dl",
        med(same) / med(same_dl) <= 1.2)
    row("sync", "re-sync %s, 1%% changed" % tag, "%.2f s" % med(changed),
        "dl %.2fs" % med(changed_dl), med(changed) / med(changed_dl), "(info)")
    peak = max(x for x in full_mem + same_mem + changed_mem if x is not None)
    row("sync", "sync worker peak %s" % tag, mib(peak), "", None,
        "< 64 MiB" if n >= 100000 else "(info)",
        peak < 64 * 1024 if n >= 100000 else None)
    NOTES.append("sync %s: full %s s, load %s s (%d rows, %.1f MB), download %s s; "
                 "no change %s s, download before each %s s; 1%% %s s, download "
                 "before each %s s; peaks full/same/1%% %s / %s / %s"
                 % (tag, fmt(full), fmt(loads), nrows, nbytes / 1e6, fmt(dl),
                    fmt(same), fmt(same_dl), fmt(changed), fmt(changed_dl),
                    mib(max(full_mem)), mib(max(same_mem)),
                    mib(max(changed_mem))))


def fmt(xs):
    return "/".join("%.2f" % x for x in xs)


# ---------------------------------------------------------------- closures

FRESH_TEMPLATE = {
    "workspace_id": 2, "subject": "VPN not connecting", "description":
    "<div>Cannot connect to VPN &amp; mail since this morning</div>",
    "description_text": "Cannot connect to VPN & mail since this morning",
    "priority": 2, "source": 2, "type": "Incident", "requester_id": 21000500016,
    "requested_for_id": 21000500016, "department_id": None, "category": None,
    "sub_category": None, "item_category": None, "urgency": 2, "impact": 1,
    "fr_escalated": False, "is_escalated": False, "spam": False,
    "deleted": False, "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [],
    "to_emails": None, "email_config_id": None, "tags": ["vpn"],
    "custom_fields": {}, "attachments": [], "resolution_notes": None,
    "resolution_notes_html": None,
}

MONTH_TICKETS = 62500      # 80% resolved or closed: 50,000
MONTH_DAYS = 30


def iso(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def gen_day(day, first_id, n, agents, rng):
    """n tickets created and (80%) resolved or closed on local date day,
    updated last on that day: the state at the end of that day."""
    zone = ZoneInfo(BIZ_TZ)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    out = []
    closed = 0
    for i in range(n):
        c = start + dt.timedelta(minutes=rng.uniform(30, 20 * 60))
        done = c + dt.timedelta(minutes=rng.uniform(5, 180))
        x = rng.random()
        status = 2 if x < 0.1 else 3 if x < 0.2 else 4 if x < 0.5 else 5
        stats = {"agent_responded_at": iso(c + dt.timedelta(minutes=3)),
                 "requester_responded_at": None,
                 "first_responded_at": iso(c + dt.timedelta(minutes=3)),
                 "status_updated_at": iso(done), "reopened_at": None,
                 "resolved_at": None, "closed_at": None, "pending_since": None}
        if status == 4:
            stats["resolved_at"] = iso(done)
        elif status == 5:
            y = rng.random()
            stats["resolved_at"] = iso(done) if y < 0.9 else None
            stats["closed_at"] = iso(done) if y < 0.75 or y >= 0.9 else None
        responder = None if rng.random() < 0.1 else rng.choice(agents)
        if status in (4, 5) and responder is not None:
            closed += 1
        t = dict(FRESH_TEMPLATE)
        t.update({"id": first_id + i, "status": status,
                  "subject": "VPN not connecting (%d)" % (first_id + i),
                  "responder_id": responder,
                  "group_id": rng.choice([14000012345, 14000012346, None]),
                  "created_at": iso(c), "updated_at": iso(done if status >= 4 else c),
                  "due_by": iso(c + dt.timedelta(days=2)),
                  "fr_due_by": iso(c + dt.timedelta(hours=8)), "stats": stats})
        out.append(t)
    return out, closed


def bench_closures():
    fresh = E["FRESH_FAKE"]
    ctl(fresh, "reset", {"tickets": 0, "agents": 40, "rate_per_minute": 0,
                         "list_rate_per_minute": 0})
    st, out = http("GET", fresh + "/api/v2/agents?per_page=100&page=1",
                   auth=(FRESH_KEY, "X"))
    agents = [a["id"] for a in out["agents"]]
    zone = ZoneInfo(BIZ_TZ)
    today = dt.datetime.now(zone).date()
    days = [today - dt.timedelta(days=MONTH_DAYS - i) for i in range(MONTH_DAYS)]
    rng = random.Random(6)
    sql("DELETE FROM ticket_closure; DELETE FROM ticket_sync_metadata; "
        "DELETE FROM ticket_sync_runs; UPDATE sync_locks SET run_id = NULL, "
        "holder_conn = NULL, heartbeat_at = NULL WHERE name = 'fresh'")
    per_day = [MONTH_TICKETS // MONTH_DAYS + (1 if i < MONTH_TICKETS % MONTH_DAYS else 0)
               for i in range(MONTH_DAYS)]
    next_id = 1
    sync_t, dl_t, mem = [], [], []
    want_closures = got_closures = resolved = 0
    pages_total = 0
    for di, day in enumerate(days):
        tickets, closed = gen_day(day, next_id, per_day[di], agents, rng)
        next_id += per_day[di]
        want_closures += closed
        resolved += sum(1 for t in tickets if t["status"] in (4, 5))
        ctl(fresh, "tickets", {"tickets": tickets})
        since = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        base = "%s/api/v2/tickets?updated_since=%s&include=stats&per_page=100" % (
            fresh, iso(since))
        pages = math.ceil(per_day[di] / 100)
        urls = ["%s&page=%d" % (base, p) for p in range(1, pages + 1)]
        urls.append(fresh + "/api/v2/agents?per_page=100&page=1")
        subprocess.run(["curl", "-sS", "-o", "/dev/null", "-u", FRESH_KEY + ":X",
                        urls[0]], check=True, timeout=300)
        ds, ss = [], []
        for _ in range(RUNS):
            secs, ok = curl_many(urls, 1, FRESH_KEY, "X")
            if ok != len(urls):
                raise RuntimeError("closures download: %d of %d" % (ok, len(urls)))
            ds.append(secs)
            reset_hwm(workers("sync"))
            t0 = time.monotonic()
            st, res = http("POST", BASE + "/api/tickets/force-sync",
                           {"date": day.isoformat()})
            ss.append(time.monotonic() - t0)
            if st != 200 or not res.get("success"):
                raise RuntimeError("closure sync %s: %s %s" % (day, st, res))
            if res["pages"] != pages:
                NOTES.append("closures %s: sync read %s pages, limit %d"
                             % (day, res["pages"], pages))
            pid = int(sql("SELECT pid FROM ticket_sync_runs ORDER BY id DESC LIMIT 1"))
            mem.append(vm(pid, "VmHWM"))
        got_closures += res["closures"]
        pages_total += pages + 1
        sync_t.append(med(ss))
        dl_t.append(med(ds))
    month_sync = sum(sync_t)
    month_dl = sum(dl_t)
    load, nrows, nbytes = bulk_limit(["ticket_closure", "ticket_sync_metadata"], RUNS)
    log("closures: month synced in %.2f s (sum of daily medians), download %.2f s, "
        "load %.3f s; %d closures counted, %d expected" % (
            month_sync, month_dl, load, got_closures, want_closures))
    if got_closures != want_closures:
        NOTES.append("closures: counted %d, expected %d" % (got_closures, want_closures))
    lim = max(month_dl, load)
    row("closures", "month, %d tickets (%d closed)" % (MONTH_TICKETS, resolved),
        "%.2f s" % month_sync, "dl %.2fs, load %.3fs" % (month_dl, load),
        month_sync / lim, "<= 1.5x max", month_sync / lim <= 1.5)
    row("closures", "closure sync worker peak", mib(max(m for m in mem if m)), "",
        None, "(info)")
    NOTES.append("closures: %d days x %d runs, %d pages a month (ticket pages + "
                 "1 agents page a day); per-day sync median %.3f s, download "
                 "median %.3f s; %d closure rows, %d counted, %d expected"
                 % (MONTH_DAYS, RUNS, pages_total, med(sync_t), med(dl_t), nrows,
                    got_closures, want_closures))


# --------------------------------------------------------------- endpoints

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url, header=None, secs=WRK_SECS):
    cmd = ["wrk", "-t2", "-c64", "-d%ds" % secs, "--timeout", "10s", "--latency"]
    if header:
        cmd += ["-H", header]
    p = subprocess.run(cmd + [url], capture_output=True, text=True,
                       timeout=secs + 60)
    o = p.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", o)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", o)
    n = re.search(r"(\d+) requests in", o)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", o)
    err = re.search(r"Socket errors: (.*)", o)
    if not m or not n:
        raise RuntimeError("wrk output: %s %s" % (o, p.stderr))
    tmo = re.search(r"timeout (\d+)", err.group(1)) if err else None
    r = {"rps": float(m.group(1)),
         "p99": float(p99.group(1)) * UNIT[p99.group(2)] if p99 else 0.0,
         "n": int(n.group(1)), "bad": int(bad.group(1)) if bad else 0,
         "timeouts": int(tmo.group(1)) if tmo else 0,
         "err": err.group(1) if err else ""}
    # Only answers in 2xx count towards the rate.
    if r["n"] > 0:
        r["rps"] *= (r["n"] - r["bad"]) / r["n"]
    # wrk leaves requests that time out (10 s) out of its latency figures.
    if r["timeouts"] > 0 or r["n"] == 0:
        r["p99"] = float("inf")
    return r


def fcgi_floor():
    """The most a FastCGI program can answer here: a request it refuses
    with 405 before any database work (POST /api/health), through nginx,
    against a static file of the same size.  The endpoints cannot beat it."""
    st, body = http("POST", BASE + "/api/health", raw=True)
    if st != 405:
        raise RuntimeError("POST /api/health: HTTP %s, want 405" % st)
    sp = "bench-static-%d-floor.json" % os.getpid()
    path = os.path.join(HTDOCS, sp)
    script = os.path.join(VAR, "bench-post.lua")
    with open(path, "wb") as f:
        f.write(body)
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n')
    try:
        srate, frate = [], []
        for _ in range(RUNS):
            srate.append(wrk(BASE + "/" + sp)["rps"])
            p = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % WRK_SECS, "-s", script,
                                BASE + "/api/health"], capture_output=True, text=True,
                               timeout=WRK_SECS + 60)
            m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
            if not m:
                raise RuntimeError("wrk output: %s %s" % (p.stdout, p.stderr))
            frate.append(float(m.group(1)))
        log("FastCGI floor: %.0f answers/s (405, no database) vs static %.0f/s"
            % (med(frate), med(srate)))
        row("endpoints", "FastCGI floor (405, no DB)", "%.0f/s" % med(frate),
            "static %.0f/s" % med(srate), med(frate) / med(srate), "(info)")
    finally:
        for f in (path, script):
            try:
                os.unlink(f)
            except OSError:
                pass


def endpoint_data():
    """The lists read what the sync and closures sections left; run on
    their own, the endpoints would measure empty answers.  Fill what is
    missing: 20,000 FluentSupport tickets through the real sync, and a
    month of per-agent daily closures (40 agents) written directly."""
    if int(sql("SELECT COUNT(*) FROM requests")) < 1000:
        log("endpoints: syncing 20,000 tickets for the list")
        ctl(E["FLUENT_FAKE"], "reset", {"tickets": 20000,
                                        "now": "2026-03-01T12:00:00Z"},
            timeout=600)
        warm_fluent()
        reset_db()
        one_sync({"ticketsFetched": 20000, "ticketsAdded": 20000})
    # The last MONTH_DAYS days up to today: the calendar month of
    # period=month has rows even on its first day.
    today = dt.datetime.now(ZoneInfo(BIZ_TZ)).date()
    first = today - dt.timedelta(days=MONTH_DAYS - 1)
    if int(sql("SELECT COUNT(*) FROM ticket_closure WHERE date >= '%s'"
               % first.isoformat())) == 0:
        log("endpoints: writing a month of closures for the leaderboard")
        rng = random.Random(7)
        rows = ["(%d, 'Agent %d', '%s', %d)" % (
            14000000000 + a, a, (first + dt.timedelta(days=d)).isoformat(),
            rng.randint(20, 60)) for d in range(MONTH_DAYS) for a in range(40)]
        sql("INSERT INTO ticket_closure (freshworks_user_id, agent_name, "
            "date, tickets_closed) VALUES " + ", ".join(rows))


def bench_endpoints():
    endpoint_data()
    fcgi_floor()
    # The dashboard calls the lists with its Bearer token, checked by the
    # program (HMAC-SHA256); curl scripts use basic auth, which nginx checks
    # against the apr1 hash of htpasswd (1,000 rounds of MD5) on every
    # request: that path is measured once more, as information.
    st, tok = http("POST", BASE + "/api/auth/login",
                   {"email": ADMIN[0], "password": ADMIN[1]}, auth=None)
    if st != 200:
        raise RuntimeError("login: HTTP %s %s" % (st, tok))
    bearer = "Authorization: Bearer " + tok["accessToken"]
    cases = [
        ("status", "status", "GET /api/fluent/status", "/api/fluent/status", None,
         0.40),
        ("tickets", "tickets", "GET /api/requests?limit=100", "/api/requests?limit=100",
         bearer, 0.20),
        ("closures", "closures", "GET /api/tickets/closures/period?period=month",
         "/api/tickets/closures/period?period=month", bearer, 0.20),
        ("basic", "tickets", "GET /api/requests?limit=100, basic auth",
         "/api/requests?limit=100", "Authorization: " + basic(*ADMIN), None),
    ]
    static_paths = []
    try:
        for tag, prog, name, path, hdr, target in cases:
            st, body = http("GET", BASE + path, auth=ADMIN if hdr else None, raw=True)
            if st != 200:
                raise RuntimeError("%s: HTTP %s %s" % (path, st, body[:200]))
            # Measure full answers: a page of 100, a leaderboard of 40.
            if tag in ("tickets", "basic") and len(json.loads(body)["requests"]) != 100 \
                    or tag == "closures" and len(body) < 1000:
                raise RuntimeError("%s: a short answer (%d B)" % (path, len(body)))
            sp = "bench-static-%d-%s.json" % (os.getpid(), tag)
            with open(os.path.join(HTDOCS, sp), "wb") as f:
                f.write(body)
            static_paths.append(os.path.join(HTDOCS, sp))
            ws = workers(prog)
            rss0 = {p: vm(p, "VmRSS") for p in ws}
            reset_hwm(ws)
            sres, dres = [], []
            nreq = 0
            for _ in range(RUNS):
                sres.append(wrk(BASE + "/" + sp))
                d = wrk(BASE + path, hdr)
                dres.append(d)
                nreq += d["n"]
            # Top up to 100,000 requests for the memory figure, bounded:
            # at most BENCH_TOPUP_SECS (20) more seconds.
            rate = med([d["rps"] for d in dres])
            if nreq < 100000 and rate > 0:
                extra = min(int(os.environ.get("BENCH_TOPUP_SECS", "20")),
                            math.ceil((100000 - nreq) / rate) + 1)
                d = wrk(BASE + path, hdr, secs=extra)
                nreq += d["n"]
                dres.append(d)
            rss1 = {p: vm(p, "VmRSS") for p in ws}
            hwm = {p: vm(p, "VmHWM") for p in ws}
            bad = sum(d["bad"] for d in dres)
            errs = [d["err"] for d in dres if d["err"]]
            srate = med([s["rps"] for s in sres])
            drate = med([d["rps"] for d in dres[:RUNS]])
            p99 = med([d["p99"] for d in dres[:RUNS]])
            sp99 = med([s["p99"] for s in sres])
            tmos = sum(d["timeouts"] for d in dres)
            log("%s: %.0f req/s vs static %.0f req/s (%d bytes), p99 %.2f ms "
                "(static %.2f ms), %d non-2xx, %d timeouts; each run: %s" % (
                    name, drate, srate, len(body), p99, sp99, bad, tmos,
                    ", ".join("%.0f/s p99 %.2f ms" % (d["rps"], d["p99"])
                              for d in dres[:RUNS])))
            row("endpoints", "%s rate (%d B)" % (name, len(body)), "%.0f/s" % drate,
                "static %.0f/s" % srate, drate / srate,
                ">= %d%%" % (target * 100) if target else "(info)",
                drate / srate >= target if target else None)
            row("endpoints", "%s p99" % name,
                "%.2f ms" % p99 if p99 != float("inf") else "> 10 s (timeouts)",
                "static %.2f ms" % sp99, None, "< 20 ms" if target else "(info)",
                p99 < 20 and bad == 0 if target else None)
            grow = ", ".join("%d: %s -> %s (peak %s)" % (p, mib(rss0[p]), mib(rss1[p]),
                                                        mib(hwm[p])) for p in ws)
            flat = all(rss0[p] and rss1[p] and rss1[p] - rss0[p] < 1024 for p in ws)
            row("endpoints", "%s workers RSS over %d req" % (prog, nreq),
                " / ".join("%+d kB" % ((rss1[p] or 0) - (rss0[p] or 0)) for p in ws),
                "", None, "flat (<1 MiB)", flat)
            NOTES.append("%s: %d requests, %d non-2xx%s; workers %s" % (
                name, nreq, bad, (", socket errors " + "; ".join(errs)) if errs else "",
                grow))
    finally:
        for p in static_paths:
            try:
                os.unlink(p)
            except OSError:
                pass


# ------------------------------------------------------------------- scale

def bench_scale():
    have = int(sql("SELECT COUNT(*) FROM requests"))
    want = 1000000
    if have < want:
        log("scale: inserting %d synthetic requests rows" % (want - have))
        t0 = time.monotonic()
        sql("INSERT INTO requests (date, time, category, description, urgency, "
            "source, website_url) SELECT DATE('2026-11-01') - INTERVAL "
            "(seq DIV 900) DAY, SEC_TO_TIME((seq * 37) MOD 86400), "
            "ELT(1 + seq MOD 4, 'Support', 'Hosting', 'Website', 'Email'), "
            "CONCAT('Synthetic request ', seq, ': the printer on floor ', "
            "seq MOD 9, ' does not print and the screen shows error 0x', "
            "HEX(seq)), ELT(1 + seq MOD 3, 'LOW', 'MEDIUM', 'HIGH'), 'sms', "
            "IF(seq MOD 5 = 0, NULL, CONCAT('site', seq MOD 300, '.example.test')) "
            "FROM seq_1_to_%d" % (want - have), timeout=1800)
        log("scale: inserted in %.1f s" % (time.monotonic() - t0))
    total = int(sql("SELECT COUNT(*) FROM requests"))
    auth = "%s:%s" % ADMIN

    # Each request is timed with MariaDB's query cache emptied first: a
    # page asked for again comes from the cache, whatever its offset.
    # A worker prepares a statement the first time it needs it and keeps
    # it: 8 untimed requests first, so that each of the 4 workers most
    # likely has it, as in a service that has been up a while.  The offset
    # page uses the first page's statement (offset 900000 takes seconds).
    def timed(path, n=5, warm=8):
        ts = []
        body = None
        for _ in range(warm):
            subprocess.run(["curl", "-sS", "-u", auth, "-o", "/dev/null", BASE + path],
                           timeout=300, check=True)
        for _ in range(n):
            sql("RESET QUERY CACHE")
            p = subprocess.run(["curl", "-sS", "-u", auth, "-o", os.path.join(DUMP, "page.json"),
                                "-w", "%{http_code} %{time_total}", BASE + path],
                               capture_output=True, text=True, timeout=300)
            code, secs = p.stdout.split()
            if code != "200":
                raise RuntimeError("%s: HTTP %s" % (path, code))
            ts.append(float(secs))
        with open(os.path.join(DUMP, "page.json")) as f:
            body = json.load(f)
        return med(ts), body

    os.makedirs(DUMP, exist_ok=True)
    first, b1 = timed("/api/requests?limit=100")
    deep, b2 = timed("/api/requests?limit=100&offset=900000", warm=0)
    if len(b2.get("requests", [])) != 100:
        raise RuntimeError("deep page: %d rows" % len(b2.get("requests", [])))
    log("scale: %d rows, first page %.1f ms, offset 900000 %.1f ms" % (
        total, first * 1000, deep * 1000))
    row("scale", "GET /api/requests first page (%dk rows)" % (total // 1000),
        "%.1f ms" % (first * 1000), "", None, "(info)")
    row("scale", "GET /api/requests offset 900000", "%.1f ms" % (deep * 1000),
        "first %.1f ms" % (first * 1000), deep / first, "<= 2x first",
        deep / first <= 2)
    order = "ORDER BY date DESC, time DESC, id DESC"
    # The same deep page through the API's keyset cursor, when it has one.
    last = sql("SELECT DATE_FORMAT(date, '%%Y-%%m-%%d'), TIME_FORMAT(time, "
               "'%%H:%%i:%%s'), id FROM requests %s LIMIT 1 OFFSET 899999"
               % order).split()
    if "nextCursor" in b1:
        cur = "%s.%s.%s" % tuple(last)
        deepc, b3 = timed("/api/requests?limit=100&cursor=" + cur)
        same = [x["id"] for x in b3.get("requests", [])] == \
            [x["id"] for x in b2.get("requests", [])]
        log("scale: cursor page at row 900000 %.1f ms (same rows as offset: %s)"
            % (deepc * 1000, same))
        row("scale", "GET /api/requests cursor at row 900000",
            "%.1f ms" % (deepc * 1000), "first %.1f ms" % (first * 1000),
            deepc / first, "<= 2x first", deepc / first <= 2 and same)
        if not same:
            NOTES.append("scale: the cursor page and the offset page differ")
    else:
        NOTES.append("scale: the API has no keyset cursor (nextCursor)")
    # Where the time goes, statement by statement, in the server.
    filt = ("WHERE (NULL IS NULL OR source = NULL) AND (NULL IS NULL OR "
            "urgency = NULL) AND (NULL IS NULL OR category = NULL) AND "
            "(NULL IS NULL OR date >= NULL) AND (NULL IS NULL OR date <= NULL) "
            "AND (NULL IS NULL OR description LIKE NULL) AND (NULL IS NULL OR "
            "status = NULL)")

    def st(q):
        return med([sql_timed(q) for _ in range(3)]) * 1000

    t_count = st("SELECT COUNT(*) INTO @c FROM requests %s" % filt)
    t_first = st("SELECT COUNT(*) INTO @x FROM (SELECT * FROM requests %s %s "
                 "LIMIT 100 OFFSET 0) t" % (filt, order))
    t_deep = st("SELECT COUNT(*) INTO @x FROM (SELECT * FROM requests %s %s "
                "LIMIT 100 OFFSET 900000) t" % (filt, order))
    # The keyset condition as fcgi-bin/tickets.c writes it.
    t_key = st("SELECT COUNT(*) INTO @x FROM (SELECT * FROM requests %s AND "
               "(date < '%s' OR (date = '%s' AND time < '%s') OR (date = '%s' "
               "AND time = '%s' AND id < %s)) %s LIMIT 100) t" % (
                   filt, last[0], last[0], last[1], last[0], last[1], last[2],
                   order))
    NOTES.append("scale, in MariaDB alone: COUNT(*) for \"total\" %.1f ms, page at "
                 "offset 0 %.1f ms, at offset 900000 %.1f ms, keyset page after "
                 "row 900000 %.1f ms" % (t_count, t_first, t_deep, t_key))


# -------------------------------------------------------------------- main

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        memkb = int(f.readline().split()[1])
    ver = sql("SELECT VERSION()").strip()
    ng = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return ("%d CPUs (%s), %.1f GiB RAM, %s, MariaDB %s, %s"
            % (os.cpu_count(), model, memkb / 1048576.0, os.uname().release, ver,
               ng.replace("nginx version: ", "")))


def main():
    wanted = sys.argv[1:] or ["sync", "closures", "endpoints", "scale"]
    t0 = time.monotonic()
    mach = machine()
    log(mach)
    failed = []
    for name, fn in (("sync", lambda: [bench_sync(n) for n in SIZES]),
                     ("closures", bench_closures),
                     ("endpoints", bench_endpoints),
                     ("scale", bench_scale)):
        if name not in wanted:
            continue
        if name == "endpoints" and subprocess.run(["sh", "-c", "command -v wrk"],
                                                  capture_output=True).returncode:
            NOTES.append("endpoints: skipped, wrk is not installed")
            continue
        s = time.monotonic()
        try:
            settle()
            fn()
        except Exception as e:      # report and go on with the next section
            failed.append(name)
            NOTES.append("%s: FAILED: %s" % (name, e))
            log("%s failed: %s" % (name, e))
        log("%s took %.0f s" % (name, time.monotonic() - s))

    hdr = ("section", "figure", "measured", "limit", "ratio", "target", "met")
    w = [max(len(str(r[i])) for r in ROWS + [hdr]) for i in range(len(hdr))]
    lines = ["Deskhub benchmarks, %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z"),
             "machine: " + mach,
             "medians of %d runs; FLUENT_CONCURRENCY=%d, %d tickets a page; "
             "wrk -t2 -c64 -d%ds" % (RUNS, CONC, PER_PAGE, WRK_SECS), ""]
    lines.append("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
    lines.append("  ".join("-" * w[i] for i in range(len(hdr))))
    for r in ROWS:
        lines.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip())
    if SETTLED:
        NOTES.append("waited for a quiet machine (CPUs 90%% idle, page cache "
                     "written back) %d times before timed runs: median %.1f s, "
                     "longest %.1f s" % (len(SETTLED), med(SETTLED), max(SETTLED)))
    lines.append("")
    lines += ["- " + n for n in NOTES]
    lines.append("")
    lines.append("total %.0f s%s" % (time.monotonic() - t0,
                                     ", failed sections: " + ", ".join(failed)
                                     if failed else ""))
    text = "\n".join(lines) + "\n"
    print()
    print(text, end="")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
