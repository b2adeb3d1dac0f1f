"""Runs inside the benchmark's own aerleon virtualenv: times aerleon generating one policy.

Input (stdin, JSON): {"policy": <aerleon policy dict without targets>, "networks": {...},
"services": {...}, "targets": {"cisco": "...", ...}, "repeat": R, "workdir": DIR}. Output
(stdout, JSON): per target, the best wall time of ``repeat`` runs in two modes and the output
size:

- ``files``: as ``aclgen`` runs — the definitions directory (networks.yaml, services.yaml) and
  one policy file per target (``DIR/policies/pol/bench_<target>.yaml``) are read and parsed,
  then rendered (``aclgen.RenderFile``; nothing is written). This is what segcfg's own timing
  covers: files on disk to configuration text.
- ``memory``: the policy and definitions handed over as Python objects (``api.Generate``),
  so aerleon's YAML reading is not counted.
"""

from __future__ import annotations

import copy
import json
import pathlib
import sys
import time

import yaml
from absl import logging
from aerleon import aclgen, api
from aerleon.lib import naming


def main() -> None:
    spec = json.load(sys.stdin)
    logging.set_verbosity(logging.ERROR)
    work = pathlib.Path(spec["workdir"])
    defs_dir = work / "def"
    pol_dir = work / "policies" / "pol"
    defs_dir.mkdir(parents=True, exist_ok=True)
    pol_dir.mkdir(parents=True, exist_ok=True)
    (defs_dir / "networks.yaml").write_text(yaml.safe_dump({"networks": spec["networks"]}))
    (defs_dir / "services.yaml").write_text(yaml.safe_dump({"services": spec["services"]}))
    out = {}
    for target, options in spec["targets"].items():
        pol = copy.deepcopy(spec["policy"])
        pol["filename"] = f"bench_{target}"
        pol["filters"][0]["header"]["targets"] = {target: options}
        pol_file = pol_dir / f"bench_{target}.yaml"
        pol_file.write_text(yaml.safe_dump({"filters": pol["filters"]}, sort_keys=False))
        best_files = best_mem = float("inf")
        size = 0
        for _ in range(spec.get("repeat", 1)):
            start = time.perf_counter()
            defs = naming.Naming(str(defs_dir))
            written: list[tuple[pathlib.Path, str]] = []
            aclgen.RenderFile(
                str(work / "policies"), pol_file, work / "out", defs, 2, False, False, written
            )
            best_files = min(best_files, time.perf_counter() - start)
            assert written, "aerleon rendered nothing"
            size = sum(len(text) for _, text in written)

            mem_pol = copy.deepcopy(pol)
            start = time.perf_counter()
            defs = naming.Naming()
            defs.ParseDefinitionsObject(
                {"networks": spec["networks"], "services": spec["services"]}, ""
            )
            configs = api.Generate([mem_pol], defs)
            best_mem = min(best_mem, time.perf_counter() - start)
            assert configs
        out[target] = {"files": best_files, "memory": best_mem, "bytes": size}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
