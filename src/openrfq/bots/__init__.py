"""Built-in clients of the venue: the liquidity-provider bot (``openrfq.bots.lp``)."""
