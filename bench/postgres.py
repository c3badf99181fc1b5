"""The template on PostgreSQL, in the same run as its SQLite figures: one instance, then the same
instance behind nginx, then two instances behind nginx (round-robin, TLS), on one database.

The deployment is tests/deploy/cluster.py's (deploy/app.env, deploy/app@.service,
deploy/nginx-site.conf) with the bench's settings (harness.BENCH_ENV). PostgreSQL runs with its
default durability (fsync on, every commit flushed) on the same two cores as everything else;
one more instance sets `synchronous_commit = off` on its connections (a crash of the server may
lose the last commits, never corrupt anything: the durability of the template's SQLite setting),
to show what the flush costs a refresh.
Each scenario counts the CPU time of every process involved (the instances, PostgreSQL, nginx,
wrk), per request, and how many cores they kept busy together: on 2 cores that sum is the limit.
"""

import base64
import os
import sys
from pathlib import Path

import harness
from harness import Template, prepare, progress, run_scenario

sys.path.insert(0, str(harness.REPO / "tests" / "deploy"))
import cluster  # noqa: E402

# (setup, scenario): the full-user route and chained refresh, each way in.
RUNS = [
    ("pg1", "me"), ("pg1", "refresh1"), ("pg1", "refresh"),
    ("pg1-async", "refresh1"), ("pg1-async", "refresh"),
    ("pg1-nginx", "me"), ("pg1-nginx", "refresh"),
    ("pg2-nginx", "me"), ("pg2-nginx", "refresh"),
]
SETUPS = {
    "sqlite": "SQLite, 1 instance",
    "pg1": "PostgreSQL, 1 instance",
    "pg1-async": "PostgreSQL, 1 instance, `synchronous_commit = off`",
    "pg1-nginx": "PostgreSQL, 1 instance behind nginx",
    "pg2-nginx": "PostgreSQL, 2 instances behind nginx",
}


class Deployed(Template):
    """Template instances on PostgreSQL: set-up requests go straight to the first instance, the
    load goes to `load_base` (the instance, or nginx)."""

    def __init__(self, name, first, load_base, cpu_groups):
        self.name, self.base, self.load_base = name, first.base, load_base
        self.groups, self.proc, self.log = cpu_groups, first.proc, None

    def load_url(self, path):
        return self.load_base + path

    def cpu_groups(self):
        return self.groups


def run(args, tmp):
    """Every run of RUNS; the results by setup and scenario."""
    pg = cluster.Postgres(tmp)
    pg.start()
    pg.sql("CREATE DATABASE app", database="postgres")
    overrides = {
        **harness.BENCH_ENV,
        "ROCKET_LOG_LEVEL": "critical",
        "ROCKET_SMTP_URL": "",
        "ROCKET_MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "ROCKET_JWT_SECRET": base64.b64encode(os.urandom(48)).decode(),
        "ROCKET_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ROCKET_DATABASES": '{app={url="%s",max_connections=16}}' % pg.url("app"),
    }
    a = cluster.Instance(tmp, "pg-a", overrides)
    b = cluster.Instance(tmp, "pg-b", overrides)
    unflushed = pg.url("app") + "?options=-c%20synchronous_commit%3Doff"
    c = cluster.Instance(tmp, "pg-async", {
        **overrides, "ROCKET_DATABASES": '{app={url="%s",max_connections=16}}' % unflushed})
    nginx = None
    results = {}
    try:
        for instance in (a, b, c):
            instance.start()
        for instance in (a, b, c):
            instance.wait_up()
        tokens = None
        for setup in ("pg1", "pg1-async", "pg1-nginx", "pg2-nginx"):
            instances = {"pg2-nginx": [a, b], "pg1-async": [c]}.get(setup, [a])
            groups = {"app": [i.proc.pid for i in instances], "postgres": [pg.pid()]}
            load_base = instances[0].base
            if setup.endswith("nginx"):
                (tmp / setup).mkdir()
                nginx = cluster.Nginx(tmp / setup, instances)
                nginx.start()
                groups["nginx"] = [nginx.proc.pid]
                load_base = nginx.base
            target = Deployed(setup, instances[0], load_base, groups)
            tokens = tokens or prepare(target)
            for scenario in [s for run_setup, s in RUNS if run_setup == setup]:
                r = run_scenario(target, scenario, tokens, args, tmp)
                results.setdefault(setup, {})[scenario] = r
                progress(setup, scenario, r)
            if nginx:
                nginx.stop()
                nginx = None
    finally:
        if nginx:
            nginx.stop()
        for instance in (a, b, c):
            instance.stop()
        pg.close()
    return results


def render(report):
    """The PostgreSQL table: each row beside the SQLite figure of the same scenario."""
    pg, sqlite = report["postgres"], report["results"].get("template", {})
    rows = [("sqlite", s, sqlite.get(s)) for s in ("me", "refresh1", "refresh")]
    rows += [(setup, s, pg.get(setup, {}).get(s)) for setup, s in RUNS]
    rows.sort(key=lambda row: ["me", "refresh1", "refresh"].index(row[1]))
    chains = report["settings"]["chains"]
    lines = [
        "PostgreSQL: the same two scenarios on one database, one instance and then two behind "
        "nginx (TLS, round-robin), PostgreSQL with its default durability; every process on the "
        "same 2 cores. CPU µs/req: instances / PostgreSQL / nginx / wrk.",
        "",
        "| scenario | setup | req/s | ÷ SQLite | ÷ 1 instance behind nginx | p50 / p99 ms "
        "| CPU µs/req app / pg / nginx / wrk | cores busy | failures |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    def ratio(a, b):
        return f"{a['rps'] / b['rps']:.2f}×" if a and b else "–"

    for setup, scenario, r in rows:
        if not r:
            continue
        to_sqlite = ratio(r, sqlite.get(scenario)) if setup != "sqlite" else "–"
        to_one = ratio(r, pg.get("pg1-nginx", {}).get(scenario)) if setup == "pg2-nginx" else "–"
        by = r.get("cpu_us_per_req_by", {})
        cpu = " / ".join(str(by.get(g, "–")) for g in ("app", "postgres", "nginx", "wrk"))
        label = harness.LABELS[scenario].replace("--chains", str(chains))
        failures = r["non2xx"] + r["broken"] + r["timeouts"]
        lines.append(
            f"| {label} | {SETUPS[setup]} | {r['rps']:,.0f} | {to_sqlite} | {to_one} "
            f"| {r['p50_us'] / 1000:.2f} / {r['p99_us'] / 1000:.2f} | {cpu} "
            f"| {r.get('cores_busy', '–')} | {failures} |")
    return lines
