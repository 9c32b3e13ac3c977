"""The project's declared dependencies (requirements files, pip-tools, pyproject for PEP 621,
Poetry and uv, Pipfile, setup.py, setup.cfg), the Django version they pin or lock and the Python
version the project asks for."""

from __future__ import annotations

import ast
import configparser
import json
import re
import sys
from pathlib import Path

from fixer.discovery.walk import Walk
from fixer.project import DependencySource, ProjectModel, Requirement, normalise_package

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def _parse_requirement(text: str) -> tuple[str, str] | None:
    m = _REQ_LINE.match(text)
    if not m:
        return None
    return normalise_package(m.group(1)), m.group(3).strip()


def _read_requirements(model: ProjectModel, path: Path, seen: set[Path]) -> list[Requirement]:
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    f = model.cache.text(path)
    out: list[Requirement] = []
    if f.text is None:
        return out
    for lineno, raw in enumerate(f.text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ", "-c ", "--constraint ")):
            include = line.split(None, 1)[1].strip()
            out.extend(_read_requirements(model, path.parent / include, seen))
            continue
        if line.startswith("-"):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                out.append(Requirement(normalise_package(egg.group(1)), "", f.rel, lineno))
            continue
        parsed = _parse_requirement(line)
        if parsed:
            out.append(Requirement(parsed[0], parsed[1], f.rel, lineno))
    return out


def _toml(model: ProjectModel, path: Path) -> dict | None:
    if not path.is_file():
        return None
    f = model.cache.text(path)
    if f.text is None:
        model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
        return None
    try:
        return tomllib.loads(f.text)
    except tomllib.TOMLDecodeError as exc:
        model.deploy_problems.append((f.rel, f"is not valid TOML: {exc}"))
        return None


def _line_of(text: str | None, needle: str) -> int | None:
    if not text:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(needle)}\b", re.M | re.I)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def read_dependencies(model: ProjectModel, walk: Walk) -> None:
    sources: list[DependencySource] = []
    roots = [model.root] if model.source_root == model.root else [model.root, model.source_root]
    for base in roots:
        pyproject = base / "pyproject.toml"
        data = _toml(model, pyproject)
        if data:
            text = model.cache.text(pyproject).text
            rel = model.rel(pyproject)
            poetry = data.get("tool", {}).get("poetry", {})
            poetry_deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
            if isinstance(poetry_deps, dict):
                src = DependencySource("poetry", rel)
                for name, spec in poetry_deps.items():
                    if name.lower() == "python":
                        continue
                    version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
                    src.packages.append(
                        Requirement(normalise_package(name), version, rel, _line_of(text, name))
                    )
                sources.append(src)
            project = data.get("project", {})
            deps = project.get("dependencies") if isinstance(project, dict) else None
            if isinstance(deps, list):
                kind = (
                    "uv"
                    if (base / "uv.lock").is_file() or "uv" in data.get("tool", {})
                    else "pep621"
                )
                src = DependencySource(kind, rel)
                for dep in deps:
                    parsed = _parse_requirement(str(dep))
                    if parsed:
                        src.packages.append(
                            Requirement(parsed[0], parsed[1], rel, _line_of(text, str(dep)))
                        )
                sources.append(src)
        pipfile = base / "Pipfile"
        data = _toml(model, pipfile)
        if data:
            text = model.cache.text(pipfile).text
            rel = model.rel(pipfile)
            src = DependencySource("pipfile", rel)
            for name, spec in (data.get("packages") or {}).items():
                version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
                src.packages.append(
                    Requirement(
                        normalise_package(name),
                        "" if version == "*" else version,
                        rel,
                        _line_of(text, name),
                    )
                )
            sources.append(src)
    seen: set[Path] = set()
    ins = [p for p in walk.requirements if p.suffix == ".in"]
    txts = [p for p in walk.requirements if p.suffix == ".txt"]
    for path in ins:
        pkgs = _read_requirements(model, path, seen)
        sources.append(DependencySource("pip-tools", model.rel(path), pkgs))
    for path in sorted(txts, key=lambda p: (len(p.parts), p.name != "requirements.txt", p.name)):
        pkgs = _read_requirements(model, path, seen)
        if pkgs or path.name == "requirements.txt":
            sources.append(DependencySource("requirements", model.rel(path), pkgs))
    for base in roots:
        setup_py = base / "setup.py"
        if setup_py.is_file():
            src = DependencySource("setup.py", model.rel(setup_py))
            tree = model.python(setup_py).tree
            for node in ast.walk(tree) if tree else []:
                if (
                    isinstance(node, ast.keyword)
                    and node.arg == "install_requires"
                    and isinstance(node.value, (ast.List, ast.Tuple))
                ):
                    for elt in node.value.elts:
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            parsed = _parse_requirement(elt.value)
                            if parsed:
                                src.packages.append(
                                    Requirement(parsed[0], parsed[1], src.rel, elt.lineno)
                                )
            sources.append(src)
        setup_cfg = base / "setup.cfg"
        if setup_cfg.is_file():
            f = model.cache.text(setup_cfg)
            parser = configparser.ConfigParser()
            try:
                parser.read_string(f.text or "")
                raw = parser.get("options", "install_requires", fallback="")
            except configparser.Error:
                raw = ""
            if raw.strip():
                src = DependencySource("setup.cfg", f.rel)
                for line in raw.strip().splitlines():
                    parsed = _parse_requirement(line.strip())
                    if parsed:
                        src.packages.append(Requirement(parsed[0], parsed[1], f.rel, None))
                sources.append(src)
    model.dependency_sources = sources
    model.dependency_source = _primary_source(sources)


def _primary_source(sources: list[DependencySource]) -> DependencySource | None:
    order = [
        "uv",
        "poetry",
        "pipfile",
        "pip-tools",
        "requirements",
        "pep621",
        "setup.py",
        "setup.cfg",
    ]

    def rank(s: DependencySource) -> tuple[int, int, int]:
        declares_django = any(r.name == "django" for r in s.packages)
        return (0 if declares_django else 1, order.index(s.kind), s.rel.count("/"))

    if not sources:
        return None
    return sorted(sources, key=rank)[0]


_VERSION = re.compile(r"(\d+)\.(\d+)")


def lowest_version(spec: str) -> tuple[int, int] | None:
    """The lowest (major, minor) a version specifier allows, for ==, ~=, >=, ^, ~ and bare
    versions; None when it has no lower bound."""
    spec = spec.strip().strip("\"'")
    if not spec or spec == "*":
        return None
    for part in spec.split(","):
        part = part.strip()
        m = re.match(r"(==|~=|>=|\^|~|===|>)?\s*v?(\d+)(?:\.(\d+))?", part)
        if m is None:
            continue
        if m.group(1) is not None or part[:1].isdigit():
            return int(m.group(2)), int(m.group(3) or 0)
    return None


def _locked_django(model: ProjectModel) -> tuple[tuple[int, int], str] | None:
    for base in {model.root, model.source_root}:
        for lock in ("uv.lock", "poetry.lock"):
            p = base / lock
            if p.is_file() and p.stat().st_size < 20_000_000:
                text = model.cache.text(p).text or ""
                m = re.search(r'name = "django"\s*\nversion = "(\d+)\.(\d+)', text, re.I)
                if m:
                    return (int(m.group(1)), int(m.group(2))), model.rel(p)
        p = base / "Pipfile.lock"
        if p.is_file() and p.stat().st_size < 20_000_000:
            try:
                data = json.loads(model.cache.text(p).text or "{}")
                version = data.get("default", {}).get("django", {}).get("version", "")
            except (ValueError, AttributeError):
                version = ""
            m = _VERSION.search(version)
            if m:
                return (int(m.group(1)), int(m.group(2))), model.rel(p)
    return None


def read_versions(model: ProjectModel) -> None:
    locked = _locked_django(model)
    django = model.packages.get("django")
    if locked:
        model.django_version, model.django_version_source = locked
    elif django is not None:
        model.django_version = lowest_version(django.spec)
        model.django_version_source = django.rel
    for base in {model.root, model.source_root}:
        pv = base / ".python-version"
        if pv.is_file() and model.python_version is None:
            text = (model.cache.text(pv).text or "").strip()
            m = _VERSION.search(text)
            if m:
                model.python_version = f"{m.group(1)}.{m.group(2)}"
                model.python_version_source = model.rel(pv)
        rt = base / "runtime.txt"
        if rt.is_file() and model.python_version is None:
            m = _VERSION.search(model.cache.text(rt).text or "")
            if m:
                model.python_version = f"{m.group(1)}.{m.group(2)}"
                model.python_version_source = model.rel(rt)
    if model.python_version is None:
        for base in {model.root, model.source_root}:
            data = _toml(model, base / "pyproject.toml") or {}
            spec = (data.get("project") or {}).get("requires-python") or (
                ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
            ).get("python")
            pipfile = _toml(model, base / "Pipfile") or {}
            spec = spec or (pipfile.get("requires") or {}).get("python_version")
            if isinstance(spec, str):
                low = lowest_version(spec)
                if low:
                    model.python_version = f"{low[0]}.{low[1]}"
                    model.python_version_source = model.rel(
                        base
                        / ("pyproject.toml" if (base / "pyproject.toml").is_file() else "Pipfile")
                    )
                    break
