"""JSON for the generator: orjson when installed (the ``load`` extra), the standard library
otherwise, with orjson's interface (``dumps`` gives UTF-8 bytes)."""

from __future__ import annotations

from typing import Any

try:
    import orjson

    loads = orjson.loads
    JSONDecodeError: type[ValueError] = orjson.JSONDecodeError

    def dumps(obj: Any, indent: bool = False) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else 0)

except ImportError:  # pragma: no cover - exercised only without the load extra
    import json

    loads = json.loads
    JSONDecodeError = json.JSONDecodeError

    def dumps(obj: Any, indent: bool = False) -> bytes:
        if indent:
            return json.dumps(obj, indent=2, ensure_ascii=False).encode()
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
