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
from fixer.project import (
    DependencySource,
    InstallSource,
    ProjectModel,
    Requirement,
    normalise_package,
)
from fixer.sources import TextFile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def _parse_requirement(text: str) -> tuple[str, str, tuple[str, ...]] | None:
    """(name, version specifier, extras) of a requirement line."""
    m = _REQ_LINE.match(text)
    if not m:
        return None
    return normalise_package(m.group(1)), m.group(3).strip(), _extras(m.group(2) or "")


def _extras(text: str | list | tuple) -> tuple[str, ...]:
    """Extras as written in brackets (`[binary, pool]`) or as a TOML list (Poetry, Pipfile)."""
    words = text.strip("[]").split(",") if isinstance(text, str) else text
    return tuple(normalise_package(str(w).strip()) for w in words if str(w).strip())


def _table_extras(spec: object) -> tuple[str, ...]:
    extras = spec.get("extras") if isinstance(spec, dict) else None
    return _extras(extras) if isinstance(extras, list) else ()


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
            out.append(Requirement(parsed[0], parsed[1], f.rel, lineno, parsed[2]))
    return out


def _toml(model: ProjectModel, path: Path) -> dict | None:
    if not path.is_file():
        return None
    f = model.cache.text(path)
    if f.text is None:
        model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
        return None
    # parsed once per content in a run: every rediscovery reads the same pyproject.toml (the
    # parsed tables are only read, never changed)
    data, error = f.memo("toml", lambda text=f.text: _parse_toml(text))
    if error is not None:
        model.deploy_problems.append((f.rel, error))
    return data


def _parse_toml(text: str) -> tuple[dict | None, str | None]:
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, f"is not valid TOML: {exc}"


def _line_in(f: TextFile, needle: str) -> int | None:
    """`_line_of` in a file, once per content in a run (every rediscovery asks again)."""
    return f.memo(f"line-of:{needle}", lambda: _line_of(f.text, needle))


def _line_of(text: str | None, needle: str) -> int | None:
    if not text:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(needle)}\b", re.M | re.I)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


#: a PEP 735 dependency group for development, tests, docs or lints: never the image's (the
#: codemod that declares packages in a group reads the same names)
DEV_GROUP = re.compile(r"^(dev|develop|development|local|test|tests|testing|ci|docs|lint|typing)$")


def group_requirements(groups: dict, name: str) -> list[str] | None:
    """The requirement strings of the PEP 735 group `name`, its `{include-group = ...}` entries
    expanded (each group once: an include cycle ends there); None where it is no list."""
    out: list[str] = []
    seen: set[str] = set()
    todo = [name]
    while todo and len(seen) < 100:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        entries = groups.get(current)
        if not isinstance(entries, list):
            if current == name:
                return None
            continue
        for entry in entries:
            if isinstance(entry, str):
                out.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                todo.append(entry["include-group"])
    return out


def _dependency_group(data: dict, rel: str, text_file: TextFile) -> DependencySource | None:
    """A pyproject.toml with no [project].dependencies that declares Django in a PEP 735
    [dependency-groups] group (`pip install --group main`): the group that names Django, one
    not named for development first."""
    groups = data.get("dependency-groups")
    if not isinstance(groups, dict):
        return None
    holding: list[tuple[str, list[str]]] = []
    for name in groups:
        entries = group_requirements(groups, str(name))
        parsed = [_parse_requirement(e) for e in entries or []]
        if any(p and p[0] == "django" for p in parsed):
            holding.append((str(name), entries or []))
    if not holding:
        return None
    holding.sort(key=lambda g: bool(DEV_GROUP.match(g[0].lower())))
    group, entries = holding[0]
    src = DependencySource("pep735", rel, group=group)
    for entry in entries:
        parsed = _parse_requirement(entry)
        if parsed:
            src.packages.append(
                Requirement(parsed[0], parsed[1], rel, _line_in(text_file, entry), parsed[2])
            )
    return src


def read_dependencies(model: ProjectModel, walk: Walk) -> None:
    sources: list[DependencySource] = []
    roots = [model.root] if model.source_root == model.root else [model.root, model.source_root]
    for base in roots:
        pyproject = base / "pyproject.toml"
        data = _toml(model, pyproject)
        if data:
            text_file = model.cache.text(pyproject)
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
                        Requirement(
                            normalise_package(name),
                            version,
                            rel,
                            _line_in(text_file, name),
                            _table_extras(spec),
                        )
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
                            Requirement(
                                parsed[0],
                                parsed[1],
                                rel,
                                _line_in(text_file, str(dep)),
                                parsed[2],
                            )
                        )
                sources.append(src)
            elif not isinstance(poetry_deps, dict):
                grouped = _dependency_group(data, model.rel(pyproject), text_file)
                if grouped is not None:
                    sources.append(grouped)
        pipfile = base / "Pipfile"
        data = _toml(model, pipfile)
        if data:
            text_file = model.cache.text(pipfile)
            rel = model.rel(pipfile)
            src = DependencySource("pipfile", rel)
            for name, spec in (data.get("packages") or {}).items():
                version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
                src.packages.append(
                    Requirement(
                        normalise_package(name),
                        "" if version == "*" else version,
                        rel,
                        _line_in(text_file, name),
                        _table_extras(spec),
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
                                    Requirement(*parsed[:2], src.rel, elt.lineno, parsed[2])
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
                        src.packages.append(Requirement(*parsed[:2], f.rel, None, parsed[2]))
                sources.append(src)
    model.dependency_sources = sources
    model.install_source = choose_install_source(model, sources)
    model.dependency_source = model.install_source.source if model.install_source else None


#: the order of the dependency managers among files equally pinned: the project's manager file
#: before a requirements file exported from it
_KIND_ORDER = (
    "uv",
    "poetry",
    "pipfile",
    "pip-tools",
    "requirements",
    "pep621",
    "pep735",
    "setup.py",
    "setup.cfg",
)
#: the lock file of each manager, beside its file
LOCK_FILES = {"uv": "uv.lock", "poetry": "poetry.lock", "pipfile": "Pipfile.lock"}
#: requirements files for development, tests or docs: never the image's, however well pinned
_DEV_FILE = re.compile(
    r"(^|[._-])(dev|develop|development|local|test|tests|testing|ci|docs|lint)[._-]", re.I
)
_EXACT = re.compile(r"^(?:===?)?\s*v?(\d+(?:\.\d+)*)$")


def exact_version(spec: str, kind: str = "requirements") -> tuple[int, ...] | None:
    """The one release a version specifier allows (`==4.2.3`, `===4.2.3`; a bare `4.2.3` in
    Poetry and Pipfile, where it means the same), else None."""
    spec = spec.strip().strip("\"'")
    if not spec.startswith("=") and kind not in ("poetry", "pipfile"):
        return None
    m = _EXACT.match(spec)
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def _lock_of(model: ProjectModel, source: DependencySource) -> str | None:
    """The file that locks `source`: its manager's lock file beside it, or the requirements.txt
    a pip-tools input is compiled to."""
    folder = source.rel.rsplit("/", 1)[0] + "/" if "/" in source.rel else ""
    if source.kind == "pip-tools" and source.rel.endswith(".in"):
        compiled = source.rel[: -len(".in")] + ".txt"
        return compiled if (model.root / compiled).is_file() else None
    name = LOCK_FILES.get(source.kind)
    return f"{folder}{name}" if name and (model.root / folder / name).is_file() else None


def _pinning(model: ProjectModel, source: DependencySource) -> tuple[int, str]:
    """(how firmly `source` fixes what gets installed: 0 locked, 1 Django pinned, 2 a range;
    the same in words)."""
    lock = _lock_of(model, source)
    if lock:
        return 0, (f"compiled to {lock}" if source.kind == "pip-tools" else f"locked by {lock}")
    packages = source.packages
    if source.kind == "requirements" and packages and all(exact_version(r.spec) for r in packages):
        return 0, "every package pinned with =="
    django = next((r for r in packages if r.name == "django"), None)
    if django is not None and exact_version(django.spec, source.kind):
        return 1, f"Django pinned {django.spec.strip()}"
    words = (
        f"Django {django.spec.strip()}" if django is not None and django.spec else "Django unpinned"
    )
    if source.kind in LOCK_FILES:
        words += f", no {LOCK_FILES[source.kind]}"
    return 2, words


def choose_install_source(
    model: ProjectModel, sources: list[DependencySource]
) -> InstallSource | None:
    """The dependency file the generated image installs and `djfix verify --install` installs:
    among the files that declare Django (all files where none does; a requirements-dev.txt or
    requirements/test.txt last), the most firmly pinned
    (a lock file, a pip-tools input compiled to its requirements.txt, or a requirements file
    that pins every package with == beats one that pins only Django, which beats a range),
    then the project's manager before a requirements file, then the shallowest. `why` says so
    where another file declares Django too."""
    if not sources:
        return None
    candidates = [s for s in sources if any(r.name == "django" for r in s.packages)] or sources
    pinning = {id(s): _pinning(model, s) for s in candidates}

    def rank(s: DependencySource) -> tuple[bool, int, int, int]:
        dev = bool(_DEV_FILE.search(s.rel.rsplit("/", 1)[-1]))
        return (dev, pinning[id(s)][0], _KIND_ORDER.index(s.kind), s.rel.count("/"))

    ranked = sorted(candidates, key=rank)
    chosen = ranked[0]
    lock = _lock_of(model, chosen)
    rel = lock if chosen.kind == "pip-tools" and lock else chosen.rel
    same = {chosen.rel, rel}
    others = [
        s for s in ranked[1:] if s.rel not in same and any(r.name == "django" for r in s.packages)
    ]
    why = ""
    if others:
        why = f"{chosen.rel} ({pinning[id(chosen)][1]}) rather than " + ", ".join(
            f"{s.rel} ({pinning[id(s)][1]})" for s in others
        )
    return InstallSource(chosen, rel, lock if chosen.kind in LOCK_FILES else None, why)


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


_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def _release(text: str) -> tuple[int, int, int] | None:
    m = _RELEASE.search(text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else None


def _lock_django(model: ProjectModel, path: Path) -> tuple[int, int, int] | None:
    """The Django release a uv.lock, poetry.lock or Pipfile.lock holds."""
    return _lock_release(model, path, "django")


def _lock_release(model: ProjectModel, path: Path, package: str) -> tuple[int, int, int] | None:
    """The release of `package` (a normalised name) a uv.lock, poetry.lock or Pipfile.lock
    holds."""
    if not path.is_file() or path.stat().st_size >= 20_000_000:
        return None
    f = model.cache.text(path)
    # read once per content in a run: every rediscovery asks again (saleor's uv.lock: 280 KB)
    return f.memo(f"locked-{package}", lambda: _release_in_lock(path.name, f.text or "", package))


def _release_in_lock(name: str, text: str, package: str) -> tuple[int, int, int] | None:
    if name == "Pipfile.lock":
        try:
            data = json.loads(text or "{}")
            version = data.get("default", {}).get(package, {}).get("version", "")
        except (ValueError, AttributeError):
            return None
        return _release(version) if isinstance(version, str) else None
    # poetry.lock and uv.lock: `name = "..."` then `version = "..."` in each package's table
    # (poetry writes names as published: `psycopg2_binary`, `Django`)
    spelled = r"[-_.]".join(re.escape(part) for part in re.split(r"[-_.]", package))
    m = re.search(rf'name = "{spelled}"\s*\nversion = "([^"]+)"', text, re.I)
    return _release(m.group(1)) if m else None


def locked_release(model: ProjectModel, package: str) -> tuple[int, int, int] | None:
    """The release of `package` (a normalised name) the install source's lock file holds
    (poetry.lock, uv.lock, Pipfile.lock); None without a lock, or where it does not name it."""
    install = model.install_source
    if install is None or install.lock is None:
        return None
    return _lock_release(model, model.root / install.lock, package)


def _locked_django(model: ProjectModel) -> tuple[tuple[int, int, int], str] | None:
    """The Django release a lock file holds: the install source's lock first."""
    install = model.install_source
    paths = [model.root / install.lock] if install and install.lock else []
    for base in {model.root, model.source_root}:
        paths += [base / "uv.lock", base / "poetry.lock", base / "Pipfile.lock"]
    for path in paths:
        release = _lock_django(model, path)
        if release:
            return release, model.rel(path)
    return None


def _installed_django(model: ProjectModel) -> tuple[Requirement, str] | None:
    """(Django as the file the install reads declares it, that file's kind): the compiled
    requirements.txt of a pip-tools input, the chosen file, else the first file naming it."""
    install = model.install_source
    ordered = [s for s in model.dependency_sources if install and s.rel == install.rel]
    ordered += [install.source] if install else []
    ordered += model.dependency_sources
    for source in ordered:
        django = next((r for r in source.packages if r.name == "django"), None)
        if django is not None:
            return django, source.kind
    return None


def read_versions(model: ProjectModel) -> None:
    locked = _locked_django(model)
    installed = _installed_django(model)
    if locked:
        release, model.django_version_source = locked
        model.django_version, model.django_pin = release[:2], release
    elif installed is not None:
        django, kind = installed
        model.django_version = lowest_version(django.spec)
        model.django_version_source = django.rel
        exact = exact_version(django.spec, kind)
        if exact:
            model.django_pin = (
                exact[0],
                exact[1] if len(exact) > 1 else 0,
                exact[2] if len(exact) > 2 else 0,
            )
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
                    if re.search(r"[<>=^~!,*]", spec):
                        # lazy: the lock parsers (and packaging) load only for a range
                        from fixer.parsers.locks import pip_spec

                        model.python_spec = pip_spec(spec)
                    model.python_version_source = model.rel(
                        base
                        / ("pyproject.toml" if (base / "pyproject.toml").is_file() else "Pipfile")
                    )
                    break
