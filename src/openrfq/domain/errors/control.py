"""openrfq's control plane's refusals (/openrfq/v1; not OKX): 9xxxx codes with an HTTP 4xx."""

from __future__ import annotations

from openrfq.domain.errors.base import OkxError

# --- openrfq's control plane (/openrfq/v1; not OKX: docs/compatibility.md) --------------------------------------


class ControlError(OkxError):
    """A refusal of the control plane: codes 9xxxx, which OKX does not use, with an HTTP 4xx."""

    code, http_status, template = "90000", 400, "{problem}"


class AdminTokenRefused(ControlError):
    code, http_status, template = (
        "90001",
        401,
        "Missing or wrong admin token: send the header 'Authorization: Bearer <token>' with the venue's token.",
    )


class ControlNotFound(ControlError):
    code, http_status, template = "90002", 404, "Not Found: {path}"


class ControlBadRequest(ControlError):
    code, http_status, template = "90003", 400, "{problem}"


class ControlConflict(ControlError):
    code, http_status, template = "90004", 409, "{problem}"
