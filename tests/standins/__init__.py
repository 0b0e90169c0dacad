"""Stand-in HTTP servers for the external services (Telegram, Zalo, the province platform) that tests start on 127.0.0.1."""
