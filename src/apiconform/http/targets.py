"""Resolving a provider's target: the bundled sandbox, a URL, or cassettes.

The sandbox is started once per run and shared by every xdist worker: the first worker that
needs it starts it under a file lock and leaves its address in the run directory; the
controller stops it when the session ends.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from apiconform.contract.model import Contract
from apiconform.http.client import Target
from apiconform.record.cassettes import REPLAY_BASE
from apiconform.record.scrub import REDACTED, HandedOut, Scrubber

RUN_DIR_ENV = "APICONFORM_RUN_DIR"
LOOK_ALIKE = "look-alike"  # the name a [scrub] look-alike is scrubbed as: REDACTED-look-alike


class TargetError(Exception):
    """The target cannot be used as asked (e.g. missing credentials); names the variable."""


def credentials_from(contract: Contract, env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    return {name: env[c.env] for name, c in contract.credentials.items() if env.get(c.env)}


def require_credentials(contract: Contract, creds: dict[str, str], url: str = "live") -> None:
    """Every required credential is set; one that only fills the ``live`` URL template (mite's account) is
    required only for ``live``, since a --target URL already says where the account is."""
    used = {n for a in contract.auth for n in (a.credential, a.username, a.password) if n}
    template_only = {n for n in contract.credentials if "{" + n + "}" in contract.base_url and n not in used}
    missing = [c.env for name, c in contract.credentials.items()
               if c.required and name not in creds and (url == "live" or name not in template_only)]
    if missing:
        raise TargetError(f"{contract.provider}: set {', '.join(missing)} to run against a live target "
                          f"(see README, 'Point it at a real account')")


def url_target(contract: Contract, url: str, ca_bundle: str | None) -> Target:
    """``url`` is a base URL, or ``live`` for the contract's template (``https://{account}.mite.de``)."""
    creds = credentials_from(contract, os.environ)
    require_credentials(contract, creds, url)
    if url == "live":
        url = contract.base_url.format(**creds)
    prefix = contract.env_prefix
    return Target(kind="url", base_url=url.rstrip("/"), credentials=creds,
                  ca_bundle=ca_bundle or os.environ.get(f"{prefix}_CA_BUNDLE"),
                  http_url=os.environ.get(f"{prefix}_HTTP_URL"))


def replay_target(contract: Contract) -> Target:
    # The query credential replays as REDACTED, the value recording leaves in query strings;
    # the others get distinct stand-ins so genuine and refused credentials stay apart.
    names = list(contract.credentials)
    return Target(kind="cassettes", base_url=REPLAY_BASE,
                  credentials={n: REDACTED if n == _query_credential(contract, names) else f"{REDACTED}-{n}"
                               for n in names},
                  http_url=REPLAY_BASE.replace("https://", "http://"))


def _query_credential(contract: Contract, names: list[str]) -> str:
    return next((a.credential for a in contract.auth if a.kind == "query"), names[0] if names else "")


@dataclass(frozen=True)
class SandboxReach:
    """The fault tests' sandbox options (:mod:`apiconform.sandbox.reach`): restore the seeded data per check,
    and/or log which fault gates each check consults. Either makes the client name each request's check."""

    isolate_checks: bool = False
    log: Path | None = None


def sandbox_target(contract: Contract, faults: tuple[str, ...], rate_scale: float = 1.0,
                   reach: SandboxReach | None = None) -> Target:
    env = shared_sandbox_env(contract.provider, faults, rate_scale, reach)
    prefix = contract.env_prefix
    return Target(kind="sandbox", base_url=env[f"{prefix}_BASE_URL"], credentials=credentials_from(contract, env),
                  ca_bundle=env.get(f"{prefix}_CA_BUNDLE"), http_url=env.get(f"{prefix}_HTTP_URL"), faults=faults,
                  names_checks=bool(reach and (reach.isolate_checks or reach.log)))


def shared_sandbox_env(provider: str, faults: tuple[str, ...], rate_scale: float = 1.0,
                       reach: SandboxReach | None = None) -> dict[str, str]:
    from apiconform.sandbox.runner import start_sandbox

    run_dir = Path(os.environ.get(RUN_DIR_ENV) or ".")
    state = run_dir / f"sandbox-{provider}.json"
    with FileLock(str(state) + ".lock"):
        if state.exists():
            return json.loads(state.read_text())["env"]
        reach = reach or SandboxReach()
        handle = start_sandbox(provider, faults, workdir=run_dir / f"sandbox-{provider}", rate_scale=rate_scale,
                               isolate_checks=reach.isolate_checks, reach_log=reach.log)
        state.write_text(json.dumps({"pid": handle.pid, "env": handle.env}))
        return handle.env


def stop_shared_sandboxes(run_dir: Path) -> None:
    """Stop the run's sandboxes and remove the run directory with their CA and state."""
    from apiconform.sandbox.runner import stop_pid

    for state in run_dir.glob("sandbox-*.json"):
        stop_pid(json.loads(state.read_text())["pid"])
    shutil.rmtree(run_dir, ignore_errors=True)


def scrubber_for(contract: Contract, target: Target) -> Scrubber:
    secret = {name for name, c in contract.credentials.items() if c.secret}
    secrets = {name: value for name, value in target.credentials.items()
               if name in secret and not value.startswith(REDACTED)}
    pairs = [(target.credentials.get(a.username, ""), target.credentials.get(a.password, ""))
             for a in contract.auth if a.kind == "basic"]
    scrubber = Scrubber(secrets, headers=[a.header for a in contract.auth if a.header],
                        params=[a.param for a in contract.auth if a.param], pairs=pairs,
                        shapes={c.shape for c in contract.credentials.values() if c.secret and c.shape},
                        handed_out=[HandedOut(s["name"], s["method"].upper(), s["path"], s["field"])
                                    for s in contract.raw.get("secrets", [])])
    # [scrub] look_alikes: what the provider's answers carry that secret scanners take for a credential
    # (a cassette must pass a repository's secret scanning to be committed); scrubbed like a secret.
    for value in contract.raw.get("scrub", {}).get("look_alikes", []):
        scrubber.learn(LOOK_ALIKE, value)
    return scrubber
