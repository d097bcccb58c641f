"""The journal keeps what commands changed until it is taken: the ids of the rows for the store, and one event
per change with the entity as it was then."""

from __future__ import annotations

from decimal import Decimal

from openrfq.domain.enums import QuoteState, Side
from openrfq.domain.events import QuoteChanged
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.domain.models import Quote, QuoteLeg
from openrfq.engine.journal import Journal
from samples import START_MS


def _quote() -> Quote:
    leg = QuoteLeg("BTC-USDT", Decimal("1"), Decimal("50000"), Side.BUY)
    return Quote(QuoteId(1), RfqId(1), "M1", Side.SELL, (leg,), START_MS, START_MS + 60_000)


def test_journal_records_each_change_of_an_entity_once_for_the_store_and_as_an_event_each_time() -> None:
    journal = Journal()
    quote = _quote()

    journal.quote(quote)
    quote.state = QuoteState.CANCELED
    journal.quote(quote)
    journal.maker("M1")

    assert journal.changes.quotes == {1} and journal.changes.makers == {"M1"}
    events = journal.take_events()
    assert [e.quote.state for e in events if isinstance(e, QuoteChanged)] == [QuoteState.ACTIVE, QuoteState.CANCELED]


def test_journal_taken_starts_empty() -> None:
    journal = Journal()
    journal.quote(_quote())

    taken = journal.take_changes()

    assert taken.quotes == {1}
    assert not journal.changes
    assert len(journal.take_events()) == 1 and journal.take_events() == []
