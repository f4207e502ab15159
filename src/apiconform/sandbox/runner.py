"""Starting and stopping a sandbox in a child process, from tests, the plugin or the CLI.

The child runs in its own session (process group), so stopping it never touches the caller,
and a sandbox started by one process can be stopped from another with `stop_pid`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_SRC_DIR = Path(__file__).resolve().parents[2]  # .../src, so the child imports this very copy


class SandboxError(RuntimeError):
    """The sandbox did not come up (its stderr tail is in the message)."""


@dataclass
class SandboxHandle:
    provider: str
    env: dict[str, str]
    pid: int
    process: subprocess.Popen[bytes]
    _workdir: Path | None = field(default=None, repr=False)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, wait, SIGKILL if it does not go; then remove its temp files."""
        if self.process.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the child leads its own session: pgid == pid
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:].strip()


def start_sandbox(provider: str, faults: Sequence[str] = (), port: int = 0, timeout: float = 30,
                  workdir: Path | None = None, rate_scale: float = 1.0, isolate_checks: bool = False,
                  reach_log: Path | None = None) -> SandboxHandle:
    """Spawn `python -m apiconform.sandbox`, wait for its ready file, return the handle.

    ``rate_scale`` runs the sandbox's rate limit on a clock that many times faster. ``isolate_checks`` and
    ``reach_log`` are the fault tests' options (:mod:`apiconform.sandbox.reach`).

    ``workdir`` (CA, ready file, logs) defaults to a fresh temp dir that ``stop()`` removes; a
    caller that passes its own (and stops the sandbox by pid) removes it itself.
    """
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=f"apiconform-{provider}-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "ready.json"
    stderr_path = workdir / "stderr.log"
    command = [sys.executable, "-m", "apiconform.sandbox", provider, "--port", str(port),
               "--ready-file", str(ready), "--state-dir", str(workdir / "state"), "--rate-scale", str(rate_scale)]
    for fault in faults:
        command += ["--fault", fault]
    command += ["--isolate-checks"] if isolate_checks else []
    command += ["--reach-log", str(reach_log)] if reach_log else []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SRC_DIR), env.get("PYTHONPATH", "")) if p)
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=stderr, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if ready.exists():
                payload = json.loads(ready.read_text(encoding="utf-8"))
                return SandboxHandle(provider=provider, env=dict(payload["env"]), pid=process.pid,
                                     process=process, _workdir=workdir if owned else None)
            code = process.poll()
            if code is not None:
                message = f"sandbox {provider!r} exited with code {code} before it was ready"
                tail = _tail(stderr_path)
                shutil.rmtree(workdir, ignore_errors=True)
                raise SandboxError(f"{message}\n--- stderr (tail) ---\n{tail}" if tail else message)
            if time.monotonic() > deadline:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
                tail = _tail(stderr_path)
                shutil.rmtree(workdir, ignore_errors=True)
                raise SandboxError(f"sandbox {provider!r} not ready after {timeout}s\n--- stderr (tail) ---\n{tail}")
            time.sleep(0.05)
    except KeyboardInterrupt:  # interrupted while starting: leave no sandbox behind
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone once reaped
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        return reaped == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int, timeout: float = 10) -> bool:
    """Stop a sandbox started elsewhere (pid from its ready file). False if it was not running."""
    if not _alive(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True
