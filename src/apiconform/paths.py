"""Where the project's data lives: suites, schemas, cassettes, reports."""
from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding ``suites/`` and ``schemas/``.

    ``APICONFORM_ROOT`` wins; then the current directory or one of its parents; then the data a
    wheel carries (``apiconform/_data``, see setup.py); then the checkout this package was
    installed from (``pip install -e .``).
    """
    env = os.environ.get("APICONFORM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "suites").is_dir() and (candidate / "schemas").is_dir():
            return candidate
    bundled = Path(__file__).resolve().parent / "_data"
    return bundled if (bundled / "suites").is_dir() else Path(__file__).resolve().parents[2]


def user_cache_dir() -> Path:
    """This user's cache for apiconform (``$XDG_CACHE_HOME/apiconform``): rate stores, parsed files."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "apiconform"


def suites_dir() -> Path:
    return project_root() / "suites"


def schemas_dir(provider: str) -> Path:
    return project_root() / "schemas" / provider


def cassettes_dir(provider: str) -> Path:
    return project_root() / "cassettes" / provider


def contract_path(provider: str) -> Path:
    return suites_dir() / provider / "contract.toml"


def providers() -> list[str]:
    """Providers with a contract file, i.e. an implemented suite."""
    return sorted(p.parent.name for p in suites_dir().glob("*/contract.toml"))
