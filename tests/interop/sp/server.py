"""Runs `sesame serve` on a free loopback port with a temporary data dir, and the CLI
against the same data dir."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SesameServer:
    def __init__(self, binary, data_dir, admin_password: str):
        self.binary = str(binary)
        self.data_dir = str(data_dir)
        self.port = free_port()
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.data_dir, "serve.log")
        self.env = {
            **os.environ,
            "SESAME_ADMIN_PASSWORD": admin_password,
            "RUST_BACKTRACE": "1",
        }
        # the CLI and the server must not pick up a developer's own configuration
        for k in ("SESAME_DATA_DIR", "SESAME_DATABASE_URL", "SESAME_LISTEN", "SESAME_PUBLIC_URL"):
            self.env.pop(k, None)
        self.proc: subprocess.Popen | None = None
        self._log = None

    def log_tail(self, n: int = 60) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def start(self, timeout: float = 60) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                self.binary, "serve",
                "--listen", f"127.0.0.1:{self.port}",
                "--public-url", self.public_url,
                "--data-dir", self.data_dir,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"sesame serve exited {self.proc.returncode} at start:\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.public_url + "/healthz", timeout=2)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"/healthz not ready in {timeout}s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def cli(self, *args, stdin: str = "") -> str:
        """Runs `sesame ARGS --data-dir DIR`; returns stdout, failing loudly otherwise."""
        cmd = [self.binary, *map(str, args), "--data-dir", self.data_dir]
        p = subprocess.run(
            cmd, input=stdin.encode(), capture_output=True, timeout=120, env=self.env, check=False
        )
        if p.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace')}"
            )
        return p.stdout.decode()

    def cli_json(self, *args):
        out = self.cli(*args, "--json")
        try:
            return json.loads(out)
        except ValueError as e:
            raise AssertionError(f"sesame {' '.join(args)} --json printed no JSON: {out!r}") from e
