"""Rasa custom actions: they answer from the data layer, one file per skill."""
