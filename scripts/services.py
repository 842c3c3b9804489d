"""Throwaway PostgreSQL and Redis servers on 127.0.0.1, for ``make test`` and
``make stack``. Standard library only (runs before the virtualenv has anything).

PostgreSQL refuses to run as root; as root the servers run as the ``postgres`` system
user on a data directory it owns (design.md §5).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class ServiceError(RuntimeError):
    """A server could not be found or started; the message says what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(package: str) -> None:
    """Install a Debian package when we are root; otherwise say what is missing."""
    if not is_root() or shutil.which("apt-get") is None:
        raise ServiceError(
            f"{package} is not installed and cannot be installed automatically "
            f"(needs root and apt-get). Install it: sudo apt-get install {package}"
        )
    print(f"[services] installing {package} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        raise ServiceError(f"apt-get install {package} failed:\n{result.stderr[-2000:]}")


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"{what} exited with code {proc.returncode} before it listened on {port}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bindir() -> Path:
    """initdb/pg_ctl from PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name.split(".")[0])
    )
    if candidates:
        return Path(candidates[-1])
    apt_install("postgresql")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not candidates:
        raise ServiceError("PostgreSQL was installed but no /usr/lib/postgresql/*/bin was found")
    return Path(candidates[-1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if is_root():
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _owned_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if is_root():
        shutil.chown(path, user="postgres", group="postgres")
        path.chmod(0o700)
    return path


@dataclass
class Postgres:
    datadir: Path
    port: int = 0
    user: str = "caseflow"
    database: str = "caseflow"
    bindir: Path = field(default_factory=postgres_bindir)
    started: bool = False

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(_as_postgres(cmd), capture_output=True, text=True, **kwargs)

    def start(self, *, fast: bool = True) -> Postgres:
        if is_root() and not shutil.which("runuser"):
            raise ServiceError("running as root needs runuser to start PostgreSQL as the postgres user")
        self.port = self.port or free_port()
        if is_root():
            # postgres must be able to reach its data directory through every parent.
            self.datadir.parent.mkdir(parents=True, exist_ok=True)
            probe = self._run(["test", "-x", str(self.datadir.parent)])
            if probe.returncode != 0:
                raise ServiceError(f"the postgres user cannot reach {self.datadir}; check the permissions")
        fresh = not (self.datadir / "PG_VERSION").exists()
        if fresh:
            _owned_dir(self.datadir)
            res = self._run(
                [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user, "-A", "trust",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            )
            if res.returncode != 0:
                raise ServiceError(f"initdb failed:\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}")
        sockdir = _owned_dir(self.datadir.parent / "sock")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {sockdir} -c max_connections=200"
        if fast:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        logfile = self.datadir.parent / "postgres.log"
        if is_root() and not logfile.exists():
            logfile.touch()
            shutil.chown(logfile, user="postgres", group="postgres")
        res = self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", str(logfile),
             "-w", "-t", "60", "start"]
        )
        if res.returncode != 0:
            log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise ServiceError(f"pg_ctl start failed:\n{res.stdout}\n{res.stderr}\n{log}")
        self.started = True
        if fresh:
            res = self._run(
                [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                 self.database]
            )
            if res.returncode != 0 and "already exists" not in res.stderr:
                raise ServiceError(f"createdb failed: {res.stderr}")
        return self

    def stop(self) -> None:
        if not self.started:
            return
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        self.started = False


def ensure_tool(binary: str, package: str) -> str:
    """A command-line tool from a Debian package, installed when missing (as root)."""
    found = shutil.which(binary)
    if found:
        return found
    apt_install(package)
    found = shutil.which(binary)
    if not found:
        raise ServiceError(f"{package} was installed but {binary} is not on PATH")
    return found


# --------------------------------------------------------------------------- Redis


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    apt_install("redis-server")
    found = shutil.which("redis-server")
    if not found:
        raise ServiceError("redis-server was installed but is not on PATH")
    return found


@dataclass
class Redis:
    datadir: Path
    port: int = 0
    persistent: bool = False
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        binary = redis_server_binary()
        self.port = self.port or free_port()
        self.datadir.mkdir(parents=True, exist_ok=True)
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.datadir),
                "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"]
        if self.persistent:
            args += ["--appendonly", "yes"]
        else:
            args += ["--save", "", "--appendonly", "no"]
        args += ["--pidfile", str(self.datadir / "redis.pid")]
        log = open(self.datadir / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, 20, self.proc, "redis-server")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


if __name__ == "__main__":  # manual check: python scripts/services.py
    pg = Postgres(VAR / "check-pg" / "data")
    rd = Redis(VAR / "check-redis")
    try:
        print(pg.start().url, rd.start().url)
    finally:
        rd.stop()
        pg.stop()
        shutil.rmtree(VAR / "check-pg", ignore_errors=True)
        shutil.rmtree(VAR / "check-redis", ignore_errors=True)
    sys.exit(0)
