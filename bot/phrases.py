"""Sentences the assistant says from more than one place (the engine before Rasa, and the actions)."""

EMPTY_MESSAGE_REPLY = "Em chưa nhận được nội dung. Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần gì\"."

# An official command asked by someone whose role may not run it, and a command that does not exist: one answer for
# both, so it tells nothing (bot/people/roles.py). Telegram's unknown commands get it too.
REFUSAL = "Em chưa làm được việc này. Anh/chị gõ /help để xem em làm được gì ạ."
