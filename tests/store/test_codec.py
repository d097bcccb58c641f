"""The stored bytes of an entity do not change with how the entity is declared in Python.

The rows below were written by openrfq 0.1.0 when the entities were slotted dataclasses; they are now msgspec
Structs. A database written before must load unchanged, and a row re-encoded must hold the same fields with the
same bytes, followed by the fields added since (group RFQs, asynchronous settlement) at their defaults.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from openrfq.domain.enums import QuoteState, Side
from openrfq.domain.events import QuoteChanged
from openrfq.engine.journal import Journal
from openrfq.store.codec import decode_quote, decode_rfq, decode_trade, encode

# Fields added since 0.1.0, each with its default (what an old row loads as and is re-encoded with).
ADDED_TO_TRADE = {"group_id": 0, "allocs": [], "settle_at": 0, "pending": False, "error_code": ""}
ADDED_TO_RFQ = {"group_id": 0, "acct_alloc": []}

TRADE = bytes.fromhex(
    "8dab626c6f636b5f74645f696401a67266715f696402a871756f74655f696403a574616b6572a154a56d616b6572a14d"
    "a6635f74696d6505a46c656773918ea7696e73745f6964a84254432d55534454a27078a3312e35a2737aa132a4736964"
    "65a3627579a874726164655f696407a974616b65725f666565a42d302e31ad74616b65725f6665655f636379a4555344"
    "54a96d616b65725f666565a42d302e32ad6d616b65725f6665655f636379a455534454af74726164655f71756f74655f"
    "636379a0a77467745f636379a0a76d61726b5f7078a133a66964785f7078c0a866696c6c5f766f6cc0a9636c5f726671"
    "5f6964a0ab636c5f71756f74655f6964a0a974616b65725f746167a0a96d616b65725f746167a0af74616b65725f616e"
    "6f6e796d6f7573c2af6d616b65725f616e6f6e796d6f7573c2"
)
QUOTE = bytes.fromhex(
    "8da871756f74655f696401a67266715f696402a56d616b6572a14daa71756f74655f73696465a473656c6ca46c656773"
    "9189a7696e73745f6964a84254432d55534454a2737aa131a27078a736303030302e35a473696465a3627579a774645f"
    "6d6f6465a0a3636379a0a8706f735f73696465a0a77467745f636379a0af74726164655f71756f74655f636379a0a663"
    "5f74696d6501ab76616c69645f756e74696c05ab636c5f71756f74655f6964a0a3746167a0a9616e6f6e796d6f7573c2"
    "a57374617465a6616374697665a6726561736f6ea0a6755f74696d6500"
)
RFQ = bytes.fromhex(
    "8da67266715f696401a574616b6572a154ae636f756e7465727061727469657391a14da46c6567739189a7696e73745f"
    "6964a84254432d55534454a2737aa131a473696465a3627579a774645f6d6f6465a0a3636379a0a8706f735f73696465"
    "a0a77467745f636379a0af74726164655f71756f74655f636379a0a66c6d745f7078a133a6635f74696d6501ab76616c"
    "69645f756e74696c05a9636c5f7266715f6964a0a3746167a0a9616e6f6e796d6f7573c2ad616c6c6f775f7061727469"
    "616cc2a57374617465a6616374697665a6755f74696d6500a677696e6e6572a0"
)


def test_rows_written_by_the_dataclass_entities_load_and_encode_the_same() -> None:
    trade, quote, rfq = decode_trade(TRADE), decode_quote(QUOTE), decode_rfq(RFQ)
    assert trade.legs[0].taker_fee == Decimal("-0.1") and trade.legs[0].mark_px == Decimal("3")
    assert quote.legs[0].px == Decimal("60000.5") and quote.state is QuoteState.ACTIVE
    assert rfq.legs[0].lmt_px == Decimal("3") and rfq.legs[0].side is Side.BUY
    assert encode(quote) == QUOTE
    for entity, old, added in ((trade, TRADE, ADDED_TO_TRADE), (rfq, RFQ, ADDED_TO_RFQ)):
        again = msgspec.msgpack.decode(encode(entity))
        assert list(again.items()) == [*msgspec.msgpack.decode(old).items(), *added.items()]
        assert old[1:] in encode(entity)  # the old fields' bytes as written (after the map header), in order


def test_an_events_quote_is_a_copy_that_later_changes_do_not_reach() -> None:
    quote = decode_quote(QUOTE)
    journal = Journal()
    journal.quote(quote)
    event = journal.take_events()[0]
    assert isinstance(event, QuoteChanged)
    snapshot = event.quote
    quote.state = QuoteState.CANCELED
    assert snapshot.state is QuoteState.ACTIVE and snapshot.legs is quote.legs
    assert snapshot == decode_quote(QUOTE)
