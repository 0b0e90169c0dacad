"""Channels: each one translates its platform's messages and buttons to and from the conversation engine
(:class:`bot.conversation.engine.Assistant`), and sends the outbox's notices (``senders``).

A channel holds no business rules; it only carries a user id and a text in, and the replies (text and buttons) out.
"""
