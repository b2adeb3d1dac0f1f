"""Runs inside the benchmark's own aerleon virtualenv: times aerleon generating one policy.

Input (stdin, JSON): {"policy": <aerleon policy dict without targets>, "networks": {...},
"services": {...}, "targets": {"cisco": "...", ...}}. Output (stdout, JSON): per target the
best wall time of ``repeat`` runs (definitions parsing + Generate), and the output size.
"""

from __future__ import annotations

import copy
import json
import sys
import time

from absl import logging
from aerleon import api
from aerleon.lib import naming


def main() -> None:
    spec = json.load(sys.stdin)
    logging.set_verbosity(logging.ERROR)
    out = {}
    for target, options in spec["targets"].items():
        best = float("inf")
        size = 0
        for _ in range(spec.get("repeat", 1)):
            pol = copy.deepcopy(spec["policy"])
            pol["filename"] = f"bench_{target}"
            pol["filters"][0]["header"]["targets"] = {target: options}
            start = time.perf_counter()
            defs = naming.Naming()
            defs.ParseDefinitionsObject(
                {"networks": spec["networks"], "services": spec["services"]}, ""
            )
            configs = api.Generate([pol], defs)
            best = min(best, time.perf_counter() - start)
            size = sum(len(v) for v in (configs or {}).values())
        out[target] = {"seconds": best, "bytes": size}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
