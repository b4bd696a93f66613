"""The HTTPS client for firewall APIs: GET only, TLS verified, every failure one clear reason without secrets.

TLS is verified against the system CAs by default. ``ca_file`` trusts a private CA instead; a pinned
SHA-256 fingerprint trusts exactly one certificate (the self-signed one most firewalls ship with) and
nothing else. A token or key that is wrong, a token without rights, an untrusted certificate, a body
that is too big: each becomes :class:`ApiError` with a ``reason`` code and a sentence, so the finding is
``unknown`` with why, never a crash and never a guess.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from contract.errors import CollectionError, Reason

log = logging.getLogger("schoolnet.firewall.api")

MAX_BODY_BYTES = 64 * 1024 * 1024


class ApiError(CollectionError):
    """An API read failed; ``reason`` (contract Reason) says why for machines, the message for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, reason=reason)


class ApiClient:
    """One firewall's API over HTTPS. Only :meth:`get` exists: nothing here can change the device."""

    def __init__(self, host: str, port: int, *, headers: dict[str, str] | None = None,
                 auth: tuple[str, str] | None = None, ca_file: str | None = None,
                 fingerprint_sha256: str | None = None, timeout_s: float = 30.0) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.base = f"https://{host}:{port}" if ":" not in host else f"https://[{host}]:{port}"
        self.where = f"{host}:{port}"
        self.timeout_s = timeout_s
        self.pinned = fingerprint_sha256
        session = requests.Session()
        session.trust_env = False  # never send a firewall's token through a proxy from the environment
        session.headers.update({"Accept": "application/json", "User-Agent": "schoolnet-audit"})
        session.headers.update(headers or {})
        if auth is not None:
            session.auth = auth
        if fingerprint_sha256:
            # The pin replaces CA verification: urllib3 checks the certificate's digest before any byte is sent.
            class Pinned(HTTPAdapter):
                def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                    kwargs["assert_fingerprint"] = fingerprint_sha256
                    super().init_poolmanager(*args, **kwargs)

            session.mount("https://", Pinned())
            session.verify = False
        else:
            session.verify = ca_file or True
        self.session = session

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, *, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """(body, content type) of GET ``path``; ApiError with the reason otherwise."""
        import warnings

        import requests
        import urllib3

        url = self.base + path
        try:
            with warnings.catch_warnings():
                # With a pinned certificate the pin is the verification: urllib3's 'unverified' warning is noise.
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                response = self.session.get(url, params=params, timeout=self.timeout_s, stream=True,
                                            allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            text = str(exc)
            if self.pinned and "ingerprint" in text:
                raise ApiError(Reason.tls_untrusted,
                    f"{self.where}: the certificate is not the pinned one (fingerprint differs): "
                    "refusing to send credentials") from None
            raise ApiError(Reason.tls_untrusted,
                f"{self.where}: the certificate is not trusted ({_tls_reason(text)}): set tls.ca_file"
                " to the CA that signed it, or pin it with tls.fingerprint_sha256") from None
        except requests.exceptions.ConnectionError:
            raise ApiError(Reason.unreachable, f"{self.where}: no HTTPS answer (refused or unreachable)") from None
        except requests.exceptions.Timeout:
            raise ApiError(Reason.unreachable, f"{self.where}: no answer within {self.timeout_s:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise ApiError(Reason.unreachable, f"{self.where}: the request failed ({type(exc).__name__})") from None
        with response:
            status = response.status_code
            if status == 401:
                raise ApiError(Reason.auth_failed,
                    f"{self.where}: the API refused the credentials (HTTP 401): wrong token or key")
            if status == 403:
                raise ApiError(Reason.not_permitted, f"{self.where}: the API account may not read {path.split('?')[0]} "
                                            "(HTTP 403): give it read access")
            if status >= 300:
                raise ApiError(Reason.server_error, f"{self.where}: GET {path.split('?')[0]} answered HTTP {status}")
            body = bytearray()
            for chunk in response.iter_content(65536):
                body.extend(chunk)
                if len(body) > MAX_BODY_BYTES:
                    raise ApiError(Reason.protocol_error, f"{self.where}: GET {path.split('?')[0]} sent more than "
                                           f"{MAX_BODY_BYTES // (1024 * 1024)} MiB")
            return bytes(body), response.headers.get("Content-Type", "")

    def get_json(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        body, _ = self.get(path, params=params)
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(Reason.protocol_error,
                f"{self.where}: GET {path.split('?')[0]} did not return JSON") from None


def _tls_reason(text: str) -> str:
    for marker, reason in (("self-signed", "self-signed"), ("self signed", "self-signed"),
                           ("unable to get local issuer", "unknown issuer"), ("expired", "expired"),
                           ("Hostname mismatch", "name mismatch"), ("doesn't match", "name mismatch")):
        if marker in text:
            return reason
    return "verification failed"
