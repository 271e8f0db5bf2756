#!/usr/bin/env python3
"""Fake Freshservice API v2 server for Deskhub tests.

Stdlib only (Python >= 3.9, tested with Debian 12's /usr/bin/python3 3.11).
Behaviour follows /work/shared/providers.md section 2, quirks included.
Read-only: only the GET endpoints below exist.

Usage
-----
  python3 fake_fresh.py --port 0 --port-file PATH [options]

  --port N                  TCP port on 127.0.0.1 (default 0 = pick a free one)
  --port-file PATH          once listening, write the port number + "\\n" to PATH
                            (atomically: temp file + rename)
  --api-key K               API key expected as the Basic-auth user name
                            (any password). Default "fake-fs-api-key".
  --tickets N               generated tickets, ids 1..N (default 200)
  --agents N                generated agents (default 8)
  --seed S                  RNG seed (default 1)
  --now T                   the fake's current time, ISO-8601 ("...Z"/offset;
                            naive = UTC) or unix seconds. Default: real time.
  --span-days D             generated tickets are created over the D days
                            before "now" (default 60, so about half of them
                            fall outside the default 30-day list window)
  --group-ids A,B           "our" group ids (default 14000012345,14000012346)
  --rate-per-minute N       overall credits per window (default 400; 0 = no limit)
  --list-rate-per-minute N  credits per window for each list endpoint
                            (tickets list, agents list) (default 120; 0 = no limit)
  --window-seconds S        rate-limit window length (default 60)
  --link-nospace            Link header as '<...>;rel="next"' (the doc's sample)
                            instead of '<...>; rel="next"'
  --quiet                   do not log requests

  Logs one line per request to stderr: "fake_fresh: METHOD PATH STATUS".
  The Authorization header is never logged. SIGTERM/SIGINT -> clean exit 0.
  HTTP/1.1 keep-alive; every response carries Content-Length.

Auth
----
  Basic auth, API key as the user name, any password (curl -u KEY:X).
  Missing/wrong -> 401 {"code":"invalid_credentials","message":"You have to be
  logged in to perform this action."}. A user name containing "@" (old
  email/password auth) -> 401 {"code":"unsupported_authentication_type",...}.

Rate limiting (fixed windows of --window-seconds starting at start/reset)
------------------------------------------------------------------------
  Every response (except a "drop" fault) carries X-Ratelimit-Total (overall
  limit), X-Ratelimit-Remaining (overall, after this request, never < 0),
  X-Ratelimit-Used-CurrentRequest (credits charged; 0 when rejected or for an
  injected fault) and X-Freshservice-Api-Version: latest=v2; requested=v2.
  Costs: ticket list 1 + 2 per valid include (include=stats -> 3); ticket/agent
  show 1 + 1 per include; agents list 1; invalid calls (400/401/404/405) 1.
  A request is rejected when the overall window credits or the endpoint's list
  credits are already used up (used >= limit; a request may overshoot by its
  own cost): 429, Retry-After: <whole seconds until the window resets, >= 1>,
  body {"message":"You have exceeded the limit of requests per minute"}.
  Rejected requests cost nothing. Injected faults are not charged.

Data endpoints
--------------
  GET /api/v2/tickets  -> {"tickets":[...]} (no total)
    updated_since  YYYY-MM-DD | YYYY-MM-DDTHH:MM | ...THH:MM:SS, optional
                   fraction, optional Z or +hh:mm/-hh:mm (+hhmm); no zone = UTC.
                   Filters updated_at >= it. Invalid (including a "+" that
                   arrived as a space because it was not URL-encoded) -> 400.
                   WITHOUT updated_since only tickets CREATED in the 30 days
                   before "now" are listed.
    include        comma list of stats, requester, requested_for; stats adds
                   "stats":{agent_responded_at, requester_responded_at,
                   first_responded_at, status_updated_at, reopened_at,
                   resolved_at, closed_at, pending_since}; without it there is
                   no "stats" key. requester/requested_for add an object.
    per_page       default 30, 1..100; otherwise 400 {"description":"Validation
                   failed","errors":[{"field":"per_page","message":"It should be
                   a/an Positive Integer less than or equal to 100",
                   "code":"invalid_value"}]}
    page           default 1, positive integer else 400 (field "page").
                   Past the end -> {"tickets":[]} without Link.
    order_by       created_at (default) | updated_at | due_by | status
    order_type     desc (default) | asc   (others -> 400)
    filter         accepted; deleted / spam return the tickets flagged
                   "deleted"/"spam" (none generated -> []); any other value is
                   ignored. Normal lists never include deleted/spam tickets.
    requester_id, email (requester's), type, workspace_id (0 = all) filter.
    Unknown parameters are ignored. Ties sort by id in the same direction.
    Link: <http://HOST/api/v2/tickets?ORIGINAL_QUERY_WITH_page=N+1>; rel="next"
    only when a further page exists (page replaced in place, or appended).
  GET /api/v2/tickets/{id}[?include=stats]  -> {"ticket":{...}}; 404 if unknown.
  GET /api/v2/agents  -> {"agents":[...]} sorted by first name
    (case-insensitive, then id); per_page/page as above, Link header;
    filters active=true|false, email, state=fulltime|occasional.
  GET /api/v2/agents/{id} -> {"agent":{...}}
  Unknown path -> 404 {"message":"Not Found"}; non-GET -> 405.
  Timestamps are UTC "YYYY-MM-DDTHH:MM:SSZ". JSON is encoded like Rails:
  non-ASCII as raw UTF-8, "<", ">", "&" as \\u003c \\u003e \\u0026.

Generated data (deterministic per seed/now/span/tickets/agents/group_ids)
-----------------------------------------------------------------------
  Tickets 1..N, created_at increasing with id. Status 2 (10%), 3 (10%),
  4 resolved (30%: stats.resolved_at, closed_at null), 5 closed (50%: 75% both
  resolved_at and closed_at, 15% resolved_at only with closed_at null, 10%
  closed_at only). updated_at >= every stats time; ~25% of resolved/closed
  tickets were edited later (updated_at 1-10 days after closing, capped at
  now). ~10% responder_id null. group_id: 70% one of --group-ids, 20% another
  group (14000099901/14000099902), 10% null. Agent ids are large
  (21000000001+), one agent is inactive, first names include lower-case and
  accented ones. Priority 1..4, source 1/2/3/4/9/10, type Incident or Service
  Request, workspace_id 2.

Control API (no auth, JSON in/out; errors -> 400 {"error":"..."})
-----------------------------------------------------------------
  POST /__control/reset   any of tickets, agents, seed, now, span_days,
      group_ids (list), rate_per_minute, list_rate_per_minute, window_seconds,
      api_key, link_space (bool); options not given fall back to the values the
      server was STARTED with. "keep_data": true keeps tickets/agents and
      applies only the settings. Clears faults, stats and the rate window.
      -> {"ok":true,"config":{...},"tickets":N,"agents":M}
  POST /__control/tickets  {"tickets":[{...}], "delete":[ids]}
      Upsert by "id" (required int), Freshservice-shaped: given fields are
      merged; "stats": {...} is merged into the stored stats (null clears
      them); time fields (created_at, updated_at, due_by, fr_due_by, stats.*)
      in any accepted input format are normalised to "...Z", other values are
      kept verbatim. New tickets default to status 2, priority 1, source 2,
      type Incident, created_at = updated_at = now, responder/group null.
  POST /__control/agents   {"agents":[{...}], "delete":[ids]} (same rules)
  POST /__control/fault    {"kind":K, "count":1, "on_page":p, "retry_after":1,
      "delay":0, "path":"/api/v2/", "message":"...", "content_type":"..."}
      or {"clear":true}. FIFO queue; each data request takes the FIRST queued
      fault matching it (path prefix, default all /api/v2/ requests; on_page:
      only list requests (tickets or agents) whose effective page == p).
      count <= 0 = forever. Faulted requests skip auth and rate limiting.
      Kinds: 429 (Retry-After: retry_after, rate-limit body), 500 (JSON
      {"message":...}), 502html (HTML, text/html, 502), truncated (full
      Content-Length, half the body, close), notjson (200 text/html
      "<html>..."), badjson (200 application/json that is not valid JSON),
      slow (sleep delay, default 3 s, then normal answer),
      drop (close without response), 401 (invalid_credentials body).
      "delay" is slept before any kind.
  GET /__control/stats  (?reset=1 clears after reading)
      {"requests": data requests, "pages": [effective page of each ticket-list
       request], "queries": [raw query of each ticket-list request],
       "max_page": n, "faults_pending": n,
       "rate": {"used":..,"remaining":..,"resets_in":..,"list_used":{...}},
       "log": [{"method","path","query","status","fault","cost"}],
       "config": {...}}
"""

import argparse
import base64
import datetime as dt
import gc
import json
import math
import random
import re
import sys
import threading
import time
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import fakecore
from fakecore import BadRequest, BaseHandler, FaultQueue

NAME = "fake_fresh"
UTC = dt.timezone.utc

DEFAULTS = {
    "tickets": 200,
    "agents": 8,
    "seed": 1,
    "now": None,
    "span_days": 60,
    "group_ids": [14000012345, 14000012346],
    "rate_per_minute": 400,
    "list_rate_per_minute": 120,
    "window_seconds": 60,
    "api_key": "fake-fs-api-key",
    "link_space": True,
}
OTHER_GROUPS = [14000099901, 14000099902]
AGENT_BASE_ID = 21000000001
REQUESTER_BASE_ID = 21000500001
FIRST_NAMES = ["Aisha", "bruno", "Chlo\u00eb", "Dmitri", "\u00c9milie", "Farid", "grace",
               "Hiro", "In\u00e9s", "Jon", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya",
               "Quinn", "Rahim", "Sofia", "Tariq"]
LAST_NAMES = ["Khan", "Silva", "M\u00fcller", "Ivanov", "Dubois", "Haddad", "Lee", "Tanaka",
              "Garc\u00eda", "Snow", "Mensah", "Berg", "Rossi", "Okafor", "Aziz", "Nair"]
SUBJECTS = ["VPN not connecting ({i})", "Laptop #{i} screen broken",
            "Access request: <Finance> share & drive {i}", "Caf\u00e9 Wi-Fi \u2014 \u00fcn\u00efcode {i}",
            "Password reset for user{i}", "Printer on floor 3 jammed ({i})",
            "New starter onboarding {i}", "Email \"quota\" exceeded {i}"]
DESCRIPTIONS = ["<div>Cannot connect to VPN &amp; mail since this morning ({i})</div>",
                "<div>Hello,<br>please help with request {i}.</div>",
                "<div><b>Urgent</b>: printer shows error 0x{i:04x}</div>"]
STATS_KEYS = ["agent_responded_at", "requester_responded_at", "first_responded_at",
              "status_updated_at", "reopened_at", "resolved_at", "closed_at", "pending_since"]
TIME_KEYS = ("created_at", "updated_at", "due_by", "fr_due_by")
ORDER_BY = ("created_at", "due_by", "updated_at", "status")
INCLUDES = ("stats", "requester", "requested_for")
FAULT_KINDS = {"429", "500", "502html", "truncated", "notjson", "badjson", "slow", "drop",
               "401"}
# A 200 JSON answer that is not valid JSON: a stray comma, as a broken
# proxy or plugin may leave it.
BAD_JSON = b'{"tickets":[{"id":1,"status":5},]}'

JSON_CT = "application/json; charset=utf-8"
RATE_MSG = {"message": "You have exceeded the limit of requests per minute"}
PER_PAGE_ERR = {"field": "per_page",
                "message": "It should be a/an Positive Integer less than or equal to 100",
                "code": "invalid_value"}

HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
HTML_NOTJSON = (b"<html><head><title>Freshservice</title></head><body><h1>We're sorry, "
                b"but something went wrong.</h1></body></html>")


def log(msg):
    fakecore.log(NAME, msg)


def rails_dumps(obj):
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def rails_bytes(obj):
    return rails_dumps(obj).encode("utf-8")


def fmt_epoch(e):
    return dt.datetime.fromtimestamp(e, UTC).replace(tzinfo=None).isoformat() + "Z"


TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})"
                     r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                     r"(Z|[+-]\d{2}:?\d{2})?")


def parse_fs_time(s):
    """Freshservice date input -> epoch seconds (int) or None if invalid."""
    if not isinstance(s, str):
        return None
    m = TIME_RE.fullmatch(s.strip())
    if not m:
        return None
    y, mo, d, hh, mi, ss, zone = m.groups()
    try:
        t = dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0),
                        tzinfo=UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        z = zone[1:].replace(":", "")
        off = sign * (int(z[:2]) * 3600 + int(z[2:]) * 60)
        t -= dt.timedelta(seconds=off)
    return int(t.timestamp())


def parse_now(v):
    if v is None or v == "":
        return int(time.time())
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v)
    s = str(v).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", s):
        return int(float(s))
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise BadRequest("bad now: %r" % (v,))
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return int(t.timestamp())


def norm_time(v):
    """Normalise a time value for storage: parseable -> '...Z', else verbatim."""
    if isinstance(v, str):
        e = parse_fs_time(v)
        if e is not None:
            return fmt_epoch(e)
    return v


def epoch_of(v):
    e = parse_fs_time(v) if isinstance(v, str) else None
    return e if e is not None else 0


class App:
    def __init__(self, base_cfg):
        self.lock = threading.RLock()
        self.base_cfg = dict(base_cfg)
        self.tickets = {}    # id -> record dict
        self.agents = {}     # id -> agent dict
        self.requesters = {}
        self.version = 0
        self.qcache = {}
        self.faults = FaultQueue(FAULT_KINDS, '/api/v2/')
        self.req_counter = 0
        self.apply_config({}, keep_data=False)

    # --- config
    def apply_config(self, opts, keep_data):
        cfg = dict(self.base_cfg)
        for k, v in opts.items():
            if k == "keep_data":
                continue
            if k not in DEFAULTS:
                raise BadRequest("unknown option %r" % k)
            cfg[k] = v
        try:
            for k in ("tickets", "agents", "rate_per_minute", "list_rate_per_minute"):
                cfg[k] = int(cfg[k])
            cfg["span_days"] = float(cfg["span_days"])
            cfg["window_seconds"] = float(cfg["window_seconds"])
            gids = cfg["group_ids"]
            if isinstance(gids, str):
                gids = [g for g in gids.split(",") if g.strip()]
            cfg["group_ids"] = [int(g) for g in gids]
            try:
                cfg["seed"] = int(cfg["seed"])
            except (TypeError, ValueError):
                cfg["seed"] = str(cfg["seed"])
            cfg["api_key"] = str(cfg["api_key"])
            cfg["link_space"] = bool(cfg["link_space"])
        except (TypeError, ValueError) as e:
            raise BadRequest(str(e))
        if cfg["tickets"] < 0 or cfg["agents"] < 0 or cfg["span_days"] <= 0 or \
                cfg["window_seconds"] <= 0:
            raise BadRequest("tickets/agents must be >= 0, span_days/window_seconds > 0")
        now = parse_now(cfg["now"])
        self.cfg, self.now = cfg, now
        if not keep_data:
            self.generate()
        else:
            self.cfg["tickets"] = len(self.tickets)
            self.cfg["agents"] = len(self.agents)
            self.touch()
        self.faults.clear()
        self.reset_stats()
        self.reset_rate()

    def public_config(self):
        c = dict(self.cfg)
        c["now"] = fmt_epoch(self.now)
        return c

    def touch(self):
        self.version += 1
        self.qcache = {}

    # --- generation
    def generate(self):
        cfg = self.cfg
        rng = random.Random(cfg["seed"])
        now = self.now
        self.agents = {}
        for k in range(cfg["agents"]):
            aid = AGENT_BASE_ID + k
            first = FIRST_NAMES[(k * 7) % len(FIRST_NAMES)]
            if k >= len(FIRST_NAMES):
                first = "%s%d" % (first, k // len(FIRST_NAMES))
            last = LAST_NAMES[k % len(LAST_NAMES)]
            groups = [g for g in cfg["group_ids"] if rng.random() < 0.7] or \
                cfg["group_ids"][:1]
            created = now - 86400 * rng.randint(200, 900)
            self.agents[aid] = {
                "id": aid, "first_name": first, "last_name": last, "occasional": False,
                "active": k != 3, "job_title": "Support Engineer",
                "email": "%s.%s@example.test" % (re.sub(r"[^a-z0-9]", "", first.lower()) or
                                                 "agent", re.sub(r"[^a-z]", "", last.lower())),
                "work_phone_number": None, "mobile_phone_number": None,
                "department_ids": [], "reporting_manager_id": None, "time_zone": "Dhaka",
                "language": "en", "location_id": None, "member_of": groups,
                "observer_of": [], "roles": [{"role_id": 14000000003,
                                              "assignment_scope": "entire_helpdesk",
                                              "groups": []}],
                "last_login_at": fmt_epoch(now - rng.randint(60, 86400 * 5)),
                "last_active_at": fmt_epoch(now - rng.randint(60, 86400 * 2)),
                "custom_fields": {}, "has_logged_in": True,
                "created_at": fmt_epoch(created), "updated_at": fmt_epoch(created + 3600)}
        self.requesters = {}
        for k in range(50):
            rid = REQUESTER_BASE_ID + k
            first = FIRST_NAMES[(k * 3 + 1) % len(FIRST_NAMES)]
            last = LAST_NAMES[(k * 5 + 2) % len(LAST_NAMES)]
            self.requesters[rid] = {"id": rid, "name": "%s %s" % (first, last),
                                    "email": "user%d@example.test" % rid,
                                    "mobile": None, "phone": None}
        self.tickets = {}
        gc_was = gc.isenabled()
        gc.disable()
        try:
            self._gen_tickets(rng)
        finally:
            if gc_was:
                gc.enable()
        self.touch()

    def _gen_tickets(self, rng):
        cfg, now = self.cfg, self.now
        n = cfg["tickets"]
        span = int(cfg["span_days"] * 86400)
        step = span / n if n else 0
        agent_ids = list(self.agents)
        req_ids = list(self.requesters)
        gids = cfg["group_ids"]
        F = fmt_epoch
        for i in range(1, n + 1):
            c = int(now - step * (n - i + 1) + rng.random() * step * 0.9)
            limit = now - 1

            def at(base, lo, hi):
                x = base + rng.randint(lo, hi)
                if x > limit:   # recent ticket: spread inside the time left
                    x = base + int(max(0, limit - base) * rng.random())
                return max(base, min(x, limit))

            r = rng.random()
            status = 2 if r < 0.1 else 3 if r < 0.2 else 4 if r < 0.5 else 5
            responder = rng.choice(agent_ids) if agent_ids and rng.random() < 0.9 else None
            g = rng.random()
            if gids and g < 0.7:
                group = rng.choice(gids)
            elif g < 0.9:
                group = rng.choice(OTHER_GROUPS)
            else:
                group = None
            st = dict.fromkeys(STATS_KEYS)
            upd = c + rng.randint(0, 120)
            if responder is not None and (status != 2 or rng.random() < 0.5):
                fr = at(c, 300, 86400)
                st["first_responded_at"] = fr
                st["agent_responded_at"] = at(fr, 0, 2 * 86400)
                upd = max(upd, st["agent_responded_at"])
            if rng.random() < 0.6:
                st["requester_responded_at"] = at(c, 600, 3 * 86400)
                upd = max(upd, st["requester_responded_at"])
            st["status_updated_at"] = c
            if status == 2 and rng.random() < 0.1:
                st["reopened_at"] = at(upd, 3600, 86400)
                st["status_updated_at"] = st["reopened_at"]
                upd = max(upd, st["reopened_at"])
            elif status == 3:
                st["pending_since"] = at(upd, 60, 86400)
                st["status_updated_at"] = st["pending_since"]
                upd = max(upd, st["pending_since"])
            elif status in (4, 5):
                res = at(upd, 600, rng.choice([36000, 10 * 86400]))
                if status == 4:
                    st["resolved_at"] = res
                    done = res
                else:
                    v = rng.random()
                    if v < 0.75:
                        st["resolved_at"] = res
                        st["closed_at"] = res if rng.random() < 0.5 else at(res, 60, 2 * 86400)
                    elif v < 0.9:
                        st["resolved_at"] = res          # closed, but closed_at null
                    else:
                        st["closed_at"] = res            # closed, resolved_at null
                    done = max(x for x in (st["resolved_at"], st["closed_at"]) if x)
                st["status_updated_at"] = done
                upd = max(upd, done)
                if rng.random() < 0.25:
                    upd = at(done, 86400, 10 * 86400)    # edited days later
                else:
                    upd = at(done, 0, 120)
            upd = min(max(upd, c), max(c, limit))
            subj = rng.choice(SUBJECTS).format(i=i)
            desc = rng.choice(DESCRIPTIONS).format(i=i)
            text = re.sub(r"<br\s*/?>", " ", desc)
            text = re.sub(r"<[^>]+>", "", text).replace("&amp;", "&")
            text = re.sub(r"\s+", " ", text).strip()
            req = rng.choice(req_ids)
            t = {"id": i, "workspace_id": 2, "subject": subj, "description": desc,
                 "description_text": text, "status": status,
                 "priority": rng.choice([1, 1, 2, 2, 2, 3, 4]),
                 "source": rng.choice([1, 1, 2, 2, 3, 4, 9, 10]),
                 "type": "Incident" if rng.random() < 0.8 else "Service Request",
                 "requester_id": req, "requested_for_id": req,
                 "responder_id": responder, "group_id": group,
                 "department_id": None if rng.random() < 0.5 else 14000077001,
                 "category": None, "sub_category": None, "item_category": None,
                 "urgency": rng.randint(1, 3), "impact": rng.randint(1, 3),
                 "due_by": F(c + 3 * 86400), "fr_due_by": F(c + 86400),
                 "fr_escalated": False, "is_escalated": False, "spam": False,
                 "deleted": False, "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [],
                 "to_emails": None, "email_config_id": None,
                 "tags": ["vpn"] if "VPN" in subj else [], "custom_fields": {},
                 "attachments": [], "created_at": F(c), "updated_at": F(upd),
                 "resolution_notes": None, "resolution_notes_html": None}
            stats = {k: (F(v) if v is not None else None) for k, v in st.items()}
            self.tickets[i] = self.make_record(t, stats)

    def make_record(self, t, stats):
        base = rails_dumps(t)
        return {"t": t, "stats": stats, "c": epoch_of(t.get("created_at")),
                "u": epoch_of(t.get("updated_at")), "d": epoch_of(t.get("due_by")),
                "j": base[:-1].encode("utf-8"),
                "sj": rails_bytes(stats)}

    def default_ticket(self, tid):
        n = fmt_epoch(self.now)
        t = {"id": tid, "workspace_id": 2, "subject": "Ticket %d" % tid,
             "description": "<div>Ticket %d</div>" % tid, "description_text": "Ticket %d" % tid,
             "status": 2, "priority": 1, "source": 2, "type": "Incident",
             "requester_id": REQUESTER_BASE_ID, "requested_for_id": REQUESTER_BASE_ID,
             "responder_id": None, "group_id": None, "department_id": None,
             "category": None, "sub_category": None, "item_category": None,
             "urgency": 1, "impact": 1, "due_by": fmt_epoch(self.now + 3 * 86400),
             "fr_due_by": fmt_epoch(self.now + 86400), "fr_escalated": False,
             "is_escalated": False, "spam": False, "deleted": False, "cc_emails": [],
             "fwd_emails": [], "reply_cc_emails": [], "to_emails": None,
             "email_config_id": None, "tags": [], "custom_fields": {}, "attachments": [],
             "created_at": n, "updated_at": n, "resolution_notes": None,
             "resolution_notes_html": None}
        return t, dict.fromkeys(STATS_KEYS)

    def upsert_tickets(self, items, deletes):
        up = de = 0
        for item in items or []:
            if not isinstance(item, dict) or "id" not in item:
                raise BadRequest("each ticket needs an id")
            try:
                tid = int(item["id"])
            except (TypeError, ValueError):
                raise BadRequest("bad id %r" % (item["id"],))
            rec = self.tickets.get(tid)
            if rec is None:
                t, stats = self.default_ticket(tid)
            else:
                t, stats = dict(rec["t"]), dict(rec["stats"])
            for k, v in item.items():
                if k == "id":
                    continue
                if k == "stats":
                    if v is None:
                        stats = dict.fromkeys(STATS_KEYS)
                    elif isinstance(v, dict):
                        for sk, sv in v.items():
                            stats[sk] = norm_time(sv)
                    else:
                        raise BadRequest("stats must be an object or null")
                    continue
                t[k] = norm_time(v) if k in TIME_KEYS else v
            t["id"] = tid
            self.tickets[tid] = self.make_record(t, stats)
            up += 1
        for x in deletes or []:
            try:
                if self.tickets.pop(int(x), None) is not None:
                    de += 1
            except (TypeError, ValueError):
                raise BadRequest("bad delete id %r" % (x,))
        self.touch()
        return up, de

    def upsert_agents(self, items, deletes):
        up = de = 0
        for item in items or []:
            if not isinstance(item, dict) or "id" not in item:
                raise BadRequest("each agent needs an id")
            try:
                aid = int(item["id"])
            except (TypeError, ValueError):
                raise BadRequest("bad id %r" % (item["id"],))
            a = self.agents.get(aid)
            if a is None:
                n = fmt_epoch(self.now)
                a = {"id": aid, "first_name": "Agent", "last_name": str(aid),
                     "occasional": False, "active": True, "job_title": None,
                     "email": "agent%d@example.test" % aid, "work_phone_number": None,
                     "mobile_phone_number": None, "department_ids": [],
                     "reporting_manager_id": None, "time_zone": "Dhaka", "language": "en",
                     "location_id": None, "member_of": [], "observer_of": [], "roles": [],
                     "last_login_at": None, "last_active_at": None, "custom_fields": {},
                     "has_logged_in": False, "created_at": n, "updated_at": n}
            else:
                a = dict(a)
            for k, v in item.items():
                a[k] = v if k != "id" else aid
            self.agents[aid] = a
            up += 1
        for x in deletes or []:
            try:
                if self.agents.pop(int(x), None) is not None:
                    de += 1
            except (TypeError, ValueError):
                raise BadRequest("bad delete id %r" % (x,))
        self.touch()
        return up, de

    # --- stats / faults / rate
    def reset_stats(self):
        self.stats = {"requests": 0, "pages": [], "queries": [], "log": []}

    def reset_rate(self):
        self.win_start = time.monotonic()
        self.win_index = 0
        self.used = 0
        self.list_used = {"tickets": 0, "agents": 0}

    def roll_window(self):
        w = self.cfg["window_seconds"]
        idx = int((time.monotonic() - self.win_start) // w)
        if idx != self.win_index:
            self.win_index = idx
            self.used = 0
            self.list_used = {"tickets": 0, "agents": 0}
        return self.win_start + (idx + 1) * w - time.monotonic()

    def limits(self):
        total = self.cfg["rate_per_minute"]
        return (total if total > 0 else 1000000), self.cfg["list_rate_per_minute"]

    def rate_check(self, bucket):
        """-> retry_after seconds if the request must be rejected, else None."""
        left = self.roll_window()
        total, list_limit = self.limits()
        over = self.cfg["rate_per_minute"] > 0 and self.used >= total
        if bucket and list_limit > 0 and self.list_used[bucket] >= list_limit:
            over = True
        if over:
            return max(1, int(math.ceil(left)))
        return None

    def charge(self, bucket, cost):
        self.roll_window()
        self.used += cost
        if bucket:
            self.list_used[bucket] += cost

    def rate_headers(self, cost):
        self.roll_window()
        total, _ = self.limits()
        return [("X-Ratelimit-Total", str(total)),
                ("X-Ratelimit-Remaining", str(max(0, total - self.used))),
                ("X-Ratelimit-Used-CurrentRequest", str(cost)),
                ("X-Freshservice-Api-Version", "latest=v2; requested=v2")]

    def add_fault(self, body):
        self.faults.add(body)

    def take_fault(self, path, page):
        return self.faults.take(path, page)

    def faults_pending(self):
        return self.faults.pending()

    # --- auth
    def auth_error(self, header):
        """-> None if OK, else the 401 body."""
        bad = {"code": "invalid_credentials",
               "message": "You have to be logged in to perform this action."}
        if not header or header[:6].lower() != "basic ":
            return bad
        try:
            raw = base64.b64decode(header[6:].strip()).decode("utf-8", "replace")
        except Exception:
            return bad
        user, _, _pw = raw.partition(":")
        if user == self.cfg["api_key"] and user:
            return None
        if "@" in user:
            return {"code": "unsupported_authentication_type",
                    "message": "Username/Password based authentication is no longer "
                               "supported. Please use the API key."}
        return bad

    # --- listing
    def list_ids(self, key, build):
        hit = self.qcache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        out = build()
        if len(self.qcache) > 32:
            self.qcache = {}
        self.qcache[key] = (self.version, out)
        return out


# ----------------------------------------------------------------------------- HTTP

def is_pos_int(v):
    return isinstance(v, str) and re.fullmatch(r"\d+", v) is not None and int(v) >= 1


def validation(errors):
    return 400, JSON_CT, [], rails_bytes({"description": "Validation failed", "errors": errors})


def next_link(base, path, query, page, space):
    out, replaced = [], False
    for piece in (query.split("&") if query else []):
        if not piece:
            continue
        k = unquote_plus(piece.split("=", 1)[0])
        if k == "page":
            if not replaced:
                out.append("page=%d" % (page + 1))
                replaced = True
            continue
        out.append(piece)
    if not replaced:
        out.append("page=%d" % (page + 1))
    return "<%s%s?%s>;%srel=\"next\"" % (base, path, "&".join(out), " " if space else "")


class Handler(BaseHandler):
    SERVER_NAME = 'nginx'

    def dispatch(self):
        app = self.server.app
        body = self.read_body()
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        if path.startswith("/__control/"):
            return self.control(app, path, query, body)
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        base = "http://" + host
        params = dict(parse_qsl(query, keep_blank_values=True))
        route = None
        if path in ("/api/v2/tickets", "/api/v2/tickets/"):
            route = ("tickets", None)
        elif path in ("/api/v2/agents", "/api/v2/agents/"):
            route = ("agents", None)
        else:
            m = re.fullmatch(r"/api/v2/(tickets|agents)/(\d+)/?", path)
            if m:
                route = (m.group(1) + "_one", int(m.group(2)))
        is_list = route is not None and route[0] in ("tickets", "agents") and \
            self.command == "GET"
        page = None
        if is_list:
            pv = params.get("page", "1")
            page = int(pv) if is_pos_int(pv) else 1
        with app.lock:
            app.stats["requests"] += 1
            if is_list and route[0] == "tickets":
                app.stats["pages"].append(page)
                app.stats["queries"].append(query)
            fault = app.take_fault(path, page)
        status, cost = 0, 0
        try:
            if fault is not None and fault.delay > 0:
                time.sleep(fault.delay)
            kind = fault.kind if fault else None
            if kind == "drop":
                self.drop()
                return
            direct = self.fault_response(fault) if kind else None
            if direct is not None:
                st, ct, hd, bd = direct
                with app.lock:
                    hd = hd + app.rate_headers(0)
            else:
                st, ct, hd, bd, cost = self.handle_data(app, route, path, query, params,
                                                        base, page)
            status = st
            with app.lock:
                app.req_counter += 1
                rid = "fake-%08d" % app.req_counter
            self.send_all(st, ct, hd + [("X-Request-Id", rid)], bd,
                          truncate=(kind == "truncated"))
        finally:
            with app.lock:
                lg = app.stats["log"]
                lg.append({"method": self.command, "path": path, "query": query,
                           "status": status, "fault": fault.kind if fault else None,
                           "cost": cost})
                if len(lg) > 50000:
                    del lg[:10000]

    def fault_response(self, f):
        k = f.kind
        if k == "401":
            return 401, JSON_CT, [], rails_bytes(
                {"code": "invalid_credentials",
                 "message": "You have to be logged in to perform this action."})
        if k == "429":
            return 429, JSON_CT, [("Retry-After", str(f.retry_after))], rails_bytes(RATE_MSG)
        if k == "500":
            return 500, JSON_CT, [], rails_bytes({"message": f.message})
        if k == "502html":
            return 502, f.content_type or "text/html", [], HTML_502
        if k == "notjson":
            return 200, f.content_type or "text/html; charset=utf-8", [], HTML_NOTJSON
        if k == "badjson":
            return 200, JSON_CT, [], BAD_JSON
        return None

    def handle_data(self, app, route, path, query, params, base, page):
        """-> (status, ctype, headers, body, cost)"""
        with app.lock:
            bucket = None
            if route is not None and route[0] in ("tickets", "agents") and \
                    self.command == "GET":
                bucket = route[0]
            retry = app.rate_check(bucket)
            if retry is not None:
                return (429, JSON_CT, [("Retry-After", str(retry))] + app.rate_headers(0),
                        rails_bytes(RATE_MSG), 0)
            st, ct, hd, bd, cost = self.route(app, route, path, query, params, base, page)
            app.charge(bucket, cost)
            return st, ct, hd + app.rate_headers(cost), bd, cost

    def route(self, app, route, path, query, params, base, page):
        err = app.auth_error(self.headers.get("Authorization"))
        if err is not None:
            return 401, JSON_CT, [], rails_bytes(err), 1
        if route is None:
            return 404, JSON_CT, [], rails_bytes({"message": "Not Found"}), 1
        if self.command != "GET":
            return 405, JSON_CT, [("Allow", "GET")], \
                rails_bytes({"message": "Method Not Allowed"}), 1
        name, oid = route
        if name == "tickets":
            return self.list_tickets(app, path, query, params, base, page)
        if name == "agents":
            return self.list_agents(app, path, query, params, base, page)
        incl, errors = self.parse_include(params)
        if errors:
            return validation(errors) + (1,)
        if name == "tickets_one":
            rec = app.tickets.get(oid)
            if rec is None:
                return 404, JSON_CT, [], rails_bytes({"message": "Record Not Found"}), 1
            return 200, JSON_CT, [], b'{"ticket":' + self.ticket_json(app, rec, incl) + b"}", \
                1 + len(incl)
        a = app.agents.get(oid)
        if a is None:
            return 404, JSON_CT, [], rails_bytes({"message": "Record Not Found"}), 1
        return 200, JSON_CT, [], rails_bytes({"agent": a}), 1

    @staticmethod
    def parse_include(params):
        raw = params.get("include")
        if raw is None or raw == "":
            return [], []
        incl = [x.strip() for x in raw.split(",") if x.strip()]
        if any(x not in INCLUDES for x in incl):
            return [], [{"field": "include",
                         "message": "It should be one of these values: '%s'" % ",".join(INCLUDES),
                         "code": "invalid_value"}]
        return list(dict.fromkeys(incl)), []

    @staticmethod
    def ticket_json(app, rec, incl):
        parts = [rec["j"]]
        for x in incl:
            if x == "stats":
                parts.append(b',"stats":' + rec["sj"])
            else:
                rid = rec["t"].get("requester_id" if x == "requester" else "requested_for_id")
                parts.append(b',"' + x.encode() + b'":' + rails_bytes(app.requesters.get(rid)))
        parts.append(b"}")
        return b"".join(parts)

    @staticmethod
    def paging_errors(params):
        errors = []
        if "per_page" in params:
            v = params["per_page"]
            if not (is_pos_int(v) and int(v) <= 100):
                errors.append(dict(PER_PAGE_ERR))
        if "page" in params and not is_pos_int(params["page"]):
            errors.append({"field": "page", "message": "It should be a/an Positive Integer",
                           "code": "invalid_value"})
        return errors

    def list_tickets(self, app, path, query, params, base, page):
        errors = self.paging_errors(params)
        order_by = params.get("order_by", "created_at")
        if order_by not in ORDER_BY:
            errors.append({"field": "order_by",
                           "message": "It should be one of these values: '%s'" %
                                      ",".join(ORDER_BY), "code": "invalid_value"})
        order_type = params.get("order_type", "desc")
        if order_type not in ("asc", "desc"):
            errors.append({"field": "order_type",
                           "message": "It should be one of these values: 'asc,desc'",
                           "code": "invalid_value"})
        since = None
        if "updated_since" in params:
            since = parse_fs_time(params["updated_since"])
            if since is None:
                errors.append({"field": "updated_since",
                               "message": "It should be in the 'valid date time' format",
                               "code": "invalid_value"})
        incl, ierr = self.parse_include(params)
        errors += ierr
        wsid = params.get("workspace_id")
        if wsid is not None and not re.fullmatch(r"\d+", wsid):
            errors.append({"field": "workspace_id", "message": "It should be a/an Integer",
                           "code": "datatype_mismatch"})
        if errors:
            return validation(errors) + (1,)
        cost = 1 + 2 * len(incl)
        per_page = int(params.get("per_page", "30"))
        filt = params.get("filter")
        flag = filt if filt in ("deleted", "spam") else None
        req_id = params.get("requester_id")
        email = params.get("email")
        typ = params.get("type")
        desc = order_type == "desc"
        key = (since, flag, req_id, email, typ, wsid, order_by, desc)

        def build():
            lo = app.now - 30 * 86400
            req_by_email = None
            if email is not None:
                req_by_email = {r["id"] for r in app.requesters.values()
                                if str(r.get("email", "")).lower() == email.lower()}
            out = []
            for rec in app.tickets.values():
                t = rec["t"]
                if flag:
                    if not t.get(flag):
                        continue
                elif t.get("deleted") or t.get("spam"):
                    continue
                if since is None:
                    if rec["c"] < lo:
                        continue
                elif rec["u"] < since:
                    continue
                if req_id is not None and str(t.get("requester_id")) != req_id:
                    continue
                if req_by_email is not None and t.get("requester_id") not in req_by_email:
                    continue
                if typ is not None and t.get("type") != typ:
                    continue
                if wsid not in (None, "0") and str(t.get("workspace_id")) != wsid:
                    continue
                out.append(rec)
            if order_by == "status":
                keyf = lambda r: (r["t"].get("status") if isinstance(r["t"].get("status"), int)
                                  else 0, r["t"]["id"])
            else:
                fld = {"created_at": "c", "updated_at": "u", "due_by": "d"}[order_by]
                keyf = lambda r: (r[fld], r["t"]["id"])
            out.sort(key=keyf, reverse=desc)
            return out

        rows = app.list_ids(key, build)
        off = (page - 1) * per_page
        items = rows[off: off + per_page]
        hd = []
        if off + per_page < len(rows):
            hd.append(("Link", next_link(base, path, query, page, app.cfg["link_space"])))
        body = b'{"tickets":[' + b",".join(self.ticket_json(app, r, incl) for r in items) + b"]}"
        return 200, JSON_CT, hd, body, cost

    def list_agents(self, app, path, query, params, base, page):
        errors = self.paging_errors(params)
        active = params.get("active")
        if active is not None and active not in ("true", "false"):
            errors.append({"field": "active", "message": "It should be a/an Boolean",
                           "code": "datatype_mismatch"})
        state = params.get("state")
        if state is not None and state not in ("fulltime", "occasional"):
            errors.append({"field": "state",
                           "message": "It should be one of these values: 'fulltime,occasional'",
                           "code": "invalid_value"})
        if errors:
            return validation(errors) + (1,)
        per_page = int(params.get("per_page", "30"))
        email = params.get("email")
        rows = []
        for a in app.agents.values():
            if active is not None and bool(a.get("active")) != (active == "true"):
                continue
            if state is not None and bool(a.get("occasional")) != (state == "occasional"):
                continue
            if email is not None and str(a.get("email", "")).lower() != email.lower():
                continue
            rows.append(a)
        rows.sort(key=lambda a: (str(a.get("first_name") or "").casefold(), a["id"]))
        off = (page - 1) * per_page
        items = rows[off: off + per_page]
        hd = []
        if off + per_page < len(rows):
            hd.append(("Link", next_link(base, path, query, page, app.cfg["link_space"])))
        return 200, JSON_CT, hd, rails_bytes({"agents": items}), 1

    # --- control
    def control(self, app, path, query, body):
        def reply(status, obj):
            self.send_all(status, "application/json", [],
                          json.dumps(obj, ensure_ascii=False).encode("utf-8"))
        try:
            data = {}
            if body.strip():
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise BadRequest("body must be a JSON object")
            name = path[len("/__control/"):].strip("/")
            with app.lock:
                if name == "reset" and self.command == "POST":
                    app.apply_config(data, keep_data=bool(data.get("keep_data")))
                    return reply(200, {"ok": True, "config": app.public_config(),
                                       "tickets": len(app.tickets), "agents": len(app.agents)})
                if name == "tickets" and self.command == "POST":
                    up, de = app.upsert_tickets(data.get("tickets"), data.get("delete"))
                    return reply(200, {"ok": True, "upserted": up, "deleted": de,
                                       "tickets": len(app.tickets)})
                if name == "agents" and self.command == "POST":
                    up, de = app.upsert_agents(data.get("agents"), data.get("delete"))
                    return reply(200, {"ok": True, "upserted": up, "deleted": de,
                                       "agents": len(app.agents)})
                if name == "fault" and self.command == "POST":
                    app.add_fault(data)
                    return reply(200, {"ok": True, "faults_pending": app.faults_pending()})
                if name == "stats" and self.command == "GET":
                    s = app.stats
                    left = app.roll_window()
                    total, _ = app.limits()
                    out = {"requests": s["requests"], "pages": list(s["pages"]),
                           "queries": list(s["queries"]),
                           "max_page": max(s["pages"]) if s["pages"] else 0,
                           "faults_pending": app.faults_pending(),
                           "rate": {"used": app.used, "remaining": max(0, total - app.used),
                                    "resets_in": round(left, 3),
                                    "list_used": dict(app.list_used)},
                           "log": list(s["log"]), "config": app.public_config()}
                    if "reset=1" in query.split("&"):
                        app.reset_stats()
                    return reply(200, out)
            return reply(404, {"error": "unknown control endpoint %s %s" % (self.command, path)})
        except (BadRequest, ValueError) as e:
            return reply(400, {"error": str(e)})


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Freshservice v2 server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--api-key", default=DEFAULTS["api_key"])
    ap.add_argument("--tickets", type=int, default=DEFAULTS["tickets"])
    ap.add_argument("--agents", type=int, default=DEFAULTS["agents"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--now", default=None)
    ap.add_argument("--span-days", type=float, default=DEFAULTS["span_days"])
    ap.add_argument("--group-ids", default=",".join(str(g) for g in DEFAULTS["group_ids"]))
    ap.add_argument("--rate-per-minute", type=int, default=DEFAULTS["rate_per_minute"])
    ap.add_argument("--list-rate-per-minute", type=int,
                    default=DEFAULTS["list_rate_per_minute"])
    ap.add_argument("--window-seconds", type=float, default=DEFAULTS["window_seconds"])
    ap.add_argument("--link-nospace", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    base = {"tickets": a.tickets, "agents": a.agents, "seed": a.seed, "now": a.now,
            "span_days": a.span_days, "group_ids": a.group_ids,
            "rate_per_minute": a.rate_per_minute,
            "list_rate_per_minute": a.list_rate_per_minute,
            "window_seconds": a.window_seconds, "api_key": a.api_key,
            "link_space": not a.link_nospace}
    try:
        app = App(base)
        app.base_cfg["group_ids"] = app.cfg["group_ids"]
    except BadRequest as e:
        log("bad option: %s" % e)
        return 2
    return fakecore.serve(NAME, app, Handler, a.port, a.port_file, a.quiet,
                          lambda port: "listening on 127.0.0.1:%d (%d tickets, %d agents)" %
                          (port, len(app.tickets), len(app.agents)))

if __name__ == "__main__":
    sys.exit(main())
