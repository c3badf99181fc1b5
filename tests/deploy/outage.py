"""The database goes away and comes back, measured from outside on both instances.

Under load: PostgreSQL stopped (`pg_ctl stop -m fast`, what `systemctl stop` does). Every answer
that needs the database is `503 service_unavailable` (JSON under /api, a page elsewhere) within
the pool's acquire timeout, never a 500 and never a hang; /healthz stays 200 and /readyz says 503.
Then the server is started again: every request sent once it answers must succeed, on both
instances, with no restart. Quiet: the same with no request during the outage, so each instance
holds pooled connections that died with the server (the case a pool without a ping before
checkout gets wrong). Nothing is lost: the users and sessions of before still work.

Each phase prints what it measured before it asserts, so a failing run still says how it failed.
"""

import collections
import http.client
import threading
import time

from client import at_once

SLACK = 1.5  # seconds beyond the acquire timeout: scheduling on 2 shared cores, nginx, TLS


class Load:
    """Threads sending requests that need the database until stopped, each answer recorded with
    when it was sent: GET /api/auth/me (bearer) directly and through nginx, and the devices page
    through nginx."""

    THREADS = 6  # A, B, nginx, A, B, and nginx browsing the devices page

    def __init__(self, d, users):
        self.d, self.users = d, users
        self.records = []  # (sent, seconds, way, path, status, code, content_type)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,))
                        for i in range(self.THREADS)]

    def _run(self, i):
        d = self.d
        way, client = [("a", d.direct(d.a)), ("b", d.direct(d.b)),
                       ("nginx", d.via_nginx())][i % 3]
        user = self.users[i % len(self.users)]
        page = i == 5
        if page:
            client.cookies = user["cookies"]  # renewals update the user's own cookies
        path = "/sessions" if page else "/api/auth/me"
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                answer = client.get(path, bearer=None if page else user["access"])
                record = (sent, answer.seconds, way, path, answer.status, answer.code,
                          answer.headers.get("Content-Type", ""))
            except (OSError, http.client.HTTPException) as e:
                record = (sent, time.monotonic() - sent, way, path, 0, type(e).__name__, "")
                client.close()
            with self.lock:
                self.records.append(record)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join()

    def between(self, start, end):
        """Records of the requests sent in [start, end)."""
        with self.lock:
            return [r for r in self.records if start <= r[0] < end]


def summary(records):
    counts = collections.Counter((r[3], r[4], r[5]) for r in records)
    slowest = max((r[1] for r in records), default=0)
    parts = [f"{n}× {path} {status}{' ' + code if code else ''}"
             for (path, status, code), n in sorted(counts.items(), key=str)]
    return f"{len(records)} requests, slowest {slowest:.2f} s: " + (", ".join(parts) or "none")


def sign_up_users(d, n):
    """Users with a live session each: access token and cookies, for the load and afterwards."""
    users = []
    for i in range(n):
        browser = d.via_nginx()
        body = browser.register(f"outage-{time.time_ns()}-{i}@example.com")
        users.append({"access": body["access_token"], "cookies": dict(browser.cookies),
                      "email": body["user"]["email"]})
    return users


def warm_pools(d, users):
    """Opens many pooled connections on both instances (16 requests at once on each)."""
    threads = [threading.Thread(target=lambda c=c: [c.me(users[0]["access"]) for _ in range(4)])
               for inst in d.instances for c in [d.direct(inst) for _ in range(16)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def forty_requests_over_both_instances(d, users):
    ways = d.each_way()

    def work(i):
        client = ways[i % len(ways)]()
        client.get("/healthz")
        return lambda: client.me(users[i % len(users)]["access"])

    return at_once(40, work)


def counts(d):
    users = d.pg.sql("SELECT count(*) FROM users")[0][0]
    live = d.pg.sql("SELECT count(*) FROM sessions WHERE revoked_at IS NULL")[0][0]
    return int(users), int(live)


def state_before(d):
    if not hasattr(d, "outage_users"):
        d.outage_users = sign_up_users(d, 4)
        d.outage_counts = counts(d)
    return d.outage_users


def a_stopped_database_is_503_within_the_acquire_timeout_and_recovery_needs_no_restart(d):
    acquire_timeout = d.acquire_timeout
    users = state_before(d)
    warm_pools(d, users)
    with Load(d, users) as load:
        time.sleep(1)
        stopping = time.monotonic()
        d.pg.stop("fast")
        stopped = time.monotonic()
        probes = []
        for inst in d.instances:
            client = d.direct(inst)
            probes += [("healthz", client.get("/healthz")), ("readyz", client.get("/readyz")),
                       ("login", client.login(users[0]["email"]))]
        time.sleep(acquire_timeout * 2)
        restarting = time.monotonic()
        d.pg.start()
        while not d.pg.is_ready():
            time.sleep(0.02)
        ready = time.monotonic()
        time.sleep(2)
        end = time.monotonic()
    during = load.between(stopped, restarting - acquire_timeout - SLACK)
    after = load.between(ready, end)
    print(f"      stopping took {stopped - stopping:.2f} s, starting {ready - restarting:.2f} s")
    print(f"      during the outage: {summary(during)}")
    print("      probes: " + ", ".join(f"{what} {a.status} {a.code or ''} ({a.seconds:.2f} s)"
                                       for what, a in probes))
    print(f"      once it answers again: {summary(after)}")

    assert during, "no request was sent during the outage"
    # Never a 500 nor a dropped connection, whenever it was sent: before, during or after.
    assert {r[4] for r in load.records} <= {200, 503}, summary(load.records)
    for sent, seconds, way, path, status, code, content_type in during:
        assert status == 503, (way, path, status, code)
        assert seconds <= acquire_timeout + SLACK, (way, path, seconds)
        if path.startswith("/api/"):
            assert code == "service_unavailable" and "json" in content_type, (way, code)
        else:
            assert "text/html" in content_type, (way, path, content_type)
    for what, answer in probes:
        expected = {"healthz": 200, "readyz": 503, "login": 503}[what]
        assert answer.status == expected, (what, answer)
    assert after and all(r[4] == 200 for r in after), summary(after)


def a_restart_while_quiet_fails_no_request_once_the_database_answers(d):
    users = state_before(d)
    warm_pools(d, users)  # every pooled connection of both instances dies with the server
    d.pg.stop("fast")
    time.sleep(1.5)  # no request at all meanwhile
    d.pg.start()
    while not d.pg.is_ready():
        time.sleep(0.02)
    answers = forty_requests_over_both_instances(d, users)
    statuses = collections.Counter((a.status, a.code) for a in answers)
    print(f"      40 requests at once right after the restart: {dict(statuses)}")
    assert statuses == {(200, None): 40}, statuses


def no_user_or_session_is_lost_and_the_sessions_go_on(d):
    users = state_before(d)
    assert counts(d) == d.outage_counts, (counts(d), d.outage_counts)
    for user in users:
        browser = d.via_nginx()
        browser.cookies = dict(user["cookies"])
        renewed = browser.refresh()
        assert renewed.status == 200, renewed
        assert browser.me(renewed.json()["access_token"]).status == 200


CHECKS = [
    a_stopped_database_is_503_within_the_acquire_timeout_and_recovery_needs_no_restart,
    a_restart_while_quiet_fails_no_request_once_the_database_answers,
    no_user_or_session_is_lost_and_the_sessions_go_on,
]
