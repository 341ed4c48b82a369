#!/usr/bin/env python3
"""The server's memory under the anonymous abuse an audit tried, each try against a fresh
`seltzer serve` (SQLite): prints the server's peak resident memory (VmHWM) during the try, and
the slowest `/api/health` meanwhile. Figures, not a test: see docs/benchmarks.md.

A body the server refuses before reading it (a 413 or 401 on its headers alone) breaks the
client's send: those show as BrokenPipeError/ConnectionResetError.

    scripts/bench-abuse.py [--binary target/release/seltzer]
"""

import argparse
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

MB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        answer = conn.getresponse()
        answer.read()
        return answer.status
    except OSError as e:
        return f"{type(e).__name__}"
    finally:
        conn.close()


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def at_once(n, action):
    results = [None] * n
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, action(i))) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def health_latency(port, stop, samples):
    while not stop.is_set():
        started = time.perf_counter()
        try:
            get(port, "/api/health")
        except OSError:
            pass
        samples.append(time.perf_counter() - started)
        time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser()
    default = "target/release/seltzer" if os.path.exists("target/release/seltzer") else "target/debug/seltzer"
    parser.add_argument("--binary", default=default)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="seltzer-abuse-")
    url = f"sqlite://{work}/seltzer.db"
    key = json.loads(subprocess.run([args.binary, "api-key", "create", "--name", "victim", "--format", "json",
                                     "--database-url", url], check=True, capture_output=True, text=True).stdout)
    subprocess.run([args.binary, "user", "create", "--email", "ada@example.com", "--role", "admin",
                    "--database-url", url], input="correct horse battery staple\n", text=True,
                   check=True, capture_output=True)
    big = b'{"type": "sodaCoreHistoricMeasurements", "filter": [' + b"1," * (30 * MB) + b"1]}"
    command = b'{"type": "sodaCoreInsertScanResults", "checks": [' + b"1," * (30 * MB) + b'1], "token": "x"}'
    basic = lambda s: {"Authorization": "Basic " + base64.b64encode(f"{key['id']}:{s}".encode()).decode()}
    tries = [
        ("3 x 60 MB anonymous /api/query", 3, lambda port, i: post(
            port, "/api/query", big, {"Content-Type": "application/json"})),
        ("3 x 60 MB anonymous /api/scan/upload", 3, lambda port, i: post(
            port, "/api/scan/upload", big, {"Authorization": "nope"})),
        ("8 x 60 MB anonymous /api/command", 8, lambda port, i: post(
            port, "/api/command", command, {"Content-Type": "application/json"})),
        ("200 parallel wrong sign-ins", 200, lambda port, i: post(
            port, "/api/auth/login",
            json.dumps({"email": "ada@example.com", "password": f"guess {i}"}).encode(),
            {"Content-Type": "application/json"})),
        ("128 parallel wrong API-key secrets", 128, lambda port, i: get(
            port, "/api/auth/me", basic(f"wrong {i}"))),
    ]
    print(f"binary {args.binary}")
    print("| try | answers | server peak RSS (MB) | slowest /api/health meanwhile (ms) |")
    print("| --- | --- | --- | --- |")
    for name, n, action in tries:
        port = free_port()
        server = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}", "--database-url", url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    if get(port, "/api/health") == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            stop, samples = threading.Event(), []
            prober = threading.Thread(target=health_latency, args=(port, stop, samples))
            prober.start()
            started = time.perf_counter()
            threads, results = at_once(n, lambda i: action(port, i))
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            stop.set()
            prober.join()
            answers = {}
            for r in results:
                answers[r] = answers.get(r, 0) + 1
            print(f"| {name} ({elapsed:.1f} s) | {answers} | {peak_rss_mb(server.pid):.0f} | "
                  f"{max(samples) * 1000 if samples else 0:.0f} |", flush=True)
        finally:
            server.kill()
            server.wait()
        # The throttles are per account and key: start each try from a clean slate.
        subprocess.run([sys.executable, "-c",
                        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('delete from login_failures'); c.commit()",
                        f"{work}/seltzer.db"], check=True)


if __name__ == "__main__":
    main()
