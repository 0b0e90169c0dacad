"""Community digital-technology teams (tổ công nghệ số cộng đồng): the ward's areas and topics (areas.py), the guides
library (guides.py), broadcasts by team members through the outbox (broadcasts.py) and in-person help requests that
reach the team of the citizen's area (help.py). Domain code: no Rasa, no chat client."""
