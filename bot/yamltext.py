"""YAML files read with libyaml's C parser when PyYAML has it (about ten times faster on the catalogue, the legal
register and its articles), else PyYAML's own; the same safe subset either way."""

from __future__ import annotations

from typing import IO, Any, Union

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: Union[str, bytes, IO]) -> Any:
    """``yaml.safe_load``, faster."""
    return yaml.load(stream, Loader=SafeLoader)
