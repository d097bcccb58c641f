"""Testing against openrfq: a venue per test session, reset before each test, with time and faults at hand.

Installing openrfq registers the pytest plugin ``openrfq.testing.plugin`` (fixtures ``openrfq`` and
``openrfq_venue``); ``ServerVenue`` is the same venue outside pytest. README.md, "Testing your bot", has an example.
"""

from __future__ import annotations

from openrfq.testing.server import Account, ServerVenue

__all__ = ["Account", "ServerVenue"]
