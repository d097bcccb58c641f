"""The base of every error the venue answers: an OKX code, an HTTP status, a message template."""

from __future__ import annotations

from typing import ClassVar


class OkxError(Exception):
    code: ClassVar[str] = "50001"
    http_status: ClassVar[int] = 503
    template: ClassVar[str] = "Service temporarily unavailable. Please try again later."

    def __init__(self, **params: object) -> None:
        self.params = params
        self.msg = self.template.format(**params) if params else self.template
        super().__init__(f"{self.code}: {self.msg}")
