"""An instrument as the venue's rules need it: type, family, tick/lot/min sizes, contract terms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openrfq.domain.enums import InstType


@dataclass(frozen=True, slots=True)
class Instrument:
    inst_type: InstType
    inst_id: str
    tick_sz: Decimal
    lot_sz: Decimal
    min_sz: Decimal
    inst_family: str = ""  # FUTURES/SWAP/OPTION: e.g. "BTC-USD"; "" for SPOT
    base_ccy: str = ""  # SPOT only
    quote_ccy: str = ""  # SPOT only
    settle_ccy: str = ""  # derivatives only
    ct_val: Decimal | None = None  # derivatives only
    ct_mult: Decimal | None = None
    ct_val_ccy: str = ""
    ct_type: str = ""  # "linear" / "inverse": FUTURES/SWAP only
    opt_type: str = ""  # "C" / "P": OPTION only
    stk: Decimal | None = None  # OPTION only
    list_time: int = 0  # ms
    exp_time: int | None = None  # ms; FUTURES/OPTION delivery, None otherwise
    lever: str = ""
    alias: str = ""
    state: str = "live"

    @property
    def is_option(self) -> bool:
        return self.inst_type is InstType.OPTION

    @property
    def default_td_mode(self) -> str:
        # OKX: SPOT trades in cash mode by default, derivatives in cross margin.
        return "cash" if self.inst_type is InstType.SPOT else "cross"
