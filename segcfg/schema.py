"""JSON Schema of site and profile files, so editors complete and check them."""

from __future__ import annotations

import json
from typing import Any

from segcfg.model.profile import DeviceProfile
from segcfg.model.site import Site

SCHEMA_FILES: dict[str, type[Site] | type[DeviceProfile]] = {
    "site.schema.json": Site,
    "profile.schema.json": DeviceProfile,
}


def json_schema(model: type[Site] | type[DeviceProfile]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "segcfg " + ("site" if model is Site else "device profile")
    return schema


def schema_files() -> dict[str, bytes]:
    return {
        name: (json.dumps(json_schema(model), indent=2, sort_keys=True) + "\n").encode()
        for name, model in SCHEMA_FILES.items()
    }
