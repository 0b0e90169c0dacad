"""The conversation: the engine channels call (``engine``), the Rasa runtime around it (``inprocess_actions``,
``tracker_store``, ``workers``) and its training (``training``)."""
