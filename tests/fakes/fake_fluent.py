#!/usr/bin/env python3
"""Fake FluentSupport 2.0.1 (WordPress REST API) server for Deskhub tests.

Stdlib only (Python >= 3.9, tested with Debian 12's /usr/bin/python3 3.11).
Behaviour follows /work/shared/providers.md section 1, quirks included.

Usage
-----
  python3 fake_fluent.py --port 0 --port-file PATH [options]

  --port N              TCP port on 127.0.0.1 (default 0 = pick a free one)
  --port-file PATH      once listening, write the port number + "\\n" to PATH
                        (atomically: temp file + rename)
  --tickets N           number of generated tickets, ids 1..N (default 200)
  --seed S              RNG seed for deterministic data (default 1)
  --date-format F       iso (2.0.1: created_at/updated_at/waiting_since as
                        date('c') in UTC "+00:00") or mysql (older releases:
                        every date raw "YYYY-MM-DD HH:MM:SS" site-local).
                        Default iso.
  --timezone Z          site timezone_string (IANA name, e.g. Asia/Dhaka).
                        "" means "manual offset" (use --gmt-offset). A value
                        like "UTC+5.5" is read as zone "" + gmt_offset 5.5.
                        Default "UTC".
  --gmt-offset H        hours, used only when the timezone is "" (default 0)
  --user U              WordPress user name (default admin)
  --password P          application password (default
                        "abcd efgh ijkl mnop qrst uvwx"); accepted by the
                        server with or without the spaces (WP strips every
                        non-alphanumeric character before comparing)
  --now T               the fake's "current time" used for data generation and
                        gmt_offset, ISO-8601 ("2026-11-21T12:00:00Z", naive =
                        UTC) or unix seconds. Default: real current time.
  --spacing-minutes M   minutes between consecutive generated tickets
                        (default auto = max(10, 20160 / tickets): ~6 per hour,
                        but at least 14 days covered; ticket N is created
                        within the last M minutes before "now")
  --quiet               do not log requests

  Logs one line per request to stderr: "fake_fluent: METHOD PATH STATUS".
  The Authorization header is never logged. SIGTERM/SIGINT -> clean exit 0.
  HTTP/1.1 keep-alive; every response carries Content-Length.

Data endpoints (Basic auth needed where noted)
----------------------------------------------
  GET /wp-json/  (also /wp-json)   no auth.
      {"name":"Fake WP",...,"gmt_offset":<number>,"timezone_string":"<zone|''>",
       "namespaces":[...],...}. gmt_offset is computed from the zone at "now"
       (int when whole, e.g. 6, else float, e.g. 5.5).
  GET /wp-json/fluent-support/v2/tickets  (also with a trailing "/")  auth.
      Query params (PHP semantics):
        page      FILTER_VALIDATE_INT >= 1 else 1 ("0","-1","abc","02" -> 1).
                  Past the end: 200, data [], from/to null, current_page=page.
        per_page  default 15, intval() semantics ("20abc" -> 20), no cap.
                  intval 0 ("abc", "0", "") -> 500 {"message":"Division by zero"}.
                  Negative: Laravel ignores the LIMIT -> all rows on one page,
                  per_page echoes the negative number, last_page 1 (unverified).
        order_by  default id; any real column of wp_fs_tickets (id, customer_id,
                  agent_id, mailbox_id, product_id, product_source, privacy,
                  priority, client_priority, status, title, slug, hash,
                  content_hash, message_id, source, content, secret_content,
                  last_agent_response, last_customer_response, waiting_since,
                  response_count, first_response_time, total_close_time,
                  resolved_at, closed_by, created_at, updated_at). Otherwise
                  500 {"message":"Unknown column 'x' in 'ORDER BY' (SQL: ...)"}.
                  Ties keep id ascending; NULLs sort first in ASC (MySQL).
                  Text columns compare case-insensitively.
        order_type only the exact string "DESC" is descending; anything else
                  ("desc" too) is ASC; absent -> DESC.
        filters[status_type] open (new+active) | active | closed | new | all;
                  unknown or empty -> no filter.
        filters[product_id|priority|client_priority|mailbox_id]=v (or v[]) ->
                  equality / IN (string columns case-insensitive).
        filters[agent_id]=id | unassigned (agent_id IS NULL).
        filters[waiting_for_reply]=yes.
        customer_id=N exact.
        search    as Ticket::scopeSearchBy: "col:value" when col is a fillable
                  column or id and value non-empty (only the text between the
                  1st and 2nd ":" counts): numeric -> "=", else LIKE %value%.
                  Otherwise title LIKE %s% OR slug/content/id LIKE s%
                  (case-insensitive, % and _ are wildcards).
      Response (Laravel 8 LengthAwarePaginator):
        {"tickets":{"current_page":1,"data":[...],"first_page_url":
         "http://HOST/wp-json/fluent-support/v2/tickets/?page=1","from":1,
         "last_page":7,"last_page_url":".../tickets/?page=7","links":[...],
         "next_page_url":".../tickets/?page=2","path":"http://HOST/wp-json/
         fluent-support/v2/tickets","per_page":15,"prev_page_url":null,"to":15,
         "total":100}}
        URLs carry ONLY ?page=N (per_page/order/filters dropped) on ".../tickets/".
        JSON is encoded like PHP json_encode: "/" escaped as "\\/", non-ASCII
        as \\uXXXX.
  GET /wp-json/fluent-support/v2/tickets/{id}   auth.
      200 {"ticket":{...}}; unknown id -> 422 with a bare JSON string body
      "No query results for model [FluentSupport\\\\App\\\\Models\\\\Ticket] 999".
  Anything else under /wp-json/ (or another method) -> 404 rest_no_route.
  Bad/missing auth -> 401 {"code":"rest_forbidden","message":"Sorry, you are not
  allowed to do that.","data":{"status":401}}.

Ticket objects
--------------
  id is an int; every other integer column is a numeric STRING or null
  (customer_id, agent_id, mailbox_id, product_id, response_count,
  first_response_time, total_close_time, closed_by). Relations: customer,
  agent (null when unassigned), mailbox, product (null or {"id","title",...}),
  tags [], preview_response, live_activity [].
  Dates are stored as site-local wall time ("YYYY-MM-DD HH:MM:SS"), as WP does.
  iso mode: created_at/updated_at/waiting_since (also inside mailbox, product,
  preview_response) rendered as UTC "YYYY-MM-DDTHH:MM:SS+00:00", i.e. the wall
  time read in the site's CURRENT timezone; resolved_at, last_agent_response,
  last_customer_response stay raw wall time. mysql mode: everything raw.
  Generated data (deterministic per seed/now/timezone/spacing): created_at
  increasing with id; status new|active|closed; closed tickets have
  resolved_at, closed_by (agent person id as string, sometimes != agent_id,
  sometimes with agent_id null) and total_close_time (seconds, string); some
  active tickets are "reopened" (resolved_at/closed_by still set); ~8% odd
  priorities (low, high, urgent, Critical, NORMAL, whatever); products from
  Support, Hosting, Migration, Website, Email, Forms, Scripts, Advisory,
  Project, General, Widget Pro, or null. Agents are persons 1..6 (Ada Admin,
  Bob Builder, Chandra Roy, Dilnoza Karimova, Emile Zola (with E-acute),
  Farhana Akter); customers are persons 7 and up.

Control API (no auth, JSON in/out; errors -> 400 {"error":"..."})
-----------------------------------------------------------------
  POST /__control/reset  body: any of tickets, seed, date_format, timezone,
      gmt_offset, user, password, now, spacing_minutes, id_last (a ticket's
      "id" rendered after its other columns, as a plugin whose model
      orders its attributes otherwise would; default false) (options not given fall
      back to the values the server was STARTED with), plus
      "keep_data": true -> keep the current tickets (stored wall times) and
      only apply the new settings; this is how to emulate "site timezone changed
      later": the iso output of the same rows shifts like the real plugin.
      Always clears faults and stats. -> {"ok":true,"config":{...},"tickets":N}
  POST /__control/tickets  {"tickets":[{...}], "delete":[ids]}
      Upsert by "id" (required, int): given fields are merged into the stored
      ticket verbatim (so tests may inject ints, nulls, odd strings); for new ids
      missing fields get defaults (status new, priority/client_priority normal,
      customer 7, agent null, product null, mailbox 1, dates = now, ...).
      Date fields (created_at, updated_at, waiting_since, resolved_at,
      last_agent_response, last_customer_response): "YYYY-MM-DD HH:MM:SS" is
      stored as site-local wall time; an ISO value with offset/Z is converted
      to site-local wall time; anything else is stored and returned verbatim.
      If customer_id/agent_id/product_id/mailbox_id is given without the
      matching relation object, the object is re-derived (null if unknown).
      -> {"ok":true,"upserted":n,"deleted":n,"tickets":N}
  POST /__control/fault  {"kind":K, "count":1, "on_page":p, "retry_after":1,
      "delay":0, "path":"/wp-json/fluent-support/", "message":"...",
      "content_type":"..."}  or {"clear":true}
      Faults form a FIFO queue; each data request takes the FIRST queued fault
      that matches it (path prefix, default "/wp-json/fluent-support/", so
      GET /wp-json/ is not affected unless path "/wp-json/" is given; on_page:
      only ticket-list requests whose effective page == p). count <= 0 means
      "forever" (until reset/clear). Faulted requests skip auth.
      Kinds: 401 (rest_forbidden 401), 403 (rest_forbidden 403),
      429 (Retry-After: retry_after, default 1), 500 ({"message": message}),
      502html (nginx HTML page, text/html, 502),
      html200 (normal response with a WP_DEBUG '<div id="error">...' printed
      before the JSON), truncated (Content-Length of the full body, half sent,
      then close), notjson (200 text/html "<html>..." body),
      slow (sleep delay, default 3 s, then answer normally),
      drop (close the socket without any response).
      "delay" (seconds) is slept before any kind.
      -> {"ok":true,"faults_pending":n}
  GET /__control/stats  (?reset=1 clears the stats after reading)
      {"requests": data requests (everything not under /__control/),
       "pages": [effective page of every ticket-list request, in order],
       "queries": [raw query string of every ticket-list request],
       "max_page": n (0 if none), "faults_pending": n,
       "log": [{"method","path","query","status","fault"}] (last 50000),
       "config": {...}}
"""

import argparse
import base64
import datetime as dt
import gc
import hashlib
import json
import math
import random
import re
import sys
import threading
import time
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import fakecore
from fakecore import BadRequest, BaseHandler, FaultQueue

NAME = "fake_fluent"
UTC = dt.timezone.utc
WALL_FMT = "%Y-%m-%d %H:%M:%S"
WALL_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
LIST_RE = re.compile(r"^/wp-json/fluent-support/v2/tickets/?$")
ONE_RE = re.compile(r"^/wp-json/fluent-support/v2/tickets/(\d+)/?$")
NS = "/wp-json/fluent-support/v2"

DEFAULTS = {
    "tickets": 200,
    "seed": 1,
    "date_format": "iso",
    "timezone": "UTC",
    "gmt_offset": 0,
    "user": "admin",
    "password": "abcd efgh ijkl mnop qrst uvwx",
    "now": None,
    "spacing_minutes": None,   # None = auto: max(10, 20160 / tickets)
    "id_last": False,          # render "id" after the other columns
}

AGENTS = [
    (1, "Ada", "Admin", "admin@example.test"),
    (2, "Bob", "Builder", "bob@example.test"),
    (3, "Chandra", "Roy", "chandra@example.test"),
    (4, "Dilnoza", "Karimova", "dilnoza@example.test"),
    (5, "\u00c9mile", "Zola", "emile@example.test"),
    (6, "Farhana", "Akter", "farhana@example.test"),
]
FIRST_CUSTOMER_ID = 7
PRODUCT_NAMES = ["Support", "Hosting", "Migration", "Website", "Email", "Forms",
                 "Scripts", "Advisory", "Project", "General", "Widget Pro"]
PRODUCT_WEIGHTS = [20, 12, 6, 10, 8, 5, 4, 3, 4, 8, 2]
PRIO_MAIN = ["normal"] * 6 + ["medium"] * 3 + ["critical"] * 2
PRIO_ODD = ["low", "high", "urgent", "Critical", "NORMAL", "whatever"]
TITLES = [
    "Printer {i} broken",
    "Cannot log in to {p} ({i})",
    "Invoice #{i} question",
    "Caf\u00e9 men\u00fc \u2014 \u00fcn\u00efcode {i}",
    "Quote \"test\" and back\\slash {i}",
    "Path /var/www/{i} & <tags>",
    "Migration of site {i}",
    "Email bounces for user{i}@example.test",
]
CONTENTS = [
    "<p>It does not print &amp; smokes</p><br>line2 ({i})",
    "<p>Hello,</p><p>I need help with ticket {i}.</p>",
    "<p>Error: <code>500 Internal Server Error</code> on /checkout ({i})</p>",
    "<p>Ol\u00e1! \u00c7a ne marche pas {i}</p>",
]

FILLABLE = ["customer_id", "agent_id", "product_id", "mailbox_id", "product_source",
            "privacy", "priority", "client_priority", "status", "title", "slug", "hash",
            "source", "message_id", "content", "last_agent_response",
            "last_customer_response", "waiting_since", "response_count",
            "first_response_time", "total_close_time", "resolved_at", "closed_by"]
INT_COLS = {"id", "customer_id", "agent_id", "mailbox_id", "product_id", "response_count",
            "first_response_time", "total_close_time", "closed_by"}
COLUMNS = ["id", "customer_id", "agent_id", "mailbox_id", "product_id", "product_source",
           "privacy", "priority", "client_priority", "status", "title", "slug", "hash",
           "content_hash", "message_id", "source", "content", "secret_content",
           "last_agent_response", "last_customer_response", "waiting_since",
           "response_count", "first_response_time", "total_close_time", "resolved_at",
           "closed_by", "created_at", "updated_at"]
COLUMN_SET = set(COLUMNS)
REL_KEYS = {"customer", "agent", "mailbox", "product"}
MODEL_DATE_KEYS = ("created_at", "updated_at", "waiting_since")
WALL_KEYS = ("created_at", "updated_at", "waiting_since", "resolved_at",
             "last_agent_response", "last_customer_response")
STATUS_GROUPS = {"open": ["new", "active"], "active": ["active"], "closed": ["closed"],
                 "new": ["new"], "all": None}
FAULT_KINDS = {"401", "403", "429", "500", "502html", "html200", "truncated", "notjson",
               "slow", "drop"}

HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n")
HTML_NOTJSON = (b"<html><head><title>Briefly unavailable for scheduled maintenance</title>"
                b"</head><body><p>Briefly unavailable for scheduled maintenance. Check back "
                b"in a minute.</p></body></html>")
HTML_WPDB = (b"<div id=\"error\"><p class=\"wpdberror\"><strong>WordPress database error:"
             b"</strong> [Table &#039;wordpress.wp_fs_meta&#039; doesn&#039;t exist]<br />"
             b"<code>SELECT * FROM `wp_fs_meta` WHERE `object_type` = &#039;agent_meta&#039;"
             b"</code></p></div>")


# ----------------------------------------------------------------------------- helpers

def log(msg):
    fakecore.log(NAME, msg)


def wp_dumps(obj):
    """PHP json_encode() with default flags: '/' -> '\\/', non-ASCII -> \\uXXXX."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def wp_json_bytes(obj):
    return wp_dumps(obj).encode("ascii")


def parse_now(v):
    """ISO-8601 (Z/offset; naive = UTC) or unix seconds -> aware UTC, whole seconds."""
    if v is None or v == "":
        t = dt.datetime.now(UTC)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        t = dt.datetime.fromtimestamp(float(v), UTC)
    else:
        s = str(v).strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", s):
            t = dt.datetime.fromtimestamp(float(s), UTC)
        else:
            if s.endswith("Z") or s.endswith("z"):
                s = s[:-1] + "+00:00"
            try:
                t = dt.datetime.fromisoformat(s)
            except ValueError:
                raise BadRequest("bad now: %r" % (v,))
            if t.tzinfo is None:
                t = t.replace(tzinfo=UTC)
            t = t.astimezone(UTC)
    return t.replace(microsecond=0)


def php_intval(v):
    if v is None:
        return 0
    if isinstance(v, dict):
        return 1 if v else 0
    m = re.match(r"^[ \t\n\r\v\f]*([+-]?\d+)", str(v))
    return int(m.group(1)) if m else 0


def php_page(v):
    """Laravel resolveCurrentPage: filter_var(FILTER_VALIDATE_INT) && >= 1, else 1."""
    if isinstance(v, str):
        m = re.fullmatch(r"[ \t\n\r\v\f]*([+-]?(?:0|[1-9]\d*))[ \t\n\r\v\f]*", v)
        if m:
            n = int(m.group(1))
            if n >= 1:
                return n
    return 1


def php_is_numeric(v):
    return bool(re.fullmatch(r"[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*",
                             str(v)))


def php_truthy(v):
    if v is None:
        return False
    if isinstance(v, dict):
        return bool(v)
    return v not in ("", "0")


def php_parse_qs(query):
    """PHP-style $_GET: a[b]=1&a[c][]=2 -> {'a': {'b': '1', 'c': {'0': '2'}}}; last wins."""
    out = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        m = re.match(r"^([^\[]*)((?:\[[^\]]*\])+)", k)
        if not m or not m.group(1):
            out[k.replace(".", "_").replace(" ", "_")] = v
            continue
        base = m.group(1).replace(".", "_").replace(" ", "_")
        keys = re.findall(r"\[([^\]]*)\]", m.group(2))
        cur = out.get(base)
        if not isinstance(cur, dict):
            cur = out[base] = {}
        for i, kk in enumerate(keys):
            if kk == "":
                nums = [int(x) for x in cur if re.fullmatch(r"-?\d+", x)]
                kk = str(max(nums) + 1 if nums else 0)
            if i == len(keys) - 1:
                cur[kk] = v
            else:
                nxt = cur.get(kk)
                if not isinstance(nxt, dict):
                    nxt = cur[kk] = {}
                cur = nxt
    return out


def like_regex(pattern):
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def slugify(title):
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s or "support-ticket"


def gravatar(email):
    return "https://www.gravatar.com/avatar/%s?s=128&d=mm" % hashlib.md5(
        email.encode()).hexdigest()


def person_obj(pid, first, last, email):
    return {"first_name": first, "last_name": last, "email": email, "id": pid,
            "avatar": None, "full_name": "%s %s" % (first, last), "photo": gravatar(email)}


# ----------------------------------------------------------------------------- site time

class SiteTime:
    def __init__(self, zone, gmt_offset, now_utc):
        zone = "" if zone is None else str(zone)
        m = re.fullmatch(r"UTC([+-]\d+(?:\.\d+)?)", zone)
        if m:
            zone, gmt_offset = "", float(m.group(1))
        if zone in ("UTC", "utc", "Etc/UTC"):
            zone = "UTC"
        self.zone = zone
        if zone:
            try:
                self.tz = ZoneInfo(zone)
            except Exception:
                raise BadRequest("unknown timezone %r" % zone)
        else:
            try:
                off = float(gmt_offset or 0)
            except (TypeError, ValueError):
                raise BadRequest("bad gmt_offset %r" % (gmt_offset,))
            self.tz = dt.timezone(dt.timedelta(minutes=round(off * 60)))
        off = now_utc.astimezone(self.tz).utcoffset().total_seconds() / 3600.0
        self.gmt_offset = int(off) if off == int(off) else off
        self._iso = {}
        # speed: a zone whose offset never changes around "now" (UTC, Asia/Dhaka, ...)
        # behaves exactly like a fixed-offset zone; those convert much faster.
        if isinstance(self.tz, ZoneInfo):
            first = now_utc.astimezone(self.tz).utcoffset()
            step = dt.timedelta(hours=6)
            t = now_utc - dt.timedelta(days=3650)
            end = now_utc + dt.timedelta(days=400)
            constant = True
            while t < end:
                if t.astimezone(self.tz).utcoffset() != first:
                    constant = False
                    break
                t += step
            if constant:
                self.tz = dt.timezone(first)

    def wall(self, aware):
        # microseconds are always 0 here, so isoformat(" ") == "YYYY-MM-DD HH:MM:SS"
        return aware.astimezone(self.tz).replace(tzinfo=None).isoformat(" ")

    def wall_to_iso(self, s):
        r = self._iso.get(s)
        if r is None:
            naive = dt.datetime.fromisoformat(s)
            r = naive.replace(tzinfo=self.tz).astimezone(UTC).isoformat()
            if len(self._iso) > 500000:
                self._iso.clear()
            self._iso[s] = r
        return r


# ----------------------------------------------------------------------------- application

class App:
    def __init__(self, base_cfg):
        self.lock = threading.RLock()
        self.base_cfg = dict(base_cfg)
        self.cfg = None
        self.relcache = {}
        self.tickets = {}     # id -> row dict (wall-time dates, relation objects)
        self.json = {}        # id -> pre-serialised bytes
        self.version = 0
        self.qcache = {}
        self.sorted_ids = []
        self.sorted_version = -1
        self.faults = FaultQueue(FAULT_KINDS, '/wp-json/fluent-support/')
        self.reset_stats()
        self.apply_config({}, keep_data=False)

    # --- config / generation
    def apply_config(self, opts, keep_data):
        cfg = dict(self.base_cfg)
        for k, v in opts.items():
            if k == "keep_data":
                continue
            if k not in DEFAULTS:
                raise BadRequest("unknown option %r" % k)
            cfg[k] = v
        try:
            cfg["tickets"] = int(cfg["tickets"])
            try:
                cfg["seed"] = int(cfg["seed"])
            except (TypeError, ValueError):
                cfg["seed"] = str(cfg["seed"])
            if cfg["spacing_minutes"] in (None, "", "auto"):
                # ~6 per hour, but always spread over at least 14 days
                cfg["spacing_minutes"] = max(10.0, 20160.0 / max(1, cfg["tickets"]))
            cfg["spacing_minutes"] = float(cfg["spacing_minutes"])
        except (TypeError, ValueError) as e:
            raise BadRequest(str(e))
        if cfg["tickets"] < 0 or cfg["spacing_minutes"] <= 0:
            raise BadRequest("tickets must be >= 0 and spacing_minutes > 0")
        if cfg["date_format"] not in ("iso", "mysql"):
            raise BadRequest("date_format must be iso or mysql")
        now = parse_now(cfg["now"])
        site = SiteTime(cfg["timezone"], cfg["gmt_offset"], now)
        self.cfg, self.now, self.site = cfg, now, site
        self.relcache = {}
        if keep_data and self.tickets is not None and hasattr(self, "agents"):
            self.cfg["tickets"] = len(self.tickets)
            self.rerender_all()
        else:
            self.build_people()
            self.generate()
        self.faults.clear()
        self.reset_stats()

    def public_config(self):
        c = dict(self.cfg)
        c["now"] = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        c["timezone"] = self.site.zone
        c["gmt_offset"] = self.site.gmt_offset
        c.pop("password", None)
        return c

    def build_people(self):
        self.agents = {a[0]: person_obj(*a) for a in AGENTS}
        n = max(10, min(1000, self.cfg["tickets"] // 5))
        self.customers = {}
        for k in range(n):
            pid = FIRST_CUSTOMER_ID + k
            self.customers[pid] = person_obj(pid, "Cust", "N%d" % pid,
                                             "cust%d@example.test" % pid)
        # mailboxes/products are created "a year before now" in site-local time
        w0 = self.site.wall(self.now - dt.timedelta(days=400))
        self.mailboxes = {
            1: {"id": 1, "name": "Support", "slug": "support", "box_type": "web",
                "email": "support@example.test", "mapped_email": None, "email_footer": None,
                "settings": {"admin_email_address": "admin@example.test"}, "avatar": None,
                "created_by": "1", "is_default": "yes", "created_at": w0, "updated_at": w0},
            2: {"id": 2, "name": "Billing", "slug": "billing", "box_type": "email",
                "email": "billing@example.test", "mapped_email": "billing@inbox.example.test",
                "email_footer": None, "settings": {}, "avatar": None, "created_by": "1",
                "is_default": "no", "created_at": w0, "updated_at": w0},
        }
        self.products = {}
        for k, name in enumerate(PRODUCT_NAMES, start=1):
            self.products[k] = {"id": k, "source_uid": None, "mailbox_id": None, "title": name,
                                "description": None, "settings": None, "source": "local",
                                "created_by": None, "created_at": w0, "updated_at": w0}

    def generate(self):
        cfg, site, now = self.cfg, self.site, self.now
        rng = random.Random(cfg["seed"])
        n = cfg["tickets"]
        spacing = max(1, int(round(cfg["spacing_minutes"] * 60)))
        start = now - dt.timedelta(seconds=spacing * n)
        cust_ids = list(self.customers)
        agent_ids = list(self.agents)
        prod_ids = list(self.products)
        W = site.wall
        td = dt.timedelta
        self.tickets, self.json = {}, {}
        gc_was = gc.isenabled()
        gc.disable()
        try:
            self._generate(rng, n, spacing, start, cust_ids, agent_ids, prod_ids, W, td)
        finally:
            if gc_was:
                gc.enable()
        self.version += 1
        self.qcache = {}

    def _generate(self, rng, n, spacing, start, cust_ids, agent_ids, prod_ids, W, td):
        now = self.now
        for i in range(1, n + 1):
            c = start + td(seconds=spacing * (i - 1) + rng.randrange(spacing))
            age = (now - c).total_seconds()
            r = rng.random()
            if age > 3 * 86400:
                status = "closed" if r < 0.7 else ("active" if r < 0.9 else "new")
            else:
                status = "closed" if r < 0.3 else ("active" if r < 0.7 else "new")
            cust = rng.choice(cust_ids)
            prio = rng.choice(PRIO_ODD) if rng.random() < 0.08 else rng.choice(PRIO_MAIN)
            cprio = rng.choice(PRIO_ODD) if rng.random() < 0.08 else rng.choice(PRIO_MAIN)
            if rng.random() < 0.12:
                prod = None
            else:
                prod = rng.choices(prod_ids, weights=PRODUCT_WEIGHTS)[0]
            mailbox = 1 if rng.random() < 0.85 else 2
            agent = rng.choice(agent_ids)
            cap = int(age) - 1 if age > 1 else 0

            def after(base_s, lo, hi):
                x = base_s + rng.randint(lo, hi)
                if x > cap:   # recent ticket: spread inside the time left
                    x = base_s + int(max(0, cap - base_s) * rng.random())
                return max(0, min(x, cap))

            t = {"id": i}
            last_agent = last_cust = resolved = closed_by = total_close = None
            first_resp = None
            resp_count = 0
            upd_s = 0
            if status == "new":
                if rng.random() < 0.8:
                    agent = None
                last_cust_s = 0
                waiting_s = 0
                upd_s = after(0, 0, 30)
            else:
                fr = after(0, 120, 86400)
                first_resp = fr
                resp_count = rng.randint(1, 8)
                last_agent_s = after(fr, 0, 3 * 86400)
                last_cust_s = after(0, 0, max(1, last_agent_s + 3600))
                waiting_s = last_cust_s if last_cust_s > last_agent_s else last_agent_s
                last_agent = last_agent_s
                upd_s = max(last_agent_s, last_cust_s)
                if status == "closed" or (status == "active" and rng.random() < 0.08):
                    # closed, or reopened (status active, resolved_at/closed_by kept)
                    close_s = after(upd_s, 300, rng.choice([36000, 10 * 86400]))
                    resolved = close_s
                    total_close = close_s
                    x = rng.random()
                    if x < 0.1:
                        agent = None
                        closed_by = rng.choice(agent_ids)
                    elif x < 0.2:
                        closed_by = rng.choice(agent_ids)
                    else:
                        closed_by = agent
                    upd_s = close_s
                    if status == "active":
                        upd_s = after(close_s, 60, 2 * 86400)
                        last_cust_s2 = upd_s
                        last_cust_s = last_cust_s2
                        waiting_s = last_cust_s2
                    elif rng.random() < 0.2:
                        upd_s = after(close_s, 3600, 5 * 86400)   # edited later
            title = rng.choice(TITLES).format(i=i, p=PRODUCT_NAMES[(prod or 1) - 1])
            content = rng.choice(CONTENTS).format(i=i)
            cw = W(c)
            t.update({
                "customer_id": str(cust),
                "agent_id": None if agent is None else str(agent),
                "mailbox_id": str(mailbox),
                "product_id": None if prod is None else str(prod),
                "product_source": "local",
                "privacy": "private",
                "priority": prio,
                "client_priority": cprio,
                "status": status,
                "title": title,
                "slug": slugify(title),
                "hash": "%08x%d" % (rng.getrandbits(32), rng.randint(1, 99)),
                "content_hash": hashlib.md5(content.encode()).hexdigest(),
                "message_id": None,
                "source": "web" if mailbox == 1 else "email",
                "content": content,
                "secret_content": None,
                "last_agent_response": None if last_agent is None else W(c + td(seconds=last_agent)),
                "last_customer_response": W(c + td(seconds=last_cust_s)),
                "waiting_since": W(c + td(seconds=waiting_s)),
                "response_count": str(resp_count),
                "first_response_time": None if first_resp is None else str(first_resp),
                "total_close_time": None if total_close is None else str(total_close),
                "resolved_at": None if resolved is None else W(c + td(seconds=resolved)),
                "closed_by": None if closed_by is None else str(closed_by),
                "created_at": cw,
                "updated_at": W(c + td(seconds=max(0, upd_s))),
                "live_activity": [],
                "tags": [],
            })
            t["preview_response"] = None if resp_count == 0 else {
                "id": i, "serial": "1", "ticket_id": str(i),
                "person_id": None if agent is None else str(agent),
                "conversation_type": "response", "content": "<p>Thanks, looking into it.</p>",
                "source": "web", "content_hash": "", "message_id": None, "is_important": "no",
                "created_at": t["last_agent_response"] or cw,
                "updated_at": t["last_agent_response"] or cw}
            self.attach_relations(t)
            self.tickets[i] = t
            self.json[i] = self.render(t)

    def attach_relations(self, t, given=None):
        for col, rel, table in (("customer_id", "customer", self.customers),
                                ("agent_id", "agent", self.agents),
                                ("mailbox_id", "mailbox", self.mailboxes),
                                ("product_id", "product", self.products)):
            if given is not None and (col not in given or rel in given):
                continue
            v = t.get(col)
            try:
                t[rel] = table.get(int(v)) if v is not None else None
            except (TypeError, ValueError):
                t[rel] = None

    def _fmt_model(self, obj):
        if not isinstance(obj, dict):
            return obj
        d = dict(obj)
        if self.cfg["date_format"] == "iso":
            for k in MODEL_DATE_KEYS:
                v = d.get(k)
                if isinstance(v, str) and WALL_RE.match(v):
                    try:
                        d[k] = self.site.wall_to_iso(v)
                    except ValueError:
                        pass
        return d

    def rel_json(self, obj):
        """JSON of a relation object; the stock (shared) objects are cached."""
        if obj is None:
            return "null"
        key = id(obj)
        hit = self.relcache.get(key)
        if hit is not None and hit[0] is obj:
            return hit[1]
        s = wp_dumps(self._fmt_model(obj))
        if self.is_stock(obj):
            self.relcache[key] = (obj, s)
        return s

    def is_stock(self, obj):
        oid = obj.get("id") if isinstance(obj, dict) else None
        return any(tbl.get(oid) is obj for tbl in
                   (self.customers, self.agents, self.mailboxes, self.products))

    def render(self, t):
        cols = {}
        rels = []
        for k, v in t.items():
            if k in REL_KEYS:
                rels.append((k, v))
            else:
                cols[k] = v
        d = self._fmt_model(cols)
        if self.cfg.get("id_last") and "id" in d:
            d["id"] = d.pop("id")
        pr = d.get("preview_response")
        if isinstance(pr, dict):
            d["preview_response"] = self._fmt_model(pr)
        parts = [wp_dumps(d)[:-1]]
        for k, v in rels:
            parts.append(',"%s":' % k)
            parts.append(self.rel_json(v) if isinstance(v, dict) or v is None
                         else wp_dumps(v))
        parts.append("}")
        return "".join(parts).encode("ascii")

    def rerender_all(self):
        # keep_data: same rows (and same mailbox/product/person rows), new settings
        for tid, t in self.tickets.items():
            self.json[tid] = self.render(t)
        self.version += 1
        self.qcache = {}

    def to_wall(self, v):
        if not isinstance(v, str):
            return v
        s = v.strip()
        if WALL_RE.match(s):
            return s
        iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
        try:
            x = dt.datetime.fromisoformat(iso)
        except ValueError:
            return v
        if x.tzinfo is None:
            return x.strftime(WALL_FMT)
        return self.site.wall(x)

    def default_ticket(self, tid):
        nw = self.site.wall(self.now)
        title = "Ticket %d" % tid
        content = "<p>Ticket %d content</p>" % tid
        t = {"id": tid, "customer_id": str(FIRST_CUSTOMER_ID), "agent_id": None,
             "mailbox_id": "1", "product_id": None, "product_source": "local",
             "privacy": "private", "priority": "normal", "client_priority": "normal",
             "status": "new", "title": title, "slug": slugify(title),
             "hash": hashlib.md5(str(tid).encode()).hexdigest()[:8] + "1",
             "content_hash": hashlib.md5(content.encode()).hexdigest(), "message_id": None,
             "source": "web", "content": content, "secret_content": None,
             "last_agent_response": None, "last_customer_response": nw, "waiting_since": nw,
             "response_count": "0", "first_response_time": None, "total_close_time": None,
             "resolved_at": None, "closed_by": None, "created_at": nw, "updated_at": nw,
             "live_activity": [], "tags": [], "preview_response": None}
        self.attach_relations(t)
        return t

    def upsert(self, items, deletes):
        up = de = 0
        for item in items or []:
            if not isinstance(item, dict) or "id" not in item:
                raise BadRequest("each ticket needs an id")
            try:
                tid = int(item["id"])
            except (TypeError, ValueError):
                raise BadRequest("bad id %r" % (item["id"],))
            t = self.tickets.get(tid)
            if t is None:
                t = self.default_ticket(tid)
            else:
                t = dict(t)
            for k, v in item.items():
                if k == "id":
                    continue
                t[k] = self.to_wall(v) if k in WALL_KEYS else v
            self.attach_relations(t, given=item)
            self.tickets[tid] = t
            self.json[tid] = self.render(t)
            up += 1
        for x in deletes or []:
            try:
                x = int(x)
            except (TypeError, ValueError):
                raise BadRequest("bad delete id %r" % (x,))
            if self.tickets.pop(x, None) is not None:
                self.json.pop(x, None)
                de += 1
        self.version += 1
        self.qcache = {}
        return up, de

    # --- stats / faults
    def reset_stats(self):
        self.stats = {"requests": 0, "pages": [], "queries": [], "log": []}

    def add_fault(self, body):
        self.faults.add(body)

    def take_fault(self, path, page):
        return self.faults.take(path, page)

    def faults_pending(self):
        return self.faults.pending()

    # --- auth
    def check_auth(self, header):
        if not header or not header[:6].lower() == "basic ":
            return False
        try:
            raw = base64.b64decode(header[6:].strip(), validate=False).decode("utf-8", "replace")
        except Exception:
            return False
        user, sep, pw = raw.partition(":")
        if not sep:
            return False
        if user.lower() != str(self.cfg["user"]).lower():
            return False
        strip = lambda s: re.sub(r"[^A-Za-z0-9]", "", s)
        want = strip(str(self.cfg["password"]))
        return bool(want) and strip(pw) == want

    # --- listing
    def ordered_ids(self):
        if self.sorted_version != self.version:
            self.sorted_ids = sorted(self.tickets)
            self.sorted_version = self.version
        return self.sorted_ids

    def matcher(self, params):
        conds = []
        filters = params.get("filters")
        if isinstance(filters, dict):
            for key, val in filters.items():
                if not php_truthy(val):
                    continue
                if key == "status_type":
                    if isinstance(val, str) and STATUS_GROUPS.get(val):
                        conds.append(("in", "status", set(STATUS_GROUPS[val])))
                elif key in ("product_id", "client_priority", "priority", "mailbox_id"):
                    vals = list(val.values()) if isinstance(val, dict) else [val]
                    conds.append(("eqany", key, vals))
                elif key == "agent_id":
                    if val == "unassigned":
                        conds.append(("null", "agent_id", None))
                    else:
                        vals = list(val.values()) if isinstance(val, dict) else [val]
                        conds.append(("eqany", "agent_id", vals))
                elif key == "waiting_for_reply" and val == "yes":
                    conds.append(("waiting", None, None))
        if "customer_id" in params and not isinstance(params["customer_id"], dict):
            conds.append(("eqany", "customer_id", [str(php_intval(params["customer_id"]))]))
        search = params.get("search")
        if isinstance(search, str) and search:
            handled = False
            if search.find(":") > 0:
                parts = search.split(":")
                col, val = parts[0], parts[1]
                if (col in FILLABLE or col == "id") and php_truthy(val):
                    if php_is_numeric(val):
                        conds.append(("eqany", col, [val]))
                    else:
                        conds.append(("like", col, like_regex("%" + val + "%")))
                    handled = True
            if not handled:
                conds.append(("search", None, (like_regex("%" + search + "%"),
                                               like_regex(search + "%"))))
        return conds

    @staticmethod
    def col_eq(col, have, want):
        if have is None:
            return False
        if col in INT_COLS:
            try:
                return float(have) == float(str(want).strip() or "0")
            except (TypeError, ValueError):
                return False
        return str(have).casefold().rstrip(" ") == str(want).casefold().rstrip(" ")

    def row_matches(self, t, conds):
        for kind, col, arg in conds:
            if kind == "in":
                if t.get(col) not in arg:
                    return False
            elif kind == "eqany":
                if not any(self.col_eq(col, t.get(col), w) for w in arg):
                    return False
            elif kind == "null":
                if t.get(col) is not None:
                    return False
            elif kind == "like":
                v = t.get(col)
                if v is None or not arg.match(str(v)):
                    return False
            elif kind == "waiting":
                la, lc = t.get("last_agent_response"), t.get("last_customer_response")
                if not (la is None or t.get("status") == "new" or (lc is not None and la < lc)):
                    return False
            elif kind == "search":
                contains, prefix = arg
                if not (contains.match(str(t.get("title") or "")) or
                        prefix.match(str(t.get("slug") or "")) or
                        prefix.match(str(t.get("content") or "")) or
                        prefix.match(str(t["id"]))):
                    return False
        return True

    @staticmethod
    def sort_key(col):
        if col in INT_COLS:
            def k(t):
                v = t.get(col)
                if v is None:
                    return (0, 0.0)
                try:
                    return (1, float(v))
                except (TypeError, ValueError):
                    return (1, 0.0)
        else:
            def k(t):
                v = t.get(col)
                if v is None:
                    return (0, "")
                return (1, str(v).casefold())
        return k

    def list_rows(self, params, order_by, desc):
        conds = self.matcher(params)
        key = (order_by, desc, repr(conds))
        hit = self.qcache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        ids = self.ordered_ids()
        if conds:
            rows = [self.tickets[i] for i in ids if self.row_matches(self.tickets[i], conds)]
        else:
            rows = [self.tickets[i] for i in ids]
        if order_by == "id":
            if desc:
                rows.reverse()
        else:
            rows.sort(key=self.sort_key(order_by), reverse=desc)
        out = [self.json[t["id"]] for t in rows]
        if len(self.qcache) > 32:
            self.qcache = {}
        self.qcache[key] = (self.version, out)
        return out


# ----------------------------------------------------------------------------- HTTP

def pagination_links(url, current, last):
    """Laravel 8 LengthAwarePaginator::linkCollection with onEachSide=3."""
    each = 3

    def rng(a, b):
        return [(p, url(p)) for p in range(a, b + 1)]

    if last < each * 2 + 8:
        first, slider, lastw = rng(1, last), None, None
    else:
        window = each + 4
        if current <= window:
            first, slider, lastw = rng(1, window + each), None, rng(last - 1, last)
        elif current > last - window:
            first, slider, lastw = rng(1, 2), None, rng(last - (window + (each - 1)), last)
        else:
            first, slider, lastw = rng(1, 2), rng(current - each, current + each), \
                rng(last - 1, last)
    elements = [first]
    if slider is not None:
        elements += ["...", slider]
    if lastw is not None:
        elements += ["...", lastw]
    links = [{"url": url(current - 1) if current > 1 else None,
              "label": "pagination.previous", "active": False}]
    for el in elements:
        if el == "...":
            links.append({"url": None, "label": "...", "active": False})
        elif el:
            for p, u in el:
                links.append({"url": u, "label": str(p), "active": p == current})
    links.append({"url": url(current + 1) if current < last else None,
                  "label": "pagination.next", "active": False})
    return links


WP_HEADERS = [
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
    ("Access-Control-Allow-Headers", "Authorization, X-WP-Nonce, Content-Disposition, "
                                     "Content-MD5, Content-Type"),
    ("Vary", "Origin"),
]
JSON_CT = "application/json; charset=UTF-8"


def wp_error(status, code, message, extra=None):
    data = {"status": status}
    if extra:
        data.update(extra)
    return status, JSON_CT, [], wp_json_bytes({"code": code, "message": message, "data": data})


def forbidden(status=401):
    return wp_error(status, "rest_forbidden", "Sorry, you are not allowed to do that.")


def no_route():
    return wp_error(404, "rest_no_route",
                    "No route was found matching the URL and request method.")


class Handler(BaseHandler):
    SERVER_NAME = 'Apache/2.4.57 (Debian)'

    def dispatch(self):
        app = self.server.app
        body = self.read_body()
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        if path.startswith("/__control/"):
            return self.control(app, path, query, body)
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        base = "http://" + host
        is_list = self.command == "GET" and bool(LIST_RE.match(path))
        params = php_parse_qs(query)
        page = php_page(params.get("page")) if is_list else None
        with app.lock:
            app.stats["requests"] += 1
            if is_list:
                app.stats["pages"].append(page)
                app.stats["queries"].append(query)
            fault = app.take_fault(path, page)
        status = 0
        try:
            if fault is not None and fault.delay > 0:
                time.sleep(fault.delay)
            kind = fault.kind if fault is not None else None
            if kind == "drop":
                self.drop()
                return
            direct = self.fault_response(fault) if kind else None
            if direct is not None:
                st, ct, hd, bd = direct
            else:
                st, ct, hd, bd = self.handle_data(app, path, params, base, is_list, page)
                if kind == "html200":
                    bd = HTML_WPDB + bd
            status = st
            self.send_all(st, ct, WP_HEADERS + hd, bd, truncate=(kind == "truncated"))
        finally:
            with app.lock:
                lg = app.stats["log"]
                lg.append({"method": self.command, "path": path, "query": query,
                           "status": status, "fault": fault.kind if fault else None})
                if len(lg) > 50000:
                    del lg[:10000]

    def fault_response(self, f):
        k = f.kind
        if k == "401":
            return forbidden(401)
        if k == "403":
            return forbidden(403)
        if k == "429":
            st, ct, hd, bd = wp_error(429, "too_many_requests", "Too Many Requests")
            return st, ct, [("Retry-After", str(f.retry_after))], bd
        if k == "500":
            return 500, JSON_CT, [], wp_json_bytes({"message": f.message})
        if k == "502html":
            return 502, f.content_type or "text/html", [], HTML_502
        if k == "notjson":
            return 200, f.content_type or "text/html; charset=UTF-8", [], HTML_NOTJSON
        return None   # slow, html200, truncated: normal response

    def handle_data(self, app, path, params, base, is_list, page):
        if path in ("/wp-json", "/wp-json/"):
            if self.command != "GET":
                return no_route()
            with app.lock:
                site = app.site
                doc = {"name": "Fake WP", "description": "Deskhub test double",
                       "url": base, "home": base, "gmt_offset": site.gmt_offset,
                       "timezone_string": site.zone,
                       "namespaces": ["oembed/1.0", "fluent-support/v2", "wp/v2",
                                      "wp-site-health/v1"],
                       "authentication": {"application-passwords": {"endpoints": {
                           "authorization": base + "/wp-admin/authorize-application.php"}}},
                       "routes": {NS + "/tickets": {"namespace": "fluent-support/v2",
                                                    "methods": ["GET", "POST"]}},
                       "site_logo": 0, "site_icon": 0}
            return 200, JSON_CT, [], wp_json_bytes(doc)
        if not path.startswith("/wp-json/"):
            return 404, "text/html; charset=UTF-8", [], \
                b"<html><body><h1>Not Found</h1></body></html>"
        m = ONE_RE.match(path)
        if not (is_list or (m and self.command == "GET")):
            return no_route()
        with app.lock:
            if not app.check_auth(self.headers.get("Authorization")):
                return forbidden(401)
            if m:
                tid = int(m.group(1))
                j = app.json.get(tid)
                if j is None:
                    return 422, JSON_CT, [], wp_json_bytes(
                        "No query results for model [FluentSupport\\App\\Models\\Ticket] %d" % tid)
                return 200, JSON_CT, [], b'{"ticket":' + j + b"}"
            return self.list_tickets(app, params, base, page)

    def list_tickets(self, app, params, base, page):
        raw_pp = params.get("per_page")
        per_page = 15 if raw_pp is None else php_intval(raw_pp)
        order_by = params.get("order_by")
        if not isinstance(order_by, str) or order_by == "":
            order_by = "id"
        ot = params.get("order_type")
        desc = True if ot is None else (ot == "DESC")
        if order_by not in COLUMN_SET:
            # MySQL only sees the ORDER BY when the count query found rows
            if not app.list_rows(params, "id", False):
                order_by = "id"
        if order_by not in COLUMN_SET:
            ob = order_by.replace("`", "")
            msg = ("Unknown column '%s' in 'ORDER BY' (SQL: select * from `wp_fs_tickets` "
                   "order by `%s` %s limit %d offset %d)" %
                   (ob, ob, "desc" if desc else "asc", per_page,
                    max(0, (page - 1) * per_page)))
            return 500, JSON_CT, [], wp_json_bytes({"message": msg})
        rows = app.list_rows(params, order_by, desc)
        total = len(rows)
        if per_page == 0:
            return 500, JSON_CT, [], wp_json_bytes({"message": "Division by zero"})
        last_page = max(int(math.ceil(total / per_page)), 1)
        offset = max(0, (page - 1) * per_page)
        items = rows[offset: offset + per_page] if per_page > 0 else rows[offset:]
        if items:
            frm = (page - 1) * per_page + 1
            to = frm + len(items) - 1
        else:
            frm = to = None
        path_url = base + NS + "/tickets"

        def url(p):
            return "%s/?page=%d" % (path_url, max(p, 1))

        env = {"current_page": page, "data": "@@DATA@@",
               "first_page_url": url(1), "from": frm, "last_page": last_page,
               "last_page_url": url(last_page),
               "links": pagination_links(url, page, last_page),
               "next_page_url": url(page + 1) if page < last_page else None,
               "path": path_url, "per_page": per_page,
               "prev_page_url": url(page - 1) if page > 1 else None,
               "to": to, "total": total}
        head, tail = wp_dumps({"tickets": env}).encode("ascii").split(b'"@@DATA@@"', 1)
        body = b"".join((head, b"[", b",".join(items), b"]", tail))
        return 200, JSON_CT, [("Allow", "GET, POST")], body

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
                                       "tickets": len(app.tickets)})
                if name == "tickets" and self.command == "POST":
                    up, de = app.upsert(data.get("tickets"), data.get("delete"))
                    return reply(200, {"ok": True, "upserted": up, "deleted": de,
                                       "tickets": len(app.tickets)})
                if name == "fault" and self.command == "POST":
                    app.add_fault(data)
                    return reply(200, {"ok": True, "faults_pending": app.faults_pending()})
                if name == "stats" and self.command == "GET":
                    s = app.stats
                    out = {"requests": s["requests"], "pages": list(s["pages"]),
                           "queries": list(s["queries"]),
                           "max_page": max(s["pages"]) if s["pages"] else 0,
                           "faults_pending": app.faults_pending(),
                           "log": list(s["log"]), "config": app.public_config()}
                    if "reset=1" in query.split("&"):
                        app.reset_stats()
                    return reply(200, out)
            return reply(404, {"error": "unknown control endpoint %s %s" % (self.command, path)})
        except (BadRequest, ValueError) as e:
            return reply(400, {"error": str(e)})


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake FluentSupport 2.0.1 REST server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tickets", type=int, default=DEFAULTS["tickets"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--date-format", choices=["iso", "mysql"], default=DEFAULTS["date_format"])
    ap.add_argument("--timezone", default=DEFAULTS["timezone"])
    ap.add_argument("--gmt-offset", type=float, default=DEFAULTS["gmt_offset"])
    ap.add_argument("--user", default=DEFAULTS["user"])
    ap.add_argument("--password", default=DEFAULTS["password"])
    ap.add_argument("--now", default=None)
    ap.add_argument("--spacing-minutes", type=float, default=None)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    base = {"tickets": a.tickets, "seed": a.seed, "date_format": a.date_format,
            "timezone": a.timezone, "gmt_offset": a.gmt_offset, "user": a.user,
            "password": a.password, "now": a.now, "spacing_minutes": a.spacing_minutes}
    try:
        app = App(base)
    except BadRequest as e:
        log("bad option: %s" % e)
        return 2
    return fakecore.serve(NAME, app, Handler, a.port, a.port_file, a.quiet,
                          lambda port: "listening on 127.0.0.1:%d (%d tickets, tz %r, %s dates)" %
                          (port, len(app.tickets), app.site.zone, app.cfg["date_format"]))

if __name__ == "__main__":
    sys.exit(main())
