"""Throw-away TLS for a sandbox: a fresh trustme CA and a cert for 127.0.0.1 and localhost.

Clients trust the sandbox through ca.pem (MITE_CA_BUNDLE), never by turning verification off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path  # server certificate chain, for uvicorn's ssl_certfile
    key_path: Path  # its private key, for uvicorn's ssl_keyfile


def make_tls(directory: str | os.PathLike[str]) -> TlsFiles:
    """Write ca.pem, server-cert.pem and server-key.pem (0600) into `directory`."""
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="apiconform sandbox")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(folder / "ca.pem", folder / "server-cert.pem", folder / "server-key.pem")
    ca.cert_pem.write_to_path(str(files.ca_path))
    files.cert_path.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    fd = os.open(files.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(cert.private_key_pem.bytes())
    return files
