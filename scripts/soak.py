#!/usr/bin/env python3
"""Crash soak: Soda-like clients and readers against real `seltzer serve` processes that are
killed with SIGKILL at random moments and restarted. After each round it checks that

- every scan Seltzer acknowledged is stored exactly once, holding the version last
  acknowledged for its (scan definition, data source, data timestamp), or a later one whose
  answer the kill cut off (re-sends overwrite; backfills join the history);
- every summary equals its recomputation (`seltzer verify`);
- nothing answered a 5xx.

SQLite (optionally with an outside program reading the database file all the while) or
PostgreSQL, with one or two Seltzer processes on one database (clients log in on one and
send to either: a token from one works on the other). Standard library only.

    scripts/soak.py --engine sqlite --rounds 20 --seconds 20 --outside-reader
    scripts/soak.py --engine postgres --processes 2 --rounds 20 --seconds 20

Prints one line of figures per run; exits 1 when an invariant broke.
"""

import argparse
import base64
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BASE_TS = 1_764_547_200  # 2025-12-01T00:00:00Z
CHECKS_PER_SCAN = 12


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Figures:
    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.attempts = 0
        self.server_errors = []
        self.kills = 0
        self.reads = 0

    def error(self, what):
        with self.lock:
            if len(self.server_errors) < 20:
                self.server_errors.append(what)
            else:
                self.server_errors.append("…")


def http(method, url, body=None, headers=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    """One `seltzer serve` process, restartable."""

    def __init__(self, binary, database_url, log_dir, name):
        self.binary = binary
        self.database_url = database_url
        self.port = free_port()
        self.log = open(os.path.join(log_dir, f"{name}.log"), "ab")
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--bind", f"127.0.0.1:{self.port}",
             "--database-url", self.database_url],
            stdout=self.log, stderr=self.log,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = http("GET", self.url + "/api/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"seltzer exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.1)
        raise SystemExit("seltzer did not become healthy within 60 s")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(getattr(signal, os.environ.get("SOAK_SIGNAL", "SIGKILL")))
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def document(token, client, slot, version, extra_checks):
    """A scan of `client` at data-time `slot`: every check's value is `version`, so what is
    stored tells which send it came from."""
    checks = []
    for k in range(CHECKS_PER_SCAN + extra_checks):
        identity = f"soak-c{client}-k{k}"
        outcome = ["pass", "warn", "fail"][(version + k) % 3]
        checks.append({
            "identity": identity,
            "identities": {"v1": identity + "-1", "v2": identity + "-2", "v3": identity},
            "name": f"row_count > {k}",
            # Datasets shared between clients: their rows are where concurrent scans meet.
            "table": f"orders_{(client + k) % 4}",
            "outcome": outcome,
            "diagnostics": {"value": version},
        })
    ts = iso(BASE_TS + slot * 3600)
    return {
        "type": "sodaCoreInsertScanResults", "token": token,
        "definitionName": f"soak_client_{client}", "defaultDataSource": "soak",
        "dataTimestamp": ts, "scanStartTimestamp": ts, "scanEndTimestamp": ts,
        "hasErrors": False, "hasWarnings": False, "hasFailures": False,
        "metrics": [], "logs": [{"level": "info", "message": f"version {version}", "index": 0}],
        "checks": checks,
    }


class Ledger:
    """Per (definition, data timestamp): the versions sent, in order, and the last one
    acknowledged. Each client owns its definition and sends one request at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}

    def sent(self, key, version):
        with self.lock:
            self.keys.setdefault(key, {"sent": [], "acked": None})["sent"].append(version)

    def acked(self, key, version):
        with self.lock:
            self.keys[key]["acked"] = version

    def allowed(self, key):
        entry = self.keys[key]
        acked = entry["acked"]
        if acked is None:
            return None
        after = entry["sent"][entry["sent"].index(acked):]
        return set(after)


def client_loop(client, servers, key_id, secret, ledger, figures, stop, rng):
    version = 0
    token = None
    while not stop.is_set():
        try:
            if token is None:
                # Log in on one process, send to any: tokens live in the shared database.
                server = rng.choice(servers)
                status, body = http("POST", server.url + "/api/command",
                                    {"type": "login", "apiKeyId": key_id, "apiKeySecret": secret})
                if status >= 500:
                    figures.error(f"login {status} {body[:200]!r}")
                if status != 200:
                    time.sleep(0.2)
                    continue
                token = json.loads(body)["token"]
            version += 1
            roll = rng.random()
            if roll < 0.3:
                slot = rng.randrange(0, 6)           # re-send: overwrite an existing slot
            elif roll < 0.45:
                slot = -rng.randrange(1, 200)        # backfill: older data time
            else:
                slot = 6 + version                   # a new, later scan
            extra = 2 if rng.random() < 0.2 else 0   # sometimes new checks
            key = (client, slot)
            ledger.sent(key, version)
            server = rng.choice(servers)
            with figures.lock:
                figures.attempts += 1
            status, body = http("POST", server.url + "/api/command",
                                document(token, client, slot, version, extra))
            if status == 200:
                ledger.acked(key, version)
                with figures.lock:
                    figures.acknowledged += 1
            elif status == 401:
                token = None
            elif status >= 500:
                figures.error(f"scan {status} {body[:200]!r}")
        except (OSError, ValueError):
            # The server was killed mid-request: not acknowledged; try again shortly.
            time.sleep(0.2)


def reader_loop(servers, auth, figures, stop, rng):
    paths = ["/api/checks?size=100", "/api/datasets?trend=20", "/api/scans?size=50",
             "/api/v1/checks?size=100", "/api/v1/datasets"]
    while not stop.is_set():
        try:
            server = rng.choice(servers)
            path = rng.choice(paths)
            status, body = http("GET", server.url + path, headers={"Authorization": auth})
            with figures.lock:
                figures.reads += 1
            if status >= 500:
                figures.error(f"GET {path} {status} {body[:200]!r}")
        except (OSError, ValueError):
            time.sleep(0.2)


def outside_reader_loop(path, stop, figures):
    """Another program opening the SQLite file, reading and closing it, over and over (as an
    operator's `sqlite3 seltzer.db 'select …'` would)."""
    script = ("import sqlite3, sys\n"
              "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
              "c.execute('select count(*) from scans').fetchone()\n"
              "c.close()\n")
    while not stop.is_set():
        result = subprocess.run([sys.executable, "-c", script, path],
                                capture_output=True, timeout=60)
        if result.returncode != 0 and b"locked" not in result.stderr:
            figures.error(f"outside reader: {result.stderr[-300:]!r}")
        time.sleep(0.05)


def stored_scans(server, auth):
    """(definition, data timestamp) → [(scan id, version)] as Seltzer's API lists them."""
    found = {}
    page = 0
    while True:
        status, body = http("GET", f"{server.url}/api/scans?size=500&page={page}",
                            headers={"Authorization": auth}, timeout=120)
        if status != 200:
            raise SystemExit(f"listing scans answered {status}: {body[:300]!r}")
        listing = json.loads(body)
        for scan in listing["items"]:
            found.setdefault((scan["definition"], scan["dataSource"], scan["dataTimestamp"]), []).append(scan["id"])
        if (page + 1) * listing["size"] >= listing["total"]:
            return found
        page += 1


def scan_version(server, auth, scan_id):
    status, body = http("GET", f"{server.url}/api/scans/{scan_id}", headers={"Authorization": auth})
    if status != 200:
        raise SystemExit(f"scan {scan_id} answered {status}")
    detail = json.loads(body)
    values = {c["value"] for c in detail["checks"]}
    return int(values.pop()) if len(values) == 1 else None


def check_round(ledger, servers, auth, binary, database_url):
    server = servers[0]
    stored = stored_scans(server, auth)
    lost, duplicated, wrong = [], [], []
    for (client, slot), entry in ledger.keys.items():
        allowed = ledger.allowed((client, slot))
        natural = (f"soak_client_{client}", "soak", iso(BASE_TS + slot * 3600).replace("+00:00", "Z"))
        ids = stored.get(natural, [])
        if allowed is None:
            continue  # never acknowledged: may or may not be there
        if not ids:
            lost.append(natural)
        elif len(ids) > 1:
            duplicated.append(natural)
        else:
            version = scan_version(server, auth, ids[0])
            if version not in allowed:
                wrong.append((natural, version, sorted(allowed)))
    verify = subprocess.run([binary, "verify", "--format", "json", "--database-url", database_url],
                            capture_output=True, text=True)
    report = json.loads(verify.stdout) if verify.stdout.strip() else {"problems": [verify.stderr]}
    return lost, duplicated, wrong, report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "SELTZER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--binary", default="target/debug/seltzer")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15, help="length of a round")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=1, choices=[1, 2])
    parser.add_argument("--outside-reader", action="store_true",
                        help="SQLite: another program reads the database file all the while")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    if args.engine == "sqlite" and args.processes != 1:
        parser.error("two processes share PostgreSQL, not a SQLite file")

    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="seltzer-soak-")
    database = None
    if args.engine == "sqlite":
        db_path = os.path.join(work, "seltzer.db")
        database_url = f"sqlite://{db_path}"
    else:
        database = f"seltzer_soak_{os.getpid()}"
        admin = args.postgres_url
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], check=True)
        database_url = admin.rsplit("/", 1)[0] + "/" + database

    def key(role):
        out = subprocess.run([args.binary, "api-key", "create", "--name", f"soak {role}", "--role", role,
                              "--format", "json", "--database-url", database_url],
                             check=True, capture_output=True, text=True)
        k = json.loads(out.stdout)
        return k["id"], k["secret"]

    try:
        scan_key = key("viewer")
        admin_id, admin_secret = key("admin")
        auth = "Basic " + base64.b64encode(f"{admin_id}:{admin_secret}".encode()).decode()
        servers = [Server(args.binary, database_url, work, f"seltzer{i}") for i in range(args.processes)]
        for s in servers:
            s.start()
        figures = Figures()
        ledger = Ledger()
        problems = []
        started = time.time()
        for round_no in range(1, args.rounds + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=client_loop, daemon=True,
                                        args=(c, servers, *scan_key, ledger, figures, stop,
                                              random.Random(rng.random())))
                       for c in range(args.clients)]
            threads += [threading.Thread(target=reader_loop, daemon=True,
                                         args=(servers, auth, figures, stop, random.Random(rng.random())))
                        for _ in range(args.readers)]
            if args.outside_reader and args.engine == "sqlite":
                threads.append(threading.Thread(target=outside_reader_loop, daemon=True,
                                                args=(db_path, stop, figures)))
            for t in threads:
                t.start()
            # One or two kills at random moments of the round, each followed by a restart.
            end = time.time() + args.seconds
            for _ in range(rng.choice([1, 2])):
                time.sleep(max(0.0, min(end - time.time(), rng.uniform(0.5, args.seconds / 2))))
                victim = rng.choice(servers)
                victim.kill()
                figures.kills += 1
                time.sleep(rng.uniform(0.0, 0.5))
                victim.start()
            time.sleep(max(0.0, end - time.time()))
            stop.set()
            for t in threads:
                t.join(timeout=120)
            lost, duplicated, wrong, report = check_round(ledger, servers, auth, args.binary, database_url)
            if lost or duplicated or wrong or report.get("problems"):
                problems.append({"round": round_no, "lost": lost[:5], "duplicated": duplicated[:5],
                                 "wrong": wrong[:5], "verify": report.get("problems")})
            print(f"round {round_no}: {figures.acknowledged} scans acknowledged so far, "
                  f"{len(lost)} lost, {len(duplicated)} duplicated, {len(wrong)} wrong version, "
                  f"verify {'ok' if not report.get('problems') else 'FAILED'}", flush=True)
        for s in servers:
            s.stop()
        elapsed = time.time() - started
        print(f"soak {args.engine} processes={args.processes} outside_reader={args.outside_reader} "
              f"seed={args.seed}: {args.rounds} rounds in {elapsed:.0f} s, {figures.kills} kills, "
              f"{figures.attempts} scans sent, {figures.acknowledged} acknowledged, "
              f"{sum(len(p['lost']) for p in problems)} lost, "
              f"{sum(len(p['duplicated']) for p in problems)} duplicated, "
              f"{len([e for e in figures.server_errors if e != '…'])} 5xx, {figures.reads} reads")
        if figures.server_errors:
            print("5xx answers:", *figures.server_errors, sep="\n  ")
        if problems:
            print(json.dumps(problems, indent=2))
        return 1 if problems or figures.server_errors else 0
    finally:
        for s in locals().get("servers", []):
            s.kill()
        if database:
            subprocess.run(["psql", args.postgres_url, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])


if __name__ == "__main__":
    sys.exit(main())
