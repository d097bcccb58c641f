"""Entity <-> bytes for the store (msgpack via msgspec: compact, fast, Decimal kept exact as strings)."""

from __future__ import annotations

import msgspec

from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq

_encoder = msgspec.msgpack.Encoder(decimal_format="string")
encode = _encoder.encode
decode_rfq = msgspec.msgpack.Decoder(Rfq).decode
decode_quote = msgspec.msgpack.Decoder(Quote).decode
decode_trade = msgspec.msgpack.Decoder(BlockTrade).decode
decode_maker = msgspec.msgpack.Decoder(Maker).decode
