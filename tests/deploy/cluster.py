"""A deployment on loopback: a throwaway PostgreSQL server, release instances of the app (the
binary alone in an empty folder) started with deploy/app.env and deploy/app@.service, and nginx
with deploy/nginx-site.conf in front.

Used by tests/deploy/suite.py and by bench/harness.py. Needs the binaries that tests/deploy/run.sh
installs (PostgreSQL, nginx, openssl) and the release build it makes.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
IS_ROOT = os.geteuid() == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def package_name():
    text = (REPO / "Cargo.toml").read_text()
    return re.search(r'^name = "([^"]+)"$', text, re.M).group(1)


def release_binary(engine="postgres"):
    """The release build for `engine` in cargo's target directory: `<package>-postgres`, copied
    there by tests/deploy/run.sh and bench/run.sh after a PostgreSQL build; `<package>` for
    SQLite."""
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    suffix = "-postgres" if engine == "postgres" else ""
    binary = Path(target) / "release" / (package_name() + suffix)
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: tests/deploy/run.sh builds it")
    return binary


def lone_copy(workdir):
    """The release binary copied alone into an empty folder of `workdir`, the way deploy/ installs
    it: templates, static files and migrations are inside it, so nothing of the source tree is
    beside it (and the instances run in `workdir`, not in the repository)."""
    folder = Path(workdir) / "bin"
    copy = folder / package_name()
    if not copy.exists():
        folder.mkdir(exist_ok=True)
        shutil.copy2(release_binary(), copy)
    return copy


def wait_for(what, ready, seconds=30, proc=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode} before it was up")
        if ready():
            return
        time.sleep(0.05)
    raise SystemExit(f"{what} not up within {seconds} s")


def answers_200(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


# ---------------------------------------------------------------- PostgreSQL


def pg_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise SystemExit("PostgreSQL is not installed: tests/deploy/run.sh installs it")
    return found[-1]


class Postgres:
    """A server of its own in a temp directory, on a free port, trusting local connections.
    `settings` are server settings (`-c name=value`); the tests turn fsync off."""

    def __init__(self, workdir, settings=None):
        self.settings = {"max_connections": "200", **(settings or {})}
        self.dir = Path(workdir) / "pg"
        self.dir.mkdir()
        self.port = free_port()
        self.bin = pg_bin()
        if IS_ROOT:  # initdb refuses to run as root: the server runs as user postgres
            os.chmod(workdir, 0o755)
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust")

    def _run(self, tool, *args):
        cmd = [str(self.bin / tool), *args]
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 " + " ".join(
            f"-c {name}={value}" for name, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "start", "-o", options)

    def stop(self, mode="fast"):
        """fast: what `systemctl stop postgresql` does (sessions are terminated)."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def pid(self):
        """The postmaster's process id (its children are the server's other processes)."""
        return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])

    def is_ready(self):
        cmd = [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(cmd).returncode == 0

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement, database="app"):
        """Runs one statement with psql; the rows as lists of strings."""
        out = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-d", self.url(database), "-c", statement],
            check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines()]

    def close(self):
        if (self.dir / "data" / "postmaster.pid").exists():
            self.stop("immediate")


# ---------------------------------------------------------------- the app


def read_env_file(path):
    """KEY=VALUE lines as systemd's EnvironmentFile (and a shell) read them."""
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def unit_environment(port):
    """The Environment= lines of deploy/app@.service, for the instance named by its port."""
    env = {}
    for line in (DEPLOY / "app@.service").read_text().splitlines():
        if line.startswith("Environment="):
            key, value = line[len("Environment="):].split("=", 1)
            env[key] = value.replace("%i", str(port))
    return env


def deploy_environment(port, overrides):
    """What the systemd unit gives instance `port`: the env file, the unit's own lines, then the
    test's overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKET_")}
    env.update(read_env_file(DEPLOY / "app.env"))
    env.update(unit_environment(port))
    env.update(overrides)
    return env


class Instance:
    """One release instance of the app, started as the systemd unit would start it."""

    def __init__(self, workdir, name, overrides):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = deploy_environment(self.port, overrides)
        self.log_path = Path(workdir) / f"{name}.log"
        self.proc = None

    def start(self):
        """Starts the process without waiting for it (instances may start at the same moment)."""
        self.log = open(self.log_path, "w")
        # The working directory is the temp dir: anything relative the app writes lands there.
        binary = lone_copy(self.log_path.parent)
        self.proc = subprocess.Popen([str(binary)], cwd=self.log_path.parent,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_up(self):
        wait_for(self.name, lambda: answers_200(self.base + "/healthz"), proc=self.proc)

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()


# ---------------------------------------------------------------- nginx


class Nginx:
    """nginx with deploy/nginx-site.conf, its ports and certificate moved into the temp dir."""

    def __init__(self, workdir, instances):
        self.dir = Path(workdir) / "nginx"
        self.dir.mkdir()
        self.https_port, self.http_port = free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=auth.example.com", "-keyout", str(key), "-out", str(self.cert),
             "-addext", "subjectAltName=DNS:auth.example.com,IP:127.0.0.1"],
            check=True, capture_output=True)
        site = (DEPLOY / "nginx-site.conf").read_text()
        ports = [8001, 8002]
        if len(instances) > len(ports):
            raise ValueError("the site config lists two instances")
        for i, port in enumerate(ports):
            line = f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n"
            assert line in site, f"deploy/nginx-site.conf has no line {line!r}"
            site = site.replace(line, line.replace(str(port), str(instances[i].port))
                                if i < len(instances) else "")
        for old, new in [
            ("listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl"),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("/etc/letsencrypt/live/auth.example.com/fullchain.pem", str(self.cert)),
            ("/etc/letsencrypt/live/auth.example.com/privkey.pem", str(key)),
            ("/var/log/nginx/rocket-auth-template.access.log", str(self.dir / "access.log")),
        ]:
            assert old in site, f"deploy/nginx-site.conf has no {old!r}"
            site = site.replace(old, new)
        (self.dir / "site.conf").write_text(site)
        # What Debian's /etc/nginx/nginx.conf gives a site, with paths in the temp dir.
        user = "user www-data;\n" if IS_ROOT else ""
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes auto;\npid {self.dir}/nginx.pid;\n"
            f"error_log {self.dir}/error.log;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n  access_log {self.dir}/access.log;\n"
            f"  client_body_temp_path {self.dir}/body;\n  proxy_temp_path {self.dir}/proxy;\n"
            "  ssl_session_cache shared:SSL:1m;\n"
            f"  include {self.dir}/site.conf;\n}}\n")
        self.proc = None

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # not on a user's PATH
        self.proc = subprocess.Popen(
            [nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for("nginx", up, proc=self.proc)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
