"""Several instances on one PostgreSQL database behind nginx: the deployment of deploy/, checked.

    python3 tests/deploy/suite.py        (tests/deploy/run.sh installs what it needs and builds first)

Starts a throwaway PostgreSQL server with an empty database, two release instances AT THE SAME
MOMENT on it (their migrations must not race), and nginx in front (deploy/nginx-site.conf: TLS,
round-robin, the instances' trusted proxy). Each check below talks to the instances through nginx
and directly; the database outage comes last (tests/deploy/outage.py). Exit status 1 when a check
fails.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client import Client, at_once, jwt_claims  # noqa: E402
from cluster import REPO, Instance, Nginx, Postgres, lone_copy, release_binary  # noqa: E402
import outage  # noqa: E402

# How long a request waits for a database connection (the pool's acquire timeout), seconds.
ACQUIRE_TIMEOUT = 2
# The per-account sign-in limit the rate-limit check counts against.
ACCOUNT_LIMIT = 5
# The real client connects to nginx from here; nginx reaches the instances from 127.0.0.1.
CLIENT_IP = "127.0.0.2"


class Deployment:
    """PostgreSQL, instances `a` and `b`, nginx; and clients for each way in."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.acquire_timeout = ACQUIRE_TIMEOUT
        self.pg, self.instances, self.nginx = None, [], None
        try:
            self._start()
        except BaseException:
            self.close()  # whatever did start
            raise

    def _start(self):
        workdir = self.workdir
        self.pg = Postgres(workdir, {"fsync": "off"})
        self.pg.start()
        self.pg.sql("CREATE DATABASE app", database="postgres")
        secret = base64.b64encode(os.urandom(48)).decode()
        overrides = {
            "ROCKET_JWT_SECRET": secret,
            "ROCKET_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
            "ROCKET_DATABASES": '{app={url="%s",max_connections=16,connect_timeout=%d}}'
            % (self.pg.url("app"), ACQUIRE_TIMEOUT),
            "ROCKET_LOG_LEVEL": "normal",
            # No SMTP server here: mails (verification, new-device alerts) go to an outbox.
            "ROCKET_SMTP_URL": "",
            "ROCKET_MAIL_OUTBOX_DIR": str(workdir / "outbox"),
            "ROCKET_ALLOW_MAIL_OUTBOX": "true",
            "ROCKET_RATE_LIMIT_LOGIN_PER_ACCOUNT": f"{ACCOUNT_LIMIT}/h",
            # The suite signs in and refreshes more than a person would, from two addresses.
            "ROCKET_RATE_LIMIT_LOGIN_PER_IP": "1000/min",
            "ROCKET_RATE_LIMIT_REGISTER_PER_IP": "1000/h",
            "ROCKET_RATE_LIMIT_REFRESH_PER_IP": "1000/min",
        }
        self.a = Instance(workdir, "instance-a", overrides)
        self.b = Instance(workdir, "instance-b", overrides)
        self.instances = [self.a, self.b]
        self.nginx = Nginx(workdir, self.instances)
        public_url = {"ROCKET_PUBLIC_URL": self.nginx.base}
        for instance in self.instances:
            instance.env.update(public_url)
        # The same moment: both processes exist before either has run its migrations.
        for instance in self.instances:
            instance.start()
        for instance in self.instances:
            instance.wait_up()
        self.nginx.start()

    def via_nginx(self, **kw):
        """A client of nginx, connecting from the real client's address."""
        kw.setdefault("source_ip", CLIENT_IP)
        return Client(self.nginx.base, cafile=str(self.nginx.cert), **kw)

    def direct(self, instance, **kw):
        return Client(instance.base, **kw)

    def each_way(self):
        """A, B, and nginx, in turn, for requests spread over both instances."""
        return [lambda: self.direct(self.a), lambda: self.direct(self.b), self.via_nginx]

    def close(self):
        if self.nginx:
            self.nginx.stop()
        for instance in self.instances:
            instance.stop()
        if self.pg:
            self.pg.close()


_emails = iter(range(1, 1_000_000))


def new_email(label):
    return f"{label}-{next(_emails)}@example.com"


# ---------------------------------------------------------------- the checks


def instances_started_together_on_an_empty_database_migrate_it_once(d):
    files = sorted((REPO / "migrations" / "postgres").glob("*.sql"))
    rows = d.pg.sql("SELECT version, success FROM _sqlx_migrations ORDER BY version")
    assert [r[0] for r in rows] == [f.name.split("_")[0] for f in files], rows
    assert all(r[1] == "t" for r in rows), rows
    for instance in d.instances:
        assert "migrations failed" not in instance.log_text(), instance.log_text()[-2000:]


def a_token_minted_by_one_instance_is_accepted_by_the_other(d):
    email = new_email("token")
    d.direct(d.a).register(email)
    phone = d.direct(d.a)
    access = phone.login(email).json()["access_token"]
    assert d.direct(d.b).me(access).status == 200
    # The refresh token minted by A rotates on B, and B's answer is accepted by A.
    on_b = d.direct(d.b)
    on_b.cookies = dict(phone.cookies)
    renewed = on_b.refresh()
    assert renewed.status == 200, renewed
    assert d.direct(d.a).me(renewed.json()["access_token"]).status == 200


def a_session_revoked_through_one_instance_is_refused_by_the_other_at_once(d):
    email = new_email("revoke")
    laptop = d.via_nginx()
    laptop_access = laptop.register(email)["access_token"]
    phone = d.direct(d.b)
    login = phone.login(email).json()
    phone_access, phone_session = login["access_token"], login["session"]["id"]
    assert d.direct(d.b).me(phone_access).status == 200

    revoked = d.direct(d.a).delete(f"/api/sessions/{phone_session}", bearer=laptop_access)
    assert revoked.status == 204, revoked
    # At once, on the other instance: the user guard, then the refresh.
    me = d.direct(d.b).me(phone_access)
    assert (me.status, me.code) == (401, "unauthorized"), me
    refresh = phone.refresh()
    assert (refresh.status, refresh.code) == (401, "invalid_refresh_token"), refresh

    # Signing out through nginx ends the session on both instances alike.
    out = laptop.post("/api/auth/logout")
    assert out.status == 204, out
    for instance in d.instances:
        assert d.direct(instance).me(laptop_access).status == 401


def forty_concurrent_refreshes_of_one_session_over_both_instances_leave_one_live_chain(d):
    email = new_email("race")
    owner = d.via_nginx()
    owner.register(email)
    start_jti = jwt_claims(owner.cookie("refresh_token"))["jti"]
    ways = d.each_way() + [d.via_nginx]

    def work(i):
        client = ways[i % len(ways)]()
        client.cookies = dict(owner.cookies)
        client.get("/healthz")  # connected (and TLS done) before the barrier
        return lambda: (client.refresh(), client.cookie("refresh_token"))

    results = at_once(40, work)
    statuses = sorted(answer.status for answer, _ in results)
    assert all(s < 500 for s in statuses), statuses
    assert statuses == [200] * 40, statuses
    jtis = {jwt_claims(token)["jti"] for _, token in results}
    assert len(jtis) == 1 and start_jti not in jtis, jtis
    # One chain: the session is live, once, and its one new token rotates it again.
    user_id = str(jwt_claims(results[0][1])["sub"])
    live = d.pg.sql(f"SELECT count(*) FROM sessions WHERE user_id = {int(user_id)} "
                    "AND revoked_at IS NULL")
    assert live == [["1"]], live
    follower = d.direct(d.b)
    follower.cookies = dict(owner.cookies)
    follower.cookies.update({k: results[0][1] for k in owner.cookies if k.endswith("refresh_token")})
    assert follower.refresh().status == 200


def failed_sign_ins_spread_over_both_instances_meet_the_account_limit_at_n(d):
    email = new_email("limit")
    d.via_nginx().register(email)
    ways = d.each_way()
    for i in range(ACCOUNT_LIMIT):
        answer = ways[i % 2]().login(email, "wrong password")
        assert (answer.status, answer.code) == (401, "invalid_credentials"), (i, answer)
    # Attempt N+1 is refused wherever it lands, the right password included.
    for way in ways:
        answer = way().login(email)
        assert (answer.status, answer.code) == (429, "rate_limited"), answer
        assert int(answer.headers["Retry-After"]) >= 1


def the_devices_page_shows_the_real_clients_ip_not_nginxs(d):
    email = new_email("ip")
    # The client claims another address; nginx replaces the claim with the one it sees.
    browser = d.via_nginx()
    spoof = {"X-Forwarded-For": "203.0.113.7"}
    assert browser.request("POST", "/api/auth/register", headers=spoof,
                           body={"email": email, "password": "correct horse battery"}).status == 201
    page = browser.get("/sessions", headers=spoof)
    assert page.status == 200, page
    assert CLIENT_IP in page.text, "the devices page does not show the client's address"
    assert "203.0.113.7" not in page.text
    sessions = browser.get("/api/sessions", headers=spoof)
    assert [s["ip"] for s in sessions.json()["sessions"]] == [CLIENT_IP], sessions


def plain_http_is_sent_to_https_and_cookies_are_secure(d):
    answer = Client(f"http://127.0.0.1:{d.nginx.http_port}").get("/login")
    assert answer.status == 301, answer
    assert answer.headers["Location"].startswith("https://"), answer.headers["Location"]
    browser = d.via_nginx()
    browser.register(new_email("secure"))
    cookies = browser.request("POST", "/api/auth/refresh").headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies


def the_systemd_unit_is_one_systemd_accepts(d):
    """`systemd-analyze verify` where systemd is installed (CI containers may not have it)."""
    if not shutil.which("systemd-analyze"):
        print("      systemd-analyze not installed: the unit's Environment= lines were used, not verified")
        return
    unit_dir = d.workdir / "unit"
    unit_dir.mkdir()
    # Verify needs an executable at ExecStart; the deployed path does not exist here.
    unit = (REPO / "deploy" / "app@.service").read_text()
    unit = re.sub(r"^ExecStart=.*$", f"ExecStart={release_binary()}", unit, flags=re.M)
    (unit_dir / "app@.service").write_text(unit)
    done = subprocess.run(["systemd-analyze", "verify", str(unit_dir / "app@8001.service")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def the_binary_alone_in_an_empty_folder_serves_its_pages_and_signs_in_through_them(d):
    """One binary to deploy: the instances run a copy of the release binary alone in a folder of
    the temp dir (cluster.lone_copy), so the pages, the stylesheet and the mails come from inside
    it."""
    binary = lone_copy(d.workdir)
    assert [p.name for p in binary.parent.iterdir()] == [binary.name]
    assert (str(REPO) + "/templates").encode() not in binary.read_bytes(), \
        "the release binary names the source tree's templates/"
    email = new_email("pages")
    d.direct(d.a).register(email)
    browser = d.via_nginx()
    page = browser.get("/login")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html"), page
    assert "<h1>Sign in</h1>" in page.text, page.text[:500]
    css = browser.get("/static/app.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css"), css
    assert css.body == (REPO / "static" / "app.css").read_bytes()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    form = {"_csrf": csrf, "next": "/", "email": email, "password": "correct horse battery"}
    signed_in = browser.request("POST", "/login", form=form)
    assert signed_in.status == 303 and signed_in.headers["Location"] == "/", signed_in
    assert browser.cookie("refresh_token"), browser.cookies
    home = browser.get("/")
    assert home.status == 200 and email in home.text, home
    # Its verification mail was rendered from the embedded mail templates too.
    mails = list((d.workdir / "outbox").glob("*.eml"))
    assert any(email in m.read_text(errors="replace") for m in mails), mails


def liveness_and_readiness_answer_through_nginx_and_directly(d):
    for client in [d.via_nginx(), d.direct(d.a), d.direct(d.b)]:
        for path in ("/healthz", "/readyz"):
            answer = client.get(path)
            assert answer.status == 200, (path, answer)


CHECKS = [
    instances_started_together_on_an_empty_database_migrate_it_once,
    a_token_minted_by_one_instance_is_accepted_by_the_other,
    a_session_revoked_through_one_instance_is_refused_by_the_other_at_once,
    forty_concurrent_refreshes_of_one_session_over_both_instances_leave_one_live_chain,
    failed_sign_ins_spread_over_both_instances_meet_the_account_limit_at_n,
    the_devices_page_shows_the_real_clients_ip_not_nginxs,
    plain_http_is_sent_to_https_and_cookies_are_secure,
    the_systemd_unit_is_one_systemd_accepts,
    the_binary_alone_in_an_empty_folder_serves_its_pages_and_signs_in_through_them,
    liveness_and_readiness_answer_through_nginx_and_directly,
    *outage.CHECKS,
]


def main():
    only = sys.argv[1:]
    workdir = Path(tempfile.mkdtemp(prefix="deploy-"))
    failed = []
    d = Deployment(workdir)  # stops what it started if it cannot start it all
    try:
        for check in CHECKS:
            name = check.__name__
            if only and not any(o in name or o == check.__module__ for o in only):
                continue
            started = time.monotonic()
            try:
                check(d)
                print(f"ok    {name} ({time.monotonic() - started:.1f} s)", flush=True)
            except Exception:  # noqa: BLE001 - report every failure, go on with the next check
                failed.append(name)
                print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)
    finally:
        d.close()
    if failed:
        print(f"\n{len(failed)} deployment check(s) failed; logs kept in {workdir}")
        for instance in d.instances:
            print(f"--- {instance.name} (last lines)\n{instance.log_text()[-3000:]}")
        return 1
    print(f"\nall {len(CHECKS) if not only else 'selected'} deployment checks passed")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
