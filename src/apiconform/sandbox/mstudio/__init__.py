"""The mittwald mStudio v2 sandbox (https://api.mittwald.de/v2): the user, API tokens, SSH keys, projects."""

from __future__ import annotations

from apiconform.sandbox.mstudio.app import create_app
from apiconform.sandbox.mstudio.faults import FAULTS

ENV_PREFIX = "MSTUDIO"  # the server adds MSTUDIO_BASE_URL, MSTUDIO_HTTP_URL and MSTUDIO_CA_BUNDLE

__all__ = ["ENV_PREFIX", "FAULTS", "create_app"]
