"""The crash test (run by tests/crash/run.sh, which .ci/run calls).

Concurrent clients create participations (three segments each, with an Idempotency-Key) and
open issues and move them through `plan` and `resolve`, while the server is killed with SIGKILL
several times and restarted. A write counts as acknowledged when its 2xx answer was read. After
each restart, and at the end:

* every acknowledged participation is there, whole (its three segments, its summary);
* every acknowledged issue step is there: the issue is at that step or a later one it was sent;
* no record is half-written: no participation without its segments or its audit record, no
  issue whose events and audit records disagree in number;
* SQLite: `PRAGMA integrity_check` answers `ok` (PostgreSQL: the same queries through psql).

Usage: crash.py BIN DATABASE_URL ROUNDS   (standard library only)
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, timedelta

BIN, DB_URL, ROUNDS = sys.argv[1], sys.argv[2], int(sys.argv[3])
PORT = random.randint(20000, 40000)
BASE = f"http://127.0.0.1:{PORT}"
ENV = dict(os.environ, FRONTLINE_DATABASE_URL=DB_URL, FRONTLINE_BIND=f"127.0.0.1:{PORT}",
           FRONTLINE_LOG="warn", FRONTLINE_JWT_SECRET="crash-test-secret-0123456789abcdef0123",
           FRONTLINE_WEBHOOK_WORKER="false")
PASSWORD = "Crash.Test-2026-q7Z!"
rng = random.Random(20261129)


def call(method, path, token=None, body=None, headers=None, timeout=10):
    """(status, json or None); raises OSError when the server is not there."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None
    except urllib.error.URLError as e:
        raise OSError(str(e)) from e


class Server:
    def __init__(self):
        self.proc = None
        self.log = open(os.environ.get("CRASH_LOG", "/dev/null"), "ab")

    def start(self):
        self.proc = subprocess.Popen([BIN, "serve"], env=ENV, stdout=self.log, stderr=self.log)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            try:
                if call("GET", "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit(f"the server exited with {self.proc.returncode} at start")
            time.sleep(0.05)
        sys.exit("the server was not ready within 60 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def token(username, role, unit=None):
    args = [BIN, "user", "add", "--username", username, "--role", role]
    if unit:
        args += ["--unit", unit]
    out = subprocess.run(args, env=ENV, check=True, capture_output=True, text=True).stdout
    otp = out.split("one-time password")[-1].split()[0]
    _, first = call("POST", "/api/v1/auth/login", body={"username": username, "password": otp})
    call("POST", "/api/v1/auth/password", first["access_token"],
         {"current_password": otp, "new_password": PASSWORD})
    _, t = call("POST", "/api/v1/auth/login", body={"username": username, "password": PASSWORD})
    return t["access_token"]


lock = threading.Lock()
acked_parts = {}   # id -> summary
acked_steps = {}   # issue id -> index of the last acknowledged step (0 open, 1 plan, 2 resolve)
stop = threading.Event()
# Cleared while the database is verified: the clients wait, so that each verification reads a
# set of writes bounded by the time between kills, not one that grows with the last check's
# own length (a fast server made that grow without end).
writing = threading.Event()
writing.set()
failures = []


def fail(message):
    """A client met an answer no crash explains: the run stops and fails."""
    with lock:
        failures.append(message)
    stop.set()
counts = {"participations": 0, "issue_writes": 0, "retries": 0}
STEPS = ["open", "plan", "resolve"]
STATUS_AT = {"open": 0, "rectifying": 1, "resolved": 2}


def retrying(fn):
    """Runs fn until it gets an answer other than 503 (the server may be down or starting);
    None when stopping."""
    while not stop.is_set():
        try:
            got = fn()
            if got[0] != 503:
                return got
        except OSError:
            pass
        with lock:
            counts["retries"] += 1
        time.sleep(0.05)
    return None


def client(n, unit_token, unit_id):
    r = random.Random(n)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    while not stop.is_set():
        writing.wait()
        if r.random() < 0.6:
            summary = f"crash-{n}-{uuid.uuid4()}"
            key = str(uuid.uuid4())
            body = {"unit_id": unit_id, "activity": "complaint", "mode": "regular",
                    "activity_on": yesterday, "place": "区市场监管局",
                    "participant": {"kind": "head", "name": "王建国"}, "people_received": 2, "summary": summary,
                    "segments": SEGMENTS}
            got = retrying(lambda: call("POST", "/api/v1/participations", unit_token, body,
                                        {"Idempotency-Key": key}))
            if got and got[0] == 201:
                with lock:
                    acked_parts[got[1]["id"]] = summary
                    counts["participations"] += 1
            elif got:
                fail(f"create participation answered {got[0]}: {got[1]}")
        else:
            body = {"unit_id": unit_id, "activity": "window", "kind": "problem",
                    "description": f"crash-{n}-{uuid.uuid4()}", "source_reason": "崩溃测试"}
            got = retrying(lambda: call("POST", "/api/v1/issues", unit_token, body))
            if not got or got[0] != 201:
                if got:
                    fail(f"create issue answered {got[0]}: {got[1]}")
                continue
            issue = got[1]["id"]
            with lock:
                acked_steps[issue] = 0
                counts["issue_writes"] += 1
            deadline = (date.today() + timedelta(days=10)).isoformat()
            for i, step in enumerate([{"action": "plan", "measures": "整改", "deadline": deadline},
                                      {"action": "resolve", "effect": "已整改"}], start=1):
                got = retrying(lambda: call("POST", f"/api/v1/issues/{issue}/transitions",
                                            unit_token, step))
                if got and got[0] == 200:
                    with lock:
                        acked_steps[issue] = i
                        counts["issue_writes"] += 1
                elif got and got[0] == 409:
                    # The step was sent before a crash and committed, but its answer was lost:
                    # the issue is already past it; go on to the next.
                    continue
                else:
                    if got:
                        fail(f"issue step {step['action']} answered {got[0]}: {got[1]}")
                    break


SEGMENTS = [
    {"type": "dispatch_experience", "work_order": "12345-0001",
     "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"},
               {"step": "callback", "rating": "ok"}]},
    {"type": "complaint_analysis", "period": f"{date.today().year}-Q1",
     "counts": [{"category": "市容环境", "count": 20}], "typical_cases": ["油烟扰民"],
     "causes": ["巡查不足"], "measures": ["增设巡查"], "mechanism": "月度分析例会"},
    {"type": "complaint_handling", "work_order": "12345-0002",
     "approaches": ["direct_coordination", "direct_feedback", "direct_hearing"],
     "outcome": "协调整改", "satisfaction": "satisfied", "follow_up_needed": False,
     "findings": []},
]


def db_rows(sql):
    """Rows of a query on the database (the server may be running: reads only)."""
    if DB_URL.startswith("postgres"):
        out = subprocess.run(["psql", DB_URL.split("?")[0], "-qAt", "-F", "\t", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    path = DB_URL.removeprefix("sqlite://")
    with sqlite3.connect(path) as c:
        return [tuple(str(v) for v in row) for row in c.execute(sql)]


def verify(admin_token):
    problems = []
    with lock:
        parts = dict(acked_parts)
        steps = dict(acked_steps)
    # Every acknowledged write, read from the database in one pass, and a sample through the
    # API as a client reads it.
    stored = {pid: (summary, segments) for pid, summary, segments in
              db_rows("SELECT id, summary, segments FROM participations")}
    for pid, summary in parts.items():
        got = stored.get(pid)
        if got is None:
            problems.append(f"acknowledged participation {pid} is missing")
        elif got[0] != summary or len(json.loads(got[1])) != 3:
            problems.append(f"participation {pid} is not what was acknowledged")
    statuses = dict(db_rows("SELECT id, status FROM issues"))
    for iid, acked in steps.items():
        status = statuses.get(iid)
        if status is None:
            problems.append(f"acknowledged issue {iid} is missing")
        elif STATUS_AT.get(status, -1) < acked:
            problems.append(f"issue {iid} is {status}, step {STEPS[acked]} was acknowledged")
    for pid in rng.sample(sorted(parts), min(20, len(parts))):
        status, body = call("GET", f"/api/v1/participations/{pid}", admin_token)
        if status != 200 or body["summary"] != parts[pid] or len(body["segments"]) != 3:
            problems.append(f"participation {pid} reads back as {status}")
    half = db_rows("SELECT id FROM participations WHERE segments = '[]' OR segments = ''")
    if half:
        problems.append(f"participations without segments: {half[:5]}")
    unaudited = db_rows(
        "SELECT p.id FROM participations p WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.target_type = 'participation' AND a.target_id = p.id "
        "AND a.action = 'participation.create')")
    if unaudited:
        problems.append(f"participations without their audit record: {unaudited[:5]}")
    mismatched = db_rows(
        "SELECT i.id FROM issues i WHERE (SELECT count(*) FROM issue_events e WHERE "
        "e.issue_id = i.id) <> (SELECT count(*) FROM audit_log a WHERE a.target_type = 'issue' "
        "AND a.target_id = i.id AND a.action IN ('issue.create', 'issue.transition'))")
    if mismatched:
        problems.append(f"issues whose events and audit records differ: {mismatched[:5]}")
    if not DB_URL.startswith("postgres"):
        check = db_rows("PRAGMA integrity_check")
        if check != [("ok",)]:
            problems.append(f"PRAGMA integrity_check: {check[:5]}")
    return problems


def main():
    server = Server()
    server.start()
    admin = token("crash.admin", "admin")
    unit = token("crash.unit", "unit", "区市场监管局")
    _, me = call("GET", "/api/v1/auth/me", unit)
    threads = [threading.Thread(target=client, args=(n, unit, me["unit_id"]), daemon=True)
               for n in range(6)]
    for t in threads:
        t.start()
    for round_no in range(1, ROUNDS + 1):
        time.sleep(rng.uniform(1.0, 2.5))
        server.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
        writing.clear()
        problems = verify(admin) + list(failures)
        writing.set()
        with lock:
            print(f"kill {round_no}: acknowledged so far {len(acked_parts)} participations, "
                  f"{counts['issue_writes']} issue writes; lost 0" if not problems else
                  f"kill {round_no}: {len(problems)} problem(s)", flush=True)
        if problems:
            print("\n".join(problems))
            sys.exit(1)
    stop.set()
    writing.set()
    for t in threads:
        t.join(timeout=15)
    problems = verify(admin) + list(failures)
    server.kill()
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    total = len(acked_parts) + counts["issue_writes"]
    print(f"crash test: {ROUNDS} SIGKILLs, {total} acknowledged writes "
          f"({len(acked_parts)} participations, {counts['issue_writes']} issue writes), "
          f"{counts['retries']} retried requests, lost 0, half-written 0"
          + (", PRAGMA integrity_check ok" if not DB_URL.startswith("postgres") else ""))


if __name__ == "__main__":
    main()
