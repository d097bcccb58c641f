"""A local certificate authority for ``openrfq serve --tls``.

python-okx's WebSocket classes only connect to ``wss://`` and verify the certificate, so a local venue
needs a certificate that a client can be told to trust. We make, once per data directory, a CA and a
server certificate for 127.0.0.1, ::1 and localhost. The CA's private key is never written to disk: it
signs this one server certificate and is then forgotten, so trusting ``ca.pem`` trusts nothing else.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server.key"
HOSTS = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
# Long enough for a development venue, short enough for clients that cap server certificates at 825 days.
VALID_DAYS = 800


@dataclass(frozen=True)
class LocalTls:
    ca: Path
    cert: Path
    key: Path


def local_certificate(directory: Path, now: dt.datetime | None = None) -> LocalTls:
    """The CA and server pair in ``directory``, made if missing or expiring within a day."""
    files = LocalTls(directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)
    now = now or dt.datetime.now(dt.UTC)
    if all(p.exists() for p in (files.ca, files.cert, files.key)) and _valid_for_a_day(files.cert, now):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem, cert_pem, key_pem = _generate(now)
    # The CA goes first and comes back last: a crash part-way leaves no ca.pem, so the next start makes a
    # fresh, matching set.
    files.ca.unlink(missing_ok=True)
    _write(files.key, key_pem, private=True)
    _write(files.cert, cert_pem)
    _write(files.ca, ca_pem)
    return files


def _valid_for_a_day(cert_path: Path, now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    return cert.not_valid_after_utc - dt.timedelta(days=1) > now


def _generate(now: dt.datetime) -> tuple[bytes, bytes, bytes]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"openrfq local CA {now:%Y-%m-%d %H:%M:%S}")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in HOSTS]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
