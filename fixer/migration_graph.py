"""A static migration graph of the project's local apps, built the way Django's MigrationLoader
builds its graph, without importing anything and without a database.

It mirrors `django.db.migrations.loader.MigrationLoader.build_graph` and
`django.db.migrations.graph.MigrationGraph`:

- every migration file of a local app is a node (files whose name starts with `_` or `~` are
  not migrations, as for Django); a dependency on a local migration that does not exist becomes
  a *dummy* node, which is an error unless a squashed migration replaces it;
- same-app dependencies are added first, except `__first__` on the own app (ignored, as
  Django does); then cross-app dependencies, where `__first__` / `__latest__` resolve to the
  first root / leaf of that app and `run_before` adds the reverse edge;
- a squashed migration (`replaces`) stands in for the migrations it replaces: the replaced
  nodes are removed and their edges re-pointed to it. Django decides this from the database (it
  uses the squash when all or none of the replaced migrations are applied); statically we take
  the case of a new database, where the squash is always used. When only some of the replaced
  files are still on disk, a database that applied only some of them cannot migrate: that is
  reported by `partial_squashes()`;
- dependencies on apps that are not local (django.contrib, third-party packages) cannot be
  checked from the repository and are skipped; so are swappable dependencies
  (`migrations.swappable_dependency(settings.AUTH_USER_MODEL)`), which Django resolves to the
  `__first__` migration of the user model's app: that edge is added when the app is local.

Migrations of a folder without `__init__.py` are kept in the graph: Django ignores such a
folder, but that is reported once on its own, not again as every dependency on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fixer.project import App, Migration, ProjectModel

Key = tuple[str, str]

#: how many replacement and resolution steps one graph may take, so a hostile repository
#: cannot make the build quadratic without bound
_MAX_NODES = 20_000


@dataclass
class _Node:
    key: Key
    migration: Migration | None  # None: a dummy node (referenced, not on disk)
    parents: set[Key] = field(default_factory=set)
    children: set[Key] = field(default_factory=set)
    # for dummies: who referenced it, and on which line
    origins: list[tuple[Migration, int | None]] = field(default_factory=list)


@dataclass
class PartialSquash:
    """A squashed migration some of whose replaced migrations are gone and some are not."""

    migration: Migration
    present: list[Key]
    missing: list[Key]


class MigrationGraph:
    def __init__(self) -> None:
        self._nodes: dict[Key, _Node] = {}
        self._missing: list[tuple[Migration, Key, int | None]] = []
        self._partial: list[PartialSquash] = []
        # apps whose edges are not all known (a migration that does not parse, that builds its
        # dependencies in code, or that depends on a missing migration of its own app): several
        # leaves there may be an artefact, not a conflict
        self.uncertain_apps: set[str] = set()
        self.local_apps: set[str] = set()

    # -- building ------------------------------------------------------------------------------
    def _add_node(self, key: Key, migration: Migration) -> None:
        self._nodes[key] = _Node(key, migration)

    def _add_edge(self, child: Key, parent: Key, origin: Migration, line: int | None) -> None:
        for key in (child, parent):
            node = self._nodes.get(key)
            if node is None:
                node = self._nodes[key] = _Node(key, None)
            if node.migration is None:
                node.origins.append((origin, line))
        self._nodes[child].parents.add(parent)
        self._nodes[parent].children.add(child)

    def _remove_replaced_nodes(self, replacement: Key, replaced: Iterable[Key]) -> None:
        """Django's MigrationGraph.remove_replaced_nodes."""
        replaced = set(replaced)
        target = self._nodes.get(replacement)
        if target is None:
            return
        for key in replaced:
            node = self._nodes.pop(key, None)
            if node is None:
                continue
            for child in node.children:
                child_node = self._nodes.get(child)
                if child_node is None:
                    continue
                child_node.parents.discard(key)
                if child not in replaced:
                    target.children.add(child)
                    child_node.parents.add(replacement)
            for parent in node.parents:
                parent_node = self._nodes.get(parent)
                if parent_node is None:
                    continue
                parent_node.children.discard(key)
                if parent not in replaced:
                    target.parents.add(parent)
                    parent_node.children.add(replacement)
        # as in Django, a squash that depends on a migration it replaces now depends on itself,
        # which cycles() reports like Django's CircularDependencyError

    # -- queries ---------------------------------------------------------------------------------
    def nodes(self, app_label: str | None = None) -> list[Key]:
        return sorted(
            k
            for k, n in self._nodes.items()
            if n.migration is not None and (app_label is None or k[0] == app_label)
        )

    def migration(self, key: Key) -> Migration | None:
        node = self._nodes.get(key)
        return node.migration if node else None

    def parents(self, key: Key) -> set[Key]:
        node = self._nodes.get(key)
        return set(node.parents) if node else set()

    def root_nodes(self, app_label: str) -> list[str]:
        """Nodes of the app with no parent in the same app (Django's root_nodes)."""
        return sorted(
            k[1]
            for k in self.nodes(app_label)
            if all(p[0] != app_label for p in self._nodes[k].parents)
        )

    def leaves(self, app_label: str) -> list[str]:
        """Nodes of the app with no child in the same app (Django's leaf_nodes)."""
        return sorted(
            k[1]
            for k in self.nodes(app_label)
            if all(c[0] != app_label for c in self._nodes[k].children)
        )

    def conflicts(self) -> dict[str, list[str]]:
        """{app label: leaves} for every app with more than one leaf, as Django's
        detect_conflicts; apps whose edges djfix could not all read are left out."""
        out: dict[str, list[str]] = {}
        for app in sorted({k[0] for k in self.nodes()}):
            if app in self.uncertain_apps:
                continue
            leaves = self.leaves(app)
            if len(leaves) > 1:
                out[app] = leaves
        return out

    def missing_dependencies(self) -> list[tuple[Migration, Key, int | None]]:
        """(migration, (app, name), line) for each reference to a migration of a local app that
        does not exist (after squashed migrations have replaced theirs)."""
        return list(self._missing)

    def partial_squashes(self) -> list[PartialSquash]:
        return list(self._partial)

    def cycles(self) -> list[list[Key]]:
        """One cycle (in dependency order) for each strongly connected group of migrations;
        Django refuses to build a plan for any of them (CircularDependencyError)."""
        real = {k for k, n in self._nodes.items() if n.migration is not None}
        out: list[list[Key]] = []
        for component in _strongly_connected(real, lambda k: self._nodes[k].parents):
            if len(component) == 1:
                (only,) = component
                if only not in self._nodes[only].parents:
                    continue
            out.append(self._cycle_in(component))
        out.sort()
        return out

    def _cycle_in(self, component: set[Key]) -> list[Key]:
        """A concrete cycle through the smallest node of a strongly connected component."""
        start = min(component)
        # breadth-first search over parent edges, back to `start`
        previous: dict[Key, Key] = {}
        queue = [start]
        seen = {start}
        for current in queue:
            for parent in sorted(self._nodes[current].parents):
                if parent == start:
                    path = [current]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    # `path` runs from `current` (which depends on `start`) back to `start`,
                    # each node depended on by the next; reversed, each migration is followed
                    # by one it depends on, and the last one depends on `start`
                    return list(reversed(path))
                if parent in component and parent not in seen:
                    seen.add(parent)
                    previous[parent] = current
                    queue.append(parent)
        return sorted(component)


def _strongly_connected(nodes: set[Key], edges) -> list[set[Key]]:
    """Tarjan's algorithm, iterative (migration chains can be thousands long)."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    on_stack: set[Key] = set()
    stack: list[Key] = []
    out: list[set[Key]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[Key, list[Key]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, sorted(e for e in edges(root) if e in nodes)))
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(e for e in edges(nxt) if e in nodes)))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[Key] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def is_migration_name(name: str) -> bool:
    """Django loads every module of the folder except those starting with `_` or `~`."""
    return bool(name) and name[0] not in "_~"


def migrations_of(app: App) -> list[Migration]:
    return [m for m in app.migrations if is_migration_name(m.name)]


def _opaque(project: ProjectModel, migration: Migration) -> bool:
    """True when the Migration class declares its edges in a way the project model could not
    read as literals (computed lists, inheritance, changes made after the class): read by
    discovery from the same parse as the edges."""
    return migration.opaque


def _swappable_key(project: ProjectModel, text: str) -> Key | None:
    """Django's swappable_dependency(value) is (value's app label, "__first__")."""
    if "AUTH_USER_MODEL" not in text:
        return None
    try:
        value = project.settings.get("AUTH_USER_MODEL", "auth.User")
    except Exception:  # the settings model must never break the graph
        return None
    if not isinstance(value, str) or "." not in value:
        return None
    return value.split(".", 1)[0], "__first__"


def build_graph(project: ProjectModel) -> MigrationGraph:
    """The migration graph of the project's local apps. Never raises."""
    graph = MigrationGraph()
    apps = list(project.apps)
    graph.local_apps = {a.label for a in apps}
    # an app is "migrated" for Django when it has a migrations package (even an empty one)
    migrated = {a.label for a in apps if a.migrations_rel is not None}
    disk: dict[Key, Migration] = {}
    for app in apps:
        for migration in migrations_of(app):
            if len(disk) >= _MAX_NODES:
                break
            disk.setdefault((app.label, migration.name), migration)
    for key, migration in disk.items():
        graph._add_node(key, migration)
        if migration.problem is not None or _opaque(project, migration):
            graph.uncertain_apps.add(key[0])

    def resolve(dep: Key, current_app: str) -> Key | None:
        app_label, name = dep
        if app_label == "__setting__":
            swapped = _swappable_key(project, name)
            if swapped is None:
                return None
            app_label, name = swapped
        if app_label not in graph.local_apps:
            return None  # django.contrib or third-party: not in the repository
        if name not in ("__first__", "__latest__") or (app_label, name) in graph._nodes:
            return app_label, name
        if app_label == current_app or app_label not in migrated:
            return None  # ignored by Django (#22325), or an unmigrated app
        found = graph.root_nodes(app_label) if name == "__first__" else graph.leaves(app_label)
        if found:
            return app_label, found[0]
        # Django: ValueError("Dependency on app with no migrations: ...")
        return app_label, name

    # same-app edges first, so __first__ of other apps finds the right root (as Django does)
    for key, migration in disk.items():
        for dep in migration.dependencies:
            if dep[0] == key[0] and dep[1] != "__first__":
                graph._add_edge(key, dep, migration, migration.dependency_lines.get(dep))
    for key, migration in disk.items():
        for dep in migration.dependencies:
            if dep[0] == key[0]:
                continue
            parent = resolve(dep, key[0])
            if parent is not None:
                graph._add_edge(key, parent, migration, migration.dependency_lines.get(dep))
        for before in migration.run_before:
            child = resolve(before, key[0])
            if child is not None:
                graph._add_edge(child, key, migration, None)
    for key, migration in disk.items():
        if not migration.replaces:
            continue
        present = [r for r in migration.replaces if r in disk]
        missing = [r for r in migration.replaces if r not in disk]
        if present and missing:
            graph._partial.append(PartialSquash(migration, present, missing))
        graph._remove_replaced_nodes(key, migration.replaces)
    for key, node in graph._nodes.items():
        if node.migration is not None:
            continue
        seen: set[tuple[str, Key]] = set()
        for origin, line in node.origins:
            if (origin.rel, key) in seen:
                continue
            seen.add((origin.rel, key))
            graph._missing.append((origin, key, line))
            if key[0] == origin.app_label:
                # the app's chain is broken there, so it shows an extra leaf: Django reports
                # the missing migration first, and fixing it removes that leaf
                graph.uncertain_apps.add(key[0])
    graph._missing.sort(key=lambda t: (t[0].rel, t[2] or 0, t[1]))
    return graph
