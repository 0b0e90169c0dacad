"""Rasa custom actions: thin, one file per skill; they answer from the services they are given.

:func:`build` makes every action with the deployment's services; the in-process executor registers them.
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Action

from bot.services import Services


def build(services: Services) -> List[Action]:
    """Every custom action of the assistant, each with ``services`` injected."""
    from actions import community, counters, dossier, handoff, legal, officials, officials_desk, petition, procedure_info, service
    from actions.context import ServiceAction

    modules = (community, counters, dossier, handoff, legal, officials, officials_desk, petition, procedure_info, service)
    found: List[Action] = []
    for module in modules:
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Action) and value.__module__ == module.__name__
                    and value.name is not Action.name):  # a base such as OfficialAction names no action
                found.append(value(services) if issubclass(value, ServiceAction) else value())
    return found
