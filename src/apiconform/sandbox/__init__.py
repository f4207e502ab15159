"""Bundled sandboxes: faithful local fakes of the providers apiconform has suites for.

Each provider lives in its own subpackage exposing `create_app`, `FAULTS` and `ENV_PREFIX`;
this module only maps provider names to those subpackages, so nothing outside a provider's
subpackage needs to know its specifics.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from apiconform.sandbox.faults import Fault

__all__ = ["PROVIDERS", "Fault", "UnknownProvider", "fault_catalogue", "load_provider"]

PROVIDERS: dict[str, str] = {
    "hive": "apiconform.sandbox.hive",
    "mite": "apiconform.sandbox.mite",
    "mitwirken": "apiconform.sandbox.mitwirken",
    "mstudio": "apiconform.sandbox.mstudio",
}


class UnknownProvider(KeyError):
    """Raised for a provider name that has no bundled sandbox."""

    def __init__(self, provider: str) -> None:
        super().__init__(provider)
        self.provider = provider

    def __str__(self) -> str:  # KeyError would print the repr of the key only
        known = ", ".join(sorted(PROVIDERS))
        return f"no sandbox for provider {self.provider!r}; known providers: {known}"


def load_provider(provider: str) -> ModuleType:
    """Import the provider's subpackage (create_app, FAULTS, ENV_PREFIX)."""
    try:
        module_path = PROVIDERS[provider]
    except KeyError:
        raise UnknownProvider(provider) from None
    return importlib.import_module(module_path)


def fault_catalogue(provider: str) -> list[Fault]:
    """Every fault the provider's sandbox can be started with, in a stable order."""
    return list(load_provider(provider).FAULTS)
