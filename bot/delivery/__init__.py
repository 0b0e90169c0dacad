"""Delivery: what a message is (``reply``), the outbox every notice is written to first (``outbox``), the sender that
drains it (``sender``), and what a channel promises the sender (``errors``, ``text``)."""
