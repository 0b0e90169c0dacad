"""Dossiers (hồ sơ): the records and their rules (``records``) and how they are shown (``presentation``); how they
arrive is bot/intake."""
