"""Who may call and how often: OKX's request authentication (REST and WebSocket login alike), the failed-login
limit, and the per-endpoint rate limits."""
