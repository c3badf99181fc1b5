#!/usr/bin/env python3
"""Load benchmarks of the template against its own bare route and a Django peer, in one run.

Started by bench/run.sh (which installs wrk, builds the release binary and sets up the peer).
Everything is on loopback and bounded: each scenario is one wrk run of --duration seconds.

Both apps run side by side and every scenario is measured on the template, then at once on the
peer, so that drift on a shared machine hits both alike. The figures to quote are ratios:
each route against its own app's bare route, and template against peer on the same scenario.
Besides requests/s, the server's own CPU time per request (utime + stime from /proc, all its
processes) is given: it is far steadier than throughput when other work shares the cores.

Output: a Markdown table and the raw numbers as JSON in bench/results/ (latest.md, latest.json).
"""

import argparse
import base64
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LUA = BENCH / "wrk" / "bench.lua"
PASSWORD = "correct horse battery"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CORES = os.cpu_count() or 1


# ---------------------------------------------------------------- processes and /proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid):
    """pid and all its descendants (gunicorn: master and workers)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def status_kib(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pid):
    """Resident memory of the whole process tree now, MiB."""
    return sum(status_kib(p, "VmRSS") for p in process_tree(pid)) / 1024


def cpu_seconds(pid):
    """User + system CPU time of the process tree (live processes), seconds."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / CLK_TCK


class RssSampler:
    """Samples the tree's RSS every 50 ms while a scenario runs; keeps the peak."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib(self.pid))


def wait_until_up(url, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url} within {seconds} s")


def stop(proc, seconds=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post_json(url, body, headers=None):
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("User-Agent", UA)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def get_json(url, token):
    req = urllib.request.Request(url)
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# ---------------------------------------------------------------- the two apps


class Target:
    """One app under test: how to start it and what each scenario maps to."""

    name = ""
    routes = {}  # scenario -> path
    login_path = ""
    refresh_path = ""
    request_field = response_field = ""

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log = None

    def url(self, path):
        return self.base + path

    def load_url(self, path):
        """Where wrk sends the load (the set-up requests go to `url`)."""
        return self.url(path)

    def cpu_groups(self):
        """Processes whose CPU time is counted, by group: here the app's own tree."""
        return {"app": [self.proc.pid]}

    def wait_up(self):
        wait_until_up(self.url(self.routes["bare"]), self.proc)

    def stop(self):
        if self.proc:
            stop(self.proc)
        if self.log:
            self.log.close()


# The template's settings for every run, SQLite and PostgreSQL alike.
BENCH_ENV = {
    # Benchmarks measure work, not refusals: every rate limit off.
    "ROCKET_RATE_LIMIT_LOGIN_PER_IP": "off",
    "ROCKET_RATE_LIMIT_LOGIN_PER_ACCOUNT": "off",
    "ROCKET_RATE_LIMIT_REGISTER_PER_IP": "off",
    "ROCKET_RATE_LIMIT_REFRESH_PER_IP": "off",
    # Body mode: wrk's Lua sees one Set-Cookie header only (see bench.lua).
    "ROCKET_REFRESH_TOKEN_AS_COOKIE": "false",
    # One token lasts the whole run (the peer gets the same hour).
    "ROCKET_ACCESS_TOKEN_TTL": "3600",
    # Loopback over plain HTTP, mails to an outbox: release refuses both unless allowed.
    "ROCKET_ALLOW_PLAIN_HTTP": "true",
    "ROCKET_ALLOW_MAIL_OUTBOX": "true",
}


class Template(Target):
    name = "template"
    routes = {
        "bare": "/healthz",
        "claims": "/api/auth/claims",
        "me": "/api/auth/me",
        "sessions": "/api/sessions",
    }
    login_path = "/api/auth/login"
    refresh_path = "/api/auth/refresh"
    request_field = response_field = "refresh_token"

    def start(self, label, log_level="critical"):
        db = self.workdir / f"{label}.db"
        env = dict(os.environ)
        env.update(BENCH_ENV)
        env.update(
            {
                "ROCKET_PROFILE": "release",
                "ROCKET_ADDRESS": "127.0.0.1",
                "ROCKET_PORT": str(self.port),
                "ROCKET_LOG_LEVEL": log_level,
                "ROCKET_JWT_SECRET": base64.b64encode(os.urandom(48)).decode(),
                "ROCKET_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
                "ROCKET_DATABASES": '{app={url="sqlite://%s"}}' % db,
            }
        )
        binary = REPO / "target" / "release" / "rocket-auth-template"
        self.log = open(self.workdir / f"{label}.log", "w")
        self.proc = subprocess.Popen(
            [str(binary)], cwd=self.workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.wait_up()

    def create_user(self, email):
        body = post_json(
            self.url("/api/auth/register"),
            {"email": email, "password": PASSWORD, "name": "Bench"},
        )
        # Registering signs in; sign that session out so each user holds only the run's sessions.
        req = urllib.request.Request(self.url("/api/auth/logout"), data=b"{}", method="POST")
        req.add_header("Content-Type", "application/json")  # a body must be declared JSON (415)
        req.add_header("Authorization", f"Bearer {body['access_token']}")
        urllib.request.urlopen(req, timeout=30).close()

    def login(self, email):
        body = post_json(self.url(self.login_path), {"email": email, "password": PASSWORD})
        return body["access_token"], body["refresh_token"]

    def login_body(self, email):
        return json.dumps({"email": email, "password": PASSWORD})

    def sessions_seen(self, token):
        return len(get_json(self.url(self.routes["sessions"]), token)["sessions"])

    def hash_report(self):
        text = (self.workdir / f"{self.label_for_report}.log").read_text(errors="replace")
        lines = [l for l in text.splitlines() if "password hashing:" in l]
        return lines[-1].split("password hashing:", 1)[1].strip() if lines else None


class Django(Target):
    name = "django"
    routes = {
        "bare": "/healthz",
        "claims": "/api/claims",
        "me": "/api/auth/user/",
        "sessions": "/api/sessions",
    }
    login_path = "/api/auth/login/"
    refresh_path = "/api/auth/token/refresh/"
    request_field = response_field = "refresh"

    def __init__(self, workdir, venv):
        super().__init__(workdir)
        self.venv = venv
        self.peer = BENCH / "python" / "peer"
        self.env = dict(os.environ)
        self.env["PEER_SECRET_KEY"] = base64.b64encode(os.urandom(48)).decode()

    def manage(self, *args):
        subprocess.run(
            [str(self.venv / "bin" / "python"), "manage.py", *args],
            cwd=self.peer, env=self.env, check=True, stdout=subprocess.DEVNULL,
        )

    def start(self, label, log_level=None):
        self.env["PEER_DB"] = str(self.workdir / f"{label}.db")
        self.manage("migrate", "-v0")
        self.log = open(self.workdir / f"{label}.log", "w")
        self.proc = subprocess.Popen(
            [
                str(self.venv / "bin" / "gunicorn"), "peer.wsgi",
                "--workers", str(CORES),  # as many workers as cores, gunicorn's sync worker
                "--bind", f"127.0.0.1:{self.port}",
                "--timeout", "60",
            ],
            cwd=self.peer, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.wait_up()

    def create_user(self, email):
        code = (
            "from django.contrib.auth.models import User; "
            f"User.objects.create_user({email!r}, {email!r}, {PASSWORD!r})"
        )
        self.manage("shell", "-c", code)

    def login(self, email):
        body = post_json(self.url(self.login_path), {"username": email, "password": PASSWORD})
        return body["access"], body["refresh"]

    def login_body(self, email):
        return json.dumps({"username": email, "password": PASSWORD})

    def sessions_seen(self, token):
        return len(get_json(self.url(self.routes["sessions"]), token)["sessions"])


# ---------------------------------------------------------------- wrk


def wrk(target, url, *, threads, connections, duration, env, headers=()):
    """One bounded wrk run against target; returns its numbers plus the server's CPU and RSS."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
           "--timeout", "10s", "-s", str(LUA)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    groups = target.cpu_groups()

    def cpu_now():
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
        used = {g: sum(cpu_seconds(p) for p in pids) for g, pids in groups.items()}
        return {**used, "wrk": children.ru_utime + children.ru_stime}

    cpu_before = cpu_now()
    with RssSampler(groups["app"][0]) as rss:
        out = subprocess.run(
            cmd, env={**os.environ, **env}, capture_output=True, text=True,
            timeout=duration + 60,
        )
    cpu_by = {g: t - cpu_before[g] for g, t in cpu_now().items()}
    cpu = cpu_by["app"]
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {url}:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line.split(" ", 1)[1])
    result["server_cpu_s"] = round(cpu, 3)
    result["cpu_us_per_req"] = round(cpu * 1e6 / max(result["requests"], 1), 1)
    # Every process's share (app, database server, proxy, wrk), and how many cores they kept busy.
    result["cpu_us_per_req_by"] = {
        g: round(t * 1e6 / max(result["requests"], 1), 1) for g, t in cpu_by.items()}
    result["cores_busy"] = round(sum(cpu_by.values()) / (result["duration_us"] / 1e6), 2)
    result["peak_rss_mib"] = round(rss.peak, 1)
    return result


# ---------------------------------------------------------------- the run


SCENARIOS = ["bare", "claims", "me", "sessions", "refresh1", "refresh", "login"]
LABELS = {
    "bare": "bare route",
    "claims": "claims only (no DB)",
    "me": "full user (1 DB read)",
    "sessions": "sessions list (20)",
    "refresh1": "chained refresh, 1 chain",
    "refresh": "chained refresh, --chains at once",
    "login": "login flood (argon2)",
}


def prepare(target):
    """Users and tokens for every scenario but the login flood (which gets a fresh server)."""
    target.create_user("bench@example.com")
    target.create_user("twenty@example.com")
    target.create_user("chain@example.com")
    access, _ = target.login("bench@example.com")
    # Sessions list: 20 live sessions, made by 20 logins before the run.
    twenty = None
    for _ in range(20):
        twenty, _ = target.login("twenty@example.com")
    seen = target.sessions_seen(twenty)
    if seen != 20:
        raise SystemExit(f"{target.name}: expected 20 sessions, the list has {seen}")
    return access, twenty


def run_scenario(target, scenario, tokens, args, tmp):
    access, twenty = tokens
    get = dict(threads=2, connections=args.connections, duration=args.duration,
               env={"BENCH_MODE": "get"})
    if scenario in ("bare", "claims", "me"):
        return wrk(target, target.load_url(target.routes[scenario]),
                   headers=[f"Authorization: Bearer {access}"], **get)
    if scenario == "sessions":
        return wrk(target, target.load_url(target.routes[scenario]),
                   headers=[f"Authorization: Bearer {twenty}"], **get)
    if scenario in ("refresh", "refresh1"):
        # One session per chain; each chain is one wrk thread with one connection. refresh1:
        # a single chain, the latency of a rotation nobody competes with.
        n = 1 if scenario == "refresh1" else args.chains
        chains = tmp / f"{target.name}-{scenario}.txt"
        chains.write_text(
            "\n".join(target.login("chain@example.com")[1] for _ in range(n)) + "\n"
        )
        return wrk(target, target.load_url(target.refresh_path), threads=n,
                   connections=n, duration=args.duration,
                   env={"BENCH_MODE": "refresh", "BENCH_TOKENS": str(chains),
                        "BENCH_REQUEST_FIELD": target.request_field,
                        "BENCH_RESPONSE_FIELD": target.response_field})
    raise ValueError(scenario)


def login_flood(target, args):
    """A fresh server: idle RSS, then --flood connections logging in for --duration seconds."""
    label = f"{target.name}-flood"
    target.label_for_report = label
    # normal: the template logs the hashing report (peak concurrent hashes) at shutdown.
    target.start(label, log_level="normal")
    time.sleep(1)
    idle = rss_mib(target.proc.pid)
    target.create_user("flood@example.com")
    result = wrk(target, target.url(target.login_path), threads=2, connections=args.flood,
                 duration=args.duration,
                 env={"BENCH_MODE": "post", "BENCH_BODY": target.login_body("flood@example.com")})
    result["idle_rss_mib_before"] = round(idle, 1)
    result["vmhwm_mib"] = round(
        sum(status_kib(p, "VmHWM") for p in process_tree(target.proc.pid)) / 1024, 1)
    target.stop()
    if isinstance(target, Template):
        result["hash_report"] = target.hash_report()
    return result


def progress(label, scenario, r):
    print(f"{label:9} {scenario:9} {r['rps']:9.0f} req/s  p99 {r['p99_us'] / 1000:7.2f} ms"
          f"  cpu {r['cpu_us_per_req']:7.1f} us/req  non2xx {r['non2xx']}  broken {r['broken']}",
          flush=True)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return f"{CORES} cores ({cpu}), {int(mem) // 1024} MiB RAM, {platform.system()} {platform.release()}"


def busy_processes(own):
    """Other processes using CPU right now (over one second), to note beside the table."""
    def ticks():
        out = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                head, tail = stat.read_text().rsplit(")", 1)
                fields = tail.split()
                out[int(stat.parent.name)] = (head.split("(", 1)[1], int(fields[11]) + int(fields[12]))
            except (OSError, IndexError, ValueError):
                pass
        return out
    a = ticks()
    time.sleep(1)
    b = ticks()
    busy = []
    for pid, (name, t) in b.items():
        if pid in own or pid not in a:
            continue
        pct = (t - a[pid][1]) * 100 / CLK_TCK
        if pct >= 5:
            busy.append(f"{name} {pct:.0f}%")
    return busy


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per scenario and target")
    ap.add_argument("--connections", type=int, default=32, help="connections for the GET routes")
    ap.add_argument("--chains", type=int, default=8, help="concurrent refresh chains")
    ap.add_argument("--flood", type=int, default=64, help="connections of the login flood")
    ap.add_argument("--targets", default="template,django")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--venv", default=str(BENCH / ".venv"))
    ap.add_argument("--out", default=str(BENCH / "results"))
    ap.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=True,
                    help="also the template on PostgreSQL: one instance, then two behind nginx")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: run bench/run.sh (it installs it)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    wanted = args.targets.split(",")
    scenarios = args.scenarios.split(",")
    targets = []
    if "template" in wanted:
        targets.append(Template(tmp))
    if "django" in wanted:
        targets.append(Django(tmp, Path(args.venv)))
    started = datetime.datetime.now(datetime.timezone.utc)
    report = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "busy_before": busy_processes({os.getpid()}),
        "settings": vars(args),
        "results": {t.name: {} for t in targets},
        "idle_rss_mib": {},
    }
    try:
        for t in targets:
            t.start(f"{t.name}-main")
        time.sleep(1)
        for t in targets:
            report["idle_rss_mib"][t.name] = round(rss_mib(t.proc.pid), 1)
        tokens = {t.name: prepare(t) for t in targets}
        for scenario in [s for s in scenarios if s != "login"]:
            for t in targets:  # same scenario on both apps back to back: drift hits both
                r = run_scenario(t, scenario, tokens[t.name], args, tmp)
                report["results"][t.name][scenario] = r
                progress(t.name, scenario, r)
        for t in targets:
            t.stop()
            t.proc = None
        if args.postgres:
            import postgres  # bench/postgres.py
            report["postgres"] = postgres.run(args, tmp)
        if "login" in scenarios:
            for t in targets:
                r = login_flood(t, args)
                t.proc = None
                report["results"][t.name]["login"] = r
                print(f"{t.name:9} login     {r['rps']:9.1f} req/s  p99 {r['p99_us'] / 1000:7.0f} ms"
                      f"  peak RSS {r['peak_rss_mib']} MiB  {r.get('hash_report') or ''}", flush=True)
    finally:
        for t in targets:
            t.stop()
    report["load_after"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = render(report)
    (out / "latest.md").write_text(table)
    print()
    print(table)
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- the table


def render(report):
    res = report["results"]
    t, d = res.get("template", {}), res.get("django", {})

    def ratio(a, b):
        return f"{a / b:.2f}×" if a and b else "–"

    def rps(r):
        return f"{r['rps']:,.0f}" if r else "–"

    def ms(r, key):
        return f"{r[key] / 1000:.2f}" if r else "–"

    lines = [
        f"Run of {report['date']} on {report['machine']}.",
        f"Load average before: {', '.join(f'{x:.2f}' for x in report['load_before'])}; "
        f"after: {', '.join(f'{x:.2f}' for x in report['load_after'])}. "
        f"Other busy processes at the start: {', '.join(report['busy_before']) or 'none'}.",
        f"{report['settings']['duration']} s per scenario and app; GET routes "
        f"{report['settings']['connections']} connections; {report['settings']['chains']} refresh "
        f"chains; login flood {report['settings']['flood']} connections.",
        "",
        "| scenario | template ÷ own bare (req/s) | Django ÷ own bare (req/s) | template ÷ Django (req/s) "
        "| template CPU µs/req | Django CPU µs/req | template req/s | Django req/s "
        "| template p50 / p99 ms | Django p50 / p99 ms | failures t / d |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in SCENARIOS:
        rt, rd = t.get(s), d.get(s)
        if not rt and not rd:
            continue
        fail = lambda r: str(r["non2xx"] + r["broken"] + r["timeouts"]) if r else "–"
        lines.append(
            f"| {LABELS[s].replace('--chains', str(report['settings']['chains']))} | {ratio(rt and rt['rps'], t.get('bare', {}).get('rps'))} "
            f"| {ratio(rd and rd['rps'], d.get('bare', {}).get('rps'))} "
            f"| {ratio(rt and rt['rps'], rd and rd['rps'])} "
            f"| {rt['cpu_us_per_req'] if rt else '–'} | {rd['cpu_us_per_req'] if rd else '–'} "
            f"| {rps(rt)} | {rps(rd)} "
            f"| {ms(rt, 'p50_us')} / {ms(rt, 'p99_us')} | {ms(rd, 'p50_us')} / {ms(rd, 'p99_us')} "
            f"| {fail(rt)} / {fail(rd)} |"
        )
    lines += ["", "| memory | template | Django (master + workers) |", "| --- | --- | --- |"]
    idle = report["idle_rss_mib"]
    lines.append(f"| idle RSS after start, MiB | {idle.get('template', '–')} | {idle.get('django', '–')} |")
    lt, ld = t.get("login"), d.get("login")
    if lt or ld:
        lines.append(
            f"| peak RSS in the login flood (sampled every 50 ms), MiB | "
            f"{lt['peak_rss_mib'] if lt else '–'} | {ld['peak_rss_mib'] if ld else '–'} |"
        )
        if lt:
            lines += ["", f"Template hashing during the flood: {lt.get('hash_report') or 'no report found'}."]
    if report.get("postgres"):
        import postgres  # bench/postgres.py
        lines += ["", *postgres.render(report)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
