"""The procedure catalogue: entries edited as YAML (``procedures``), stored (``repository``), rendered as answers
(``answers``, ``documents``)."""
