"""Compose files: the services, with the keys the checks read (image, build, command, volumes,
environment, ports, ...), loaded the way Compose loads YAML. Never raises: what it cannot make
sense of goes to `ComposeFile.problems`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from fixer.parsers.text import normalize_text

if TYPE_CHECKING:
    import yaml


@dataclass
class ComposeService:
    name: str
    image: str | None = None
    build: dict | str | None = None
    dockerfile: str | None = None
    target: str | None = None
    command: str | None = None
    entrypoint: str | None = None
    volumes: list[tuple[str, str]] = field(default_factory=list)
    env_file: list[str] = field(default_factory=list)
    environment: dict[str, str | None] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    #: the service it takes its keys from (`extends: {service: web}`), or None
    extends: str | None = None
    line: int | None = None


@dataclass
class ComposeFile:
    path: str
    services: list[ComposeService]
    problems: list[str]

    def service(self, name: str) -> ComposeService | None:
        return next((s for s in self.services if s.name == name), None)


@cache
def _loader() -> type[yaml.SafeLoader]:
    """Safe loading with YAML 1.2 core-schema scalars, as Compose reads them: `yes` and
    `on` stay strings, `22:22` is not a base-60 number, and no timestamps."""
    # lazy: PyYAML (about 8 ms) only for a repository that has a compose file
    import yaml

    class ComposeLoader(yaml.SafeLoader):
        yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    ComposeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    ComposeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    ComposeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    )
    ComposeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
    )
    ComposeLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])
    ComposeLoader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)
    ComposeLoader.add_multi_constructor("!", _construct_unknown_tag)
    return ComposeLoader


def _construct_core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    if value.startswith(("0x", "0o")):
        return int(value, 0)
    return int(value, 10)


def _construct_unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    # Compose's own tags (`!reset`, `!override`) only change merging between files.
    # lazy: PyYAML, loaded by the first parse (_loader)
    import yaml

    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


def _yaml_error_message(exc: Exception) -> str:
    # lazy: PyYAML, loaded by the parse that raised (_loader)
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        if mark is not None:
            return f"line {mark.line + 1}: invalid YAML: {detail}"
        return f"invalid YAML: {detail}"
    return f"invalid YAML: {exc}"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _join_command(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(_scalar_text(v) for v in value)
    return _scalar_text(value)


def _split_outside_braces(text: str, sep: str) -> list[str]:
    """Split on `sep` except inside `${...}`, whose defaults may contain the separator."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            current.append("${")
            i += 2
            continue
        c = text[i]
        if c == "}" and depth:
            depth -= 1
        if c == sep and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def short_volume(spec: str) -> tuple[str, str]:
    """(source, target) of a short-syntax volume (`./src:/dst:ro`)."""
    parts = _split_outside_braces(spec, ":")
    # A Windows drive letter (`C:\data:/data`) is part of the source, not a separator.
    if len(parts) > 2 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in "\\/":
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    if len(parts) == 1:
        return "", parts[0]
    return parts[0], parts[1]


def _parse_service(
    name: str, raw: dict[str, Any], line: int | None, problems: list[str]
) -> ComposeService:
    where = f"line {line}: " if line is not None else ""
    service = ComposeService(name=name, line=line)

    def bad(key: str, expected: str) -> None:
        problems.append(f"{where}service {name!r}: {key} should be {expected}")

    image = raw.get("image")
    service.image = None if image is None else _scalar_text(image)

    build = raw.get("build")
    if isinstance(build, (dict, str)) or build is None:
        service.build = build
    else:
        bad("build", "a path or a mapping")
    if isinstance(build, dict):
        if build.get("dockerfile") is not None:
            service.dockerfile = _scalar_text(build["dockerfile"])
        if build.get("target") is not None:
            service.target = _scalar_text(build["target"])

    service.command = _join_command(raw.get("command"))
    service.entrypoint = _join_command(raw.get("entrypoint"))

    volumes = raw.get("volumes") or []
    if not isinstance(volumes, list):
        bad("volumes", "a list")
        volumes = []
    for volume in volumes:
        if isinstance(volume, str):
            service.volumes.append(short_volume(volume))
        elif isinstance(volume, dict):
            source = volume.get("source", volume.get("src"))
            target = volume.get("target", volume.get("destination", volume.get("dst")))
            service.volumes.append(
                (
                    "" if source is None else _scalar_text(source),
                    "" if target is None else _scalar_text(target),
                )
            )
        else:
            bad("volumes entries", "strings or mappings")

    env_file = raw.get("env_file")
    for entry in env_file if isinstance(env_file, list) else [env_file]:
        if entry is None:
            continue
        if isinstance(entry, dict) and entry.get("path") is not None:
            service.env_file.append(_scalar_text(entry["path"]))
        elif isinstance(entry, (str, int, float)):
            service.env_file.append(_scalar_text(entry))
        else:
            bad("env_file", "a path or a list of paths")

    environment = raw.get("environment")
    if isinstance(environment, dict):
        for key, value in environment.items():
            service.environment[str(key)] = None if value is None else _scalar_text(value)
    elif isinstance(environment, list):
        for item in environment:
            key, eq, value = _scalar_text(item).partition("=")
            service.environment[key] = value if eq else None
    elif environment is not None:
        bad("environment", "a mapping or a list")

    ports = raw.get("ports") or []
    if not isinstance(ports, list):
        bad("ports", "a list")
        ports = []
    for port in ports:
        if isinstance(port, dict):
            parts = [
                _scalar_text(port[k])
                for k in ("host_ip", "published", "target")
                if port.get(k) not in (None, "")
            ]
            text = ":".join(parts)
            if port.get("protocol"):
                text += f"/{port['protocol']}"
            service.ports.append(text)
        elif port is not None:
            service.ports.append(_scalar_text(port))

    extends = raw.get("extends")
    if isinstance(extends, dict) and extends.get("service") is not None:
        service.extends = _scalar_text(extends["service"])
    elif isinstance(extends, str):
        service.extends = extends

    depends_on = raw.get("depends_on")
    if isinstance(depends_on, dict):
        service.depends_on = [str(k) for k in depends_on]
    elif isinstance(depends_on, list):
        service.depends_on = [_scalar_text(d) for d in depends_on]
    elif depends_on is not None:
        bad("depends_on", "a list or a mapping")
    return service


def _service_lines(text: str, top_level: bool) -> dict[str, int]:
    """Line of each service key, from the YAML node tree (so anchors and quoting are
    understood), falling back to a text search where the tree does not say."""
    # lazy: PyYAML, for a repository that has a compose file (_loader)
    import yaml

    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=_loader())
    except Exception:
        root = None
    mapping: yaml.Node | None = root if top_level else None
    if not top_level and isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "services":
                mapping = value
    if isinstance(mapping, yaml.MappingNode):
        for key, _ in mapping.value:
            if isinstance(key, yaml.ScalarNode):
                lines[str(key.value)] = key.start_mark.line + 1
    return lines


def _find_service_line(text: str, name: str) -> int | None:
    in_services = False
    pattern = re.compile(rf"^\s+([\"']?){re.escape(name)}\1\s*:")
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(r"^services\s*:", line):
            in_services = True
        elif in_services and pattern.match(line):
            return number
    return None


def parse_compose(text: str, path: str) -> ComposeFile:
    """Services of a compose file. Anchors and merge keys are resolved; a file without
    `services:` whose top-level entries look like services is read as the old v1 format."""
    problems: list[str] = []
    text = normalize_text(text)
    # lazy: PyYAML, for a repository that has a compose file (_loader)
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())
    except Exception as exc:
        problems.append(_yaml_error_message(exc))
        return ComposeFile(path, [], problems)
    if data is None:
        problems.append("the file is empty")
        return ComposeFile(path, [], problems)
    if not isinstance(data, dict):
        problems.append(f"top level is {type(data).__name__}, not a mapping")
        return ComposeFile(path, [], problems)

    top_level = False
    if "services" in data:
        raw_services = data["services"]
    else:
        raw_services = {
            k: v for k, v in data.items() if isinstance(v, dict) and ("image" in v or "build" in v)
        }
        top_level = bool(raw_services) and "version" not in data
        if not top_level:
            problems.append("no 'services' section")
            raw_services = None
    if raw_services is None:
        return ComposeFile(path, [], problems)
    if not isinstance(raw_services, dict):
        problems.append(f"'services' is {type(raw_services).__name__}, not a mapping")
        return ComposeFile(path, [], problems)

    lines = _service_lines(text, top_level)
    services: list[ComposeService] = []
    for key, raw in raw_services.items():
        name = str(key)
        line = lines.get(name) or _find_service_line(text, name)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            where = f"line {line}: " if line is not None else ""
            problems.append(f"{where}service {name!r} is not a mapping")
            continue
        services.append(_parse_service(name, raw, line, problems))
    return ComposeFile(path, services, problems)
