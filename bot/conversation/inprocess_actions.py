"""Runs Rasa custom actions inside the assistant's process instead of over HTTP.

Rasa 3.6 calls custom actions through an ``EndpointConfig``; this endpoint hands the same JSON
to rasa-sdk's ``ActionExecutor`` directly, so ``motcua ask`` and the channels need no separate
action server (a deployment that wants one can still set ``action_endpoint``).
"""

from __future__ import annotations

import json
from typing import Any, Optional, Text

from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection

import actions
from bot.services import Services


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint that executes the ``actions`` package in this process, each action built with ``services``."""

    def __init__(self, services: Services) -> None:
        super().__init__(url="inprocess://actions")
        self.executor = ActionExecutor()
        for action in actions.build(services):
            self.executor.register_action(action)

    async def request(
        self,
        method: Text = "post",
        subpath: Optional[Text] = None,
        content_type: Optional[Text] = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Optional[Any]:
        """Run the action named in ``kwargs["json"]`` and return the action server's response."""
        try:
            return await self.executor.run(kwargs["json"])
        except ActionExecutionRejection as rejection:
            body = json.dumps({"action_name": rejection.action_name, "error": rejection.message})
            raise ClientResponseError(400, "Action rejected", body) from rejection


def validate_action_results_with_a_compiled_schema() -> None:
    """Make Rasa check action results against a schema compiled once, not re-checked every call.

    ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which first validates
    the (constant) schema itself: about 35 ms of every 65 ms reply on this machine (cProfile,
    BENCHMARKS.md). The results are still validated, with the same schema and the same error.
    """
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction, "_motcua_compiled", False):
        return
    compiled = {}

    def _validate_action_result(self, result):
        schema = self.action_response_format_spec()
        key = id(type(self))
        if key not in compiled:
            compiled[key] = validator_for(schema)(schema)
        try:
            compiled[key].validate(result)
            return True
        except ValidationError as error:
            error.message += ". Failed to validate the in-process action's response."
            raise

    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._motcua_compiled = True
