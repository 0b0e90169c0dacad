"""Sentences the assistant says from more than one place (the engine before Rasa, and the actions)."""

EMPTY_MESSAGE_REPLY = "Em chưa nhận được nội dung. Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần gì\"."

# An official command asked by someone whose role may not run it, and a command that does not exist: one answer for
# both, so it tells nothing (bot/people/roles.py). Telegram's unknown commands get it too.
REFUSAL = "Em chưa làm được việc này. Anh/chị gõ /help để xem em làm được gì ạ."

# What a citizen who sends an image or a file reads, on every channel alike (Telegram, Zalo, the web chat): the assistant
# does not read it and keeps nothing of it; a dossier code typed in words is what it can look up. A caption sent with it
# is answered as a message.
FILE_REPLY = ("Dạ, em chưa đọc được ảnh hay tệp đính kèm, và em không lưu lại tệp này. Muốn tra cứu hồ sơ, anh/chị gõ "
              "mã hồ sơ bằng chữ (in trên Giấy tiếp nhận hồ sơ, ví dụ 000.00.12.H49-261120-0045); câu hỏi khác anh/chị "
              "gõ bằng chữ giúp em nhé.")
# Stickers, voice notes, locations, contacts.
MEDIA_REPLY = ("Dạ, em hiện chỉ đọc được tin nhắn chữ, chưa nghe hay xem được nhãn dán, tin nhắn thoại hay vị trí. "
               "Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần giấy tờ gì\".")
