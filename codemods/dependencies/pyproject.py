"""pyproject.toml: PEP 621 `[project].dependencies` (uv too), a PEP 735 `[dependency-groups]`
group and poetry's `[tool.poetry.dependencies]`."""

from __future__ import annotations

from typing import Any

from codemods.dependencies.requirement import Package, Result, joined_names, parse_req, sort_key
from codemods.dependencies.toml_edit import (
    add_to_array,
    add_to_table,
    constraint_class,
    dig,
    parse_toml,
    render_mapping,
    table_versions,
)
from fixer.discovery.dependencies import DEV_GROUP


def _poetry_style(table: dict[str, Any]) -> str:
    """Caret, unless every (and at least two) of the table's constraints share another style."""
    classes = [constraint_class(v) for v in table_versions(table)]
    if len(classes) >= 2 and len(set(classes)) == 1 and classes[0] not in (None, "^"):
        return str(classes[0])
    return "^"


def add_pep621(text: str, packages: list[Package], label: str, kind: str) -> Result:
    """Declare `packages` in [project].dependencies (kind "pep621" or "uv")."""
    parsed = parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("dependencies"), list):
        dynamic = isinstance(project, dict) and "dependencies" in project.get("dynamic", [])
        why = (
            "[project] lists dependencies as dynamic (computed by the build backend)"
            if dynamic
            else "has no [project].dependencies list"
        )
        return Result(text, notes=[f"{label} {why}: add {joined_names(packages)} by hand"])
    elsewhere = declared_in_groups(data)
    written: dict[str, str] = {}
    for pkg in packages:
        found = elsewhere.get(sort_key(pkg.name))
        req = parse_req(found[0]) if found is not None else None
        if req is not None and req.spec:
            # the group's constraint, with the extras djfix asks for
            written[sort_key(pkg.name)] = f"{pkg.name}{req.sep}{req.spec}"
    result = add_to_array(
        text, data, layout, ("project", "dependencies"), packages, label, written=written
    )
    for name in result.added:
        found = elsewhere.get(sort_key(name))
        if found is not None:
            # a second, different constraint next to the group's would make the lock unsolvable
            result.notes.append(
                f"{label} declared {found[0]} only in {found[1]}, which an install of the "
                "project's dependencies leaves out: [project].dependencies now lists it with "
                "the same constraint"
            )
    if result.added and kind == "uv":
        result.notes.append(
            "uv.lock is now stale: run `uv lock` and commit uv.lock (`uv sync --locked` refuses a "
            "stale lock)"
        )
    return result


def add_dependency_group(text: str, packages: list[Package], label: str) -> Result:
    """Declare `packages` in the PEP 735 [dependency-groups] group that lists Django (one not
    named for development first), where a project without [project].dependencies keeps them."""
    parsed = parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    groups = data.get("dependency-groups")
    holding = [
        str(name)
        for name, entries in (groups.items() if isinstance(groups, dict) else [])
        if isinstance(entries, list)
        and any(
            isinstance(e, str) and (r := parse_req(e)) and sort_key(r.name) == "django"
            for e in entries
        )
    ]
    holding.sort(key=lambda name: bool(DEV_GROUP.match(name.lower())))
    if not holding:
        return Result(
            text,
            notes=[
                f"{label} has no [dependency-groups] group that lists Django: add "
                f"{joined_names(packages)} by hand"
            ],
        )
    return add_to_array(text, data, layout, ("dependency-groups", holding[0]), packages, label)


def declared_in_groups(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The requirements of the PEP 735 dependency groups and the optional extras, by
    `sort_key`: (the requirement as written, where: `[dependency-groups] docker`)."""
    found: dict[str, tuple[str, str]] = {}
    tables = (
        ("[dependency-groups]", data.get("dependency-groups")),
        ("[project.optional-dependencies]", dig(data, ("project", "optional-dependencies"))),
    )
    for title, table in tables:
        if not isinstance(table, dict):
            continue
        for group, items in table.items():
            for item in items if isinstance(items, list) else []:
                req = parse_req(item) if isinstance(item, str) else None
                if req is not None and not req.url and ";" not in item:
                    found.setdefault(sort_key(req.name), (item.strip(), f"{title} {group}"))
    return found


def add_poetry(text: str, packages: list[Package], label: str, *, locked: bool = True) -> Result:
    """Declare `packages` where this poetry project keeps its dependencies: the
    [tool.poetry.dependencies] table or [project].dependencies."""
    parsed = parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    table_path = ("tool", "poetry", "dependencies")
    table = dig(data, table_path)
    table = table if isinstance(table, dict) else None
    project_deps = dig(data, ("project", "dependencies"))
    project_deps = project_deps if isinstance(project_deps, list) else None
    in_table = {sort_key(name) for name in table or {}}
    in_project = {sort_key(r.name) for r in map(parse_req, project_deps or []) if r}
    # poetry 1 reads only the table; poetry 2 reads [project].dependencies first and the table
    # only to enrich it. Add where the project declares Django, else where its packages are.
    use_project = project_deps is not None and (
        not in_table - {"python"} or ("django" in in_project and "django" not in in_table)
    )
    if use_project:
        result = add_to_array(
            text, data, layout, ("project", "dependencies"), packages, label, in_table
        )
    elif table is not None:
        result = add_to_table(
            text,
            data,
            layout,
            table_path,
            packages,
            label,
            render_mapping,
            _poetry_style(table),
            in_project,
        )
    else:
        return Result(
            text,
            notes=[
                f"{label} has neither [tool.poetry.dependencies] nor [project].dependencies: "
                f"add {joined_names(packages)} by hand"
            ],
        )
    if result.added and locked:
        result.notes.append(
            "poetry.lock is now stale: run `poetry lock --no-update` and commit poetry.lock "
            "(`poetry install` refuses a stale lock)"
        )
    return result
