"""The one writer: ``Venue`` (venue.py) runs the commands over the book (book.py: entities and indexes) and the
timer queue (timers.py), records what they changed (journal.py) and answers queries from the book (queries.py).
The rest of the code talks to ``Venue`` only."""

from __future__ import annotations

from openrfq.engine.journal import Changes
from openrfq.engine.venue import Venue

__all__ = ["Changes", "Venue"]
