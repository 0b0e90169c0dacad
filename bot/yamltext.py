"""YAML files read with libyaml's C parser when PyYAML has it (about ten times faster on the catalogue, the legal
register and its articles), else PyYAML's own; the same safe subset either way."""

from __future__ import annotations

import re
from typing import IO, Any, Optional, Union

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: Union[str, bytes, IO]) -> Any:
    """``yaml.safe_load``, faster."""
    return yaml.load(stream, Loader=SafeLoader)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def line_of(text: str, field: str) -> Optional[int]:
    """The 1-based line of ``field`` (``"fees[0].amount"``, ``"documents[2]"``, ``"name"``) in the YAML ``text``: the
    line of its value, or of the deepest part of the path the file has (a missing field: its parent); None when the
    text is not YAML or the path names nothing in it."""
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line: Optional[int] = None
    for name, index in _STEP.findall(field or ""):
        found = None
        if name and isinstance(node, yaml.MappingNode):
            found = next((value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == name), None)
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            found = node.value[int(index)]
        if found is None:
            break
        node, line = found, found.start_mark.line + 1
    return line
