"""The local CA behind ``openrfq serve --tls``: a certificate clients verify, made once, renewed before expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from openrfq.cli import app
from openrfq.tls import VALID_DAYS, local_certificate


async def _handshake(files_dir: Path, server_hostname: str) -> str:
    files = local_certificate(files_dir)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert, files.key)
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        client_ctx = ssl.create_default_context(cafile=files.ca)  # what SSL_CERT_FILE gives a client
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx, server_hostname=server_hostname)
        version = str(writer.get_extra_info("ssl_object").version())
        writer.close()
        return version
    finally:
        server.close()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
async def test_a_client_trusting_the_ca_verifies_the_server(tmp_path: Path, name: str) -> None:
    assert (await _handshake(tmp_path, name)).startswith("TLS")


async def test_a_client_refuses_a_name_the_certificate_does_not_cover(tmp_path: Path) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _handshake(tmp_path, "example.com")


def test_the_certificate_covers_both_loopbacks_and_keeps_its_key_private(tmp_path: Path) -> None:
    files = local_certificate(tmp_path)
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem", "server.key", "server.pem"]  # no CA key


def test_made_once_then_reused(tmp_path: Path) -> None:
    first = local_certificate(tmp_path)
    ca = first.ca.read_bytes()
    local_certificate(tmp_path)

    assert first.ca.read_bytes() == ca


def test_renewed_before_it_expires_and_when_a_file_is_missing(tmp_path: Path) -> None:
    files = local_certificate(tmp_path)
    ca = files.ca.read_bytes()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=VALID_DAYS - 0.5)
    local_certificate(tmp_path, now=later)
    renewed = files.ca.read_bytes()
    assert renewed != ca

    files.key.unlink()
    local_certificate(tmp_path)
    assert files.ca.read_bytes() != renewed and files.key.exists()


def test_serve_wants_cert_and_key_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--tls-cert", str(tmp_path / "c.pem")])

    assert result.exit_code == 2
    assert "--tls-cert and --tls-key go together" in result.output


def test_serve_names_a_missing_certificate_file(tmp_path: Path) -> None:
    args = [
        "serve",
        "--data-dir",
        str(tmp_path),
        "--tls-cert",
        str(tmp_path / "c.pem"),
        "--tls-key",
        str(tmp_path / "k"),
    ]
    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2
    assert "c.pem: no such file" in result.output
