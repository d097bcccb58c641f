"""One HTTP request to the REST API as the API reads it, whoever parsed it: the ASGI app from its scope, or
openrfq's own HTTP protocol (openrfq.http1) straight from the parser."""

from __future__ import annotations

from collections.abc import Callable

Headers = dict[bytes, bytes]  # lower-case names; the last of a repeated header
# reply(status, body, content_type): the answer; DROP as the status closes the connection unanswered.
Reply = Callable[[int, bytes, bytes], None]
DROP = 0


class Request:
    __slots__ = ("body", "headers", "ip", "method", "path", "query", "raw_path")

    def __init__(
        self, method: str, path: str, raw_path: bytes, query: bytes, headers: Headers, body: bytes, ip: str
    ) -> None:
        self.method = method
        self.path = path  # percent-decoded
        self.raw_path = raw_path  # as sent (what a signature covers, with the query)
        self.query = query
        self.headers = headers
        self.body = body
        self.ip = ip  # the TCP peer's
