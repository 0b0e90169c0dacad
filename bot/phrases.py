"""Sentences the assistant says from more than one place (the engine before Rasa, and the actions)."""

EMPTY_MESSAGE_REPLY = "Em chưa nhận được nội dung. Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần gì\"."
