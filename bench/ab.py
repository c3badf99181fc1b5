#!/usr/bin/env python3
"""An A/B of two release binaries of the template, in figures that noise cannot move.

Started by bench/ab.sh, which builds both binaries in one folder (the source path changes codegen:
two builds of one commit from different folders differ by about 5 % in instructions).

For each binary and scenario:
- instructions per request, in user space: the server under valgrind's callgrind, its counters
  zeroed (`callgrind_control -z`) after the set-up and a warm-up, dumped (`-d`) after N requests;
  the dump's total over N is the cost of one request, with start-up, set-up and shutdown gone
  (`--profile DIR` keeps each dump, to read per function with `callgrind_annotate`);
- context switches per request: the server running natively, the sum over its threads of
  `voluntary_ctxt_switches + nonvoluntary_ctxt_switches` (/proc) before and after N requests sent
  one at a time over one keep-alive connection (8 at a time for `refresh8`), and the voluntary
  ones alone (the hand-offs; the others are preemption, which grows with the machine's load);
- beside them, wrk's requests/s, the server's CPU time per request and the p99, alternated
  A B B A, with the share of CPU time the hypervisor stole from this guest meanwhile (/proc/stat
  `steal`, the worse of the two runs): the p99 of 8 refresh chains follows it.

Trust the counts for "did this change make the path cheaper", and wrk only for the size of a
difference the counts already show: on 2 shared cores, two wrk runs of one binary differ by up to
20 %, the counts by 1-2 %.

    python3 bench/ab.py --a A_BIN --b B_BIN [--scenarios claims,me,...] [--requests 200]

One binary with and without something it can turn off, in one run: the same binary on both
sides, and an environment variable for one side (repeatable), e.g. the cost of the metrics:

    python3 bench/ab.py --a BIN --b BIN --a-env ROCKET_METRICS=false --scenarios claims,me
"""

import argparse
import base64
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    BENCH_ENV, CLK_TCK, LUA, PASSWORD, UA, cpu_seconds, free_port, stop, wait_until_up)

BENCH = Path(__file__).resolve().parent
SCENARIOS = ["claims", "me", "sessions", "refresh1", "refresh8", "login"]
LABELS = {
    "claims": "claims guard (no DB)",
    "me": "full user (1 DB read)",
    "sessions": "sessions list (20)",
    "refresh1": "refresh, 1 chain",
    "refresh8": "refresh, 8 chains",
    "login": "sign-in (argon2)",
}
# Fixed keys: both binaries, every run, sign the same way.
SECRET = base64.b64encode(b"ab-bench-secret-" * 3).decode()
DATA_KEY = base64.b64encode(b"ab-bench-data-key-0123456789abcd").decode()


class Server:
    """One binary on a fresh SQLite file, natively or under callgrind."""

    def __init__(self, binary, workdir, callgrind_out=None, extra_env=None):
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        db = Path(tempfile.mkdtemp(dir=workdir)) / "app.db"
        env = {
            **os.environ,
            **BENCH_ENV,
            "ROCKET_PROFILE": "release",
            "ROCKET_ADDRESS": "127.0.0.1",
            "ROCKET_PORT": str(self.port),
            "ROCKET_LOG_LEVEL": "critical",
            "ROCKET_JWT_SECRET": SECRET,
            "ROCKET_DATA_KEY": DATA_KEY,
            "ROCKET_DATABASES": '{app={url="sqlite://%s"}}' % db,
            # Release refuses an http:// public_url and the outbox unless told: loopback only.
            "ROCKET_ALLOW_PLAIN_HTTP": "true",
            "ROCKET_ALLOW_MAIL_OUTBOX": "true",
            "ROCKET_MAIL_OUTBOX_DIR": str(db.parent / "outbox"),
            **(extra_env or {}),
        }
        command = [str(binary)]
        if callgrind_out:
            # Counting only (no cache simulation); %p: the dump asked for later is <file>.<pid>.1.
            command = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no",
                       "--compress-pos=no", f"--callgrind-out-file={callgrind_out}.%p", *command]
        self.log = open(db.parent / "server.log", "w")
        self.proc = subprocess.Popen(command, cwd=db.parent, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until_up(f"http://{self.base}/healthz", self.proc, seconds=300)

    def stop(self):
        stop(self.proc, seconds=120)
        self.log.close()

    def switches(self):
        """(voluntary, nonvoluntary) context switches of all the server's threads so far."""
        voluntary = nonvoluntary = 0
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        nonvoluntary += int(line.split()[1])
            except OSError:
                pass
        return voluntary, nonvoluntary


class Client:
    """One keep-alive connection."""

    def __init__(self, server):
        self.conn = http.client.HTTPConnection(server.base, timeout=300)

    def call(self, method, path, body=None, token=None):
        headers = {"User-Agent": UA}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=headers)
        answer = self.conn.getresponse()
        data = answer.read()
        if not 200 <= answer.status < 300:
            raise SystemExit(f"{method} {path} answered {answer.status}: {data[:300]!r}")
        return json.loads(data) if data else None


class Scenario:
    """The set-up a scenario needs, then one request at a time."""

    def __init__(self, name, server):
        self.name, self.server = name, server
        self.clients = [Client(server) for _ in range(8 if name == "refresh8" else 1)]
        c = self.clients[0]
        first = c.call("POST", "/api/auth/register",
                       {"email": "ab@example.com", "password": PASSWORD, "name": "AB"})
        self.access = first["access_token"]
        self.chains = [first["refresh_token"]]
        if name == "sessions":
            for _ in range(19):
                self.access = self.login(c)["access_token"]
        if name == "refresh8":
            self.chains += [self.login(c)["refresh_token"] for _ in range(7)]

    @staticmethod
    def login(client):
        return client.call("POST", "/api/auth/login",
                           {"email": "ab@example.com", "password": PASSWORD})

    def one(self, i):
        """Request i of this scenario (on client i % clients)."""
        c = self.clients[i % len(self.clients)]
        if self.name == "claims":
            c.call("GET", "/api/auth/claims", token=self.access)
        elif self.name == "me":
            c.call("GET", "/api/auth/me", token=self.access)
        elif self.name == "sessions":
            c.call("GET", "/api/sessions", token=self.access)
        elif self.name == "login":
            self.login(c)
        else:
            k = i % len(self.chains)
            answer = c.call("POST", "/api/auth/refresh", {"refresh_token": self.chains[k]})
            self.chains[k] = answer["refresh_token"]

    def run(self, n):
        """n requests: one at a time, or, for refresh8, 8 chains at once (n/8 each)."""
        if len(self.clients) == 1:
            for i in range(n):
                self.one(i)
            return
        errors = []

        def chain(k):
            try:
                for j in range(n // len(self.clients)):
                    self.one(k + j * len(self.clients))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=chain, args=(k,)) for k in range(len(self.clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]


def requests_for(scenario, n):
    return max(8, n // 10) if scenario == "login" else n


def instructions(binary, scenario, n, workdir, env=None, keep=None):
    """User-space instructions per request: callgrind's counters zeroed after the set-up and a
    warm-up, dumped after n requests, the total over n. (Two runs of n and 2n requests, the
    difference over n, moved by ±10 % at n=400: start-up work that depends on the wall clock, such
    as calibrating a clock, does not cancel out. Zeroing moves by under 1 %.)"""
    out = Path(workdir) / f"cg-{scenario}-{time.monotonic_ns()}"
    server = Server(binary, workdir, callgrind_out=out, extra_env=env)
    try:
        s = Scenario(scenario, server)
        s.run(16)
        control("-z", server.proc.pid)
        s.run(n)
        control("-d", server.proc.pid)
        dump = Path(f"{out}.{server.proc.pid}.1")
    finally:
        server.stop()
    total = next(int(l.split()[1]) for l in dump.read_text().splitlines()
                 if l.startswith(("summary:", "totals:")))
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        dump.replace(keep / f"callgrind.{scenario}.{binary.name}.n{n}")
    return total / n


def control(flag, pid):
    """callgrind_control (through vgdb) on the server: -z zeroes the counters, -d dumps them."""
    done = subprocess.run(["callgrind_control", flag, str(pid)], capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"callgrind_control {flag} {pid}: {done.stdout}{done.stderr}")


def switches(binary, scenario, n, workdir, env=None):
    """Context switches per request: (all, voluntary). The voluntary ones are the hand-offs (a
    thread waiting for another); the others are preemption, which grows with the machine's load."""
    server = Server(binary, workdir, extra_env=env)
    try:
        s = Scenario(scenario, server)
        s.run(16)
        v0, n0 = server.switches()
        s.run(n)
        v1, n1 = server.switches()
        return ((v1 - v0) + (n1 - n0)) / n, (v1 - v0) / n
    finally:
        server.stop()


def steal_ticks():
    """Time the hypervisor gave this guest's vCPUs to others, since boot (/proc/stat, ticks)."""
    return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8])


def wrk_run(binary, scenario, duration, workdir, env=None):
    """requests/s, server CPU µs per request, p99 ms and the % of CPU time stolen, under wrk."""
    server = Server(binary, workdir, extra_env=env)
    try:
        s = Scenario(scenario, server)
        path, env, headers, threads, conns = None, {"BENCH_MODE": "get"}, [], 2, 8
        if scenario in ("claims", "me", "sessions"):
            path = {"claims": "/api/auth/claims", "me": "/api/auth/me",
                    "sessions": "/api/sessions"}[scenario]
            headers = ["-H", f"Authorization: Bearer {s.access}"]
        else:
            path = "/api/auth/refresh"
            tokens = Path(workdir) / f"chains-{time.monotonic_ns()}.txt"
            tokens.write_text("\n".join(s.chains) + "\n")
            env = {"BENCH_MODE": "refresh", "BENCH_TOKENS": str(tokens)}
            threads = conns = len(s.chains)
        before, stolen = cpu_seconds(server.proc.pid), steal_ticks()
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--timeout",
             "10s", "-s", str(LUA), *headers, f"http://{server.base}{path}"],
            env={**os.environ, **env}, capture_output=True, text=True, timeout=duration + 60)
        cpu = cpu_seconds(server.proc.pid) - before
        stolen = steal_ticks() - stolen
        line = next(l for l in out.stdout.splitlines() if l.startswith("BENCH_JSON "))
        result = json.loads(line.split(" ", 1)[1])
        if result.get("non2xx") or result.get("broken"):
            raise SystemExit(f"wrk {scenario}: failures {result}")
        seconds = result["duration_us"] / 1e6
        steal = 100 * stolen / CLK_TCK / (os.cpu_count() * seconds)
        return result["rps"], cpu * 1e6 / max(result["requests"], 1), result["p99_us"] / 1000, steal
    finally:
        server.stop()


def ratio(b, a):
    return b / a if a else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--a", required=True, help="the baseline binary")
    ap.add_argument("--b", required=True, help="the binary under test")
    ap.add_argument("--a-label", default="A")
    ap.add_argument("--b-label", default="B")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--requests", type=int, default=200, help="N (login: N/10)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run (0: no wrk)")
    ap.add_argument("--no-instructions", action="store_true", help="skip callgrind")
    ap.add_argument("--profile", type=Path, metavar="DIR",
                    help="keep each callgrind dump in DIR (callgrind_annotate --inclusive=yes)")
    for side in "ab":
        ap.add_argument(f"--{side}-env", action="append", default=[], metavar="KEY=VALUE",
                        help=f"an environment variable for {side.upper()}'s server only")
    args = ap.parse_args()
    envs = {"A": parse_env(args.a_env), "B": parse_env(args.b_env)}
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s}; one of {','.join(SCENARIOS)}")
    binaries = {"A": Path(args.a).resolve(), "B": Path(args.b).resolve()}
    results = {}
    with tempfile.TemporaryDirectory(prefix="rat-ab-") as workdir:
        for scenario in scenarios:
            n = requests_for(scenario, args.requests)
            row = {"requests": n}
            for side, binary in binaries.items():
                env = envs[side]
                row[f"switches_{side}"], row[f"voluntary_{side}"] = switches(
                    binary, scenario, n, workdir, env)
                if not args.no_instructions:
                    row[f"instructions_{side}"] = instructions(binary, scenario, n, workdir, env,
                                                               args.profile)
            if args.duration and scenario != "login":
                runs = {"A": [], "B": []}
                for side in "ABBA":
                    runs[side].append(
                        wrk_run(binaries[side], scenario, args.duration, workdir, envs[side]))
                for side in "AB":
                    row[f"rps_{side}"] = statistics.mean(r[0] for r in runs[side])
                    row[f"cpu_us_{side}"] = statistics.mean(r[1] for r in runs[side])
                    row[f"p99_ms_{side}"] = max(r[2] for r in runs[side])
                    row[f"steal_{side}"] = max(r[3] for r in runs[side])
            results[scenario] = row
            print(f"{scenario:9} " + "  ".join(
                f"{k} {v:,.1f}" for k, v in row.items() if k != "requests"), flush=True)
    table = render(results, args)
    print(table)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "ab.md").write_text(table)
    (out / "ab.json").write_text(json.dumps({"a": args.a_label, "b": args.b_label,
                                             "results": results}, indent=2) + "\n")


def parse_env(pairs):
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--a-env/--b-env take KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def side_env(pairs):
    return f" ({' '.join(pairs)})" if pairs else ""


def render(results, args):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"A/B {when}: A = {args.a_label}{side_env(args.a_env)}, "
        f"B = {args.b_label}{side_env(args.b_env)} (release, SQLite, body mode)",
        "",
        "| scenario | instructions/req A | B | B/A | switches/req A | B | B/A "
        "| voluntary A | B | B/A | req/s A | B | B/A | CPU µs/req A | B | B/A | p99 ms A | B "
        "| steal % A | B |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cells(row, key, fmt):
        a, b = row.get(f"{key}_A"), row.get(f"{key}_B")
        if a is None or b is None:
            return ["", "", ""]
        return [format(a, fmt), format(b, fmt), f"{ratio(b, a):.3f}"]

    for scenario, row in results.items():
        p99 = [format(row[k], ".2f") if k in row else "" for k in ("p99_ms_A", "p99_ms_B")]
        steal = [format(row[k], ".0f") if k in row else "" for k in ("steal_A", "steal_B")]
        lines.append("| " + " | ".join(
            [LABELS[scenario], *cells(row, "instructions", ",.0f"), *cells(row, "switches", ".1f"),
             *cells(row, "voluntary", ".1f"),
             *cells(row, "rps", ",.0f"), *cells(row, "cpu_us", ".0f"), *p99, *steal]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
