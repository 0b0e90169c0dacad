"""People: accounts across channels and their roles (``users``), what they follow (``subscriptions``), and what
they left for officials to review (``reviews``)."""
