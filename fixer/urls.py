"""Static reading of a Django URLconf: every route, where it is written, and whether it exists
only when DEBUG is True.

The reader starts at ``ROOT_URLCONF`` and follows ``include()`` into the repository's own modules,
never importing them. It understands the spellings of Django 1.8 to 6.x:

- ``urlpatterns = [...]``, ``urlpatterns += [...]``, ``.append()``, ``.extend()``, ``.insert()``,
  list concatenation and names bound to lists (``api_patterns = [...]``);
- ``path()``, ``re_path()``, ``url()`` and the very old ``patterns('prefix', url(...),
  (r'^x/$', 'view'))`` with string views and tuple entries;
- ``include("app.urls")``, ``include(("app.urls", "ns"))``, ``include(module)``,
  ``include([...])`` and a bare list or ``([...], "app")`` tuple as a view;
- ``i18n_patterns(...)`` (a language prefix, optional when ``prefix_default_language=False``);
- ``static(...)``, ``staticfiles_urlpatterns()`` and routes to ``django.views.static.serve``
  (collected in ``static_helpers``);
- ``if settings.DEBUG:`` blocks, their ``else`` branches, ``if not settings.DEBUG:`` and
  ``x if settings.DEBUG else []``: entries added there are marked ``debug_only``.

Any other condition (``if settings.SERVE_MEDIA:``) is read as "may run in production": both
branches count and nothing is marked DEBUG-only.

Constructs the reader cannot follow (urlpatterns built at run time, includes of modules it
cannot find, files that do not parse) are listed in ``UrlConf.unknown``; `read_urlconf` never
raises.

The routes and their matching are in `fixer.url_patterns`; one module's entries, before its
includes are followed, in `fixer.urlconf_module`.
"""

from __future__ import annotations

import weakref

from fixer.project import ProjectModel
from fixer.sources import is_dir, is_file
from fixer.url_patterns import OpaqueInclude, Part, Problem, StaticHelper, UrlConf, make_route
from fixer.urlconf_module import Entry, IncludeEntry, RouteEntry, StaticEntry, UrlModule

#: bounds that keep a pathological URLconf from costing more than a few milliseconds
MAX_DEPTH = 12
MAX_MODULES = 300
MAX_ROUTES = 20000

SERVE_VIEW = "django.views.static.serve"

#: third-party URLconfs whose routes are known, so a health package mounted at "health/"
#: counts without reading site-packages
KNOWN_EXTERNAL: dict[str, tuple[tuple[str, str], ...]] = {
    "health_check.urls": (("path", ""),),
    "watchman.urls": (
        ("regex", r"^$"),
        ("regex", r"^dashboard/$"),
        ("regex", r"^ping/$"),
        ("regex", r"^bare-status/$"),
    ),
}


# ---------------------------------------------------------------------------------------------
# following includes


class _Reader:
    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self.modules: dict[str, UrlModule | None] = {}
        self.evaluating: set[str] = set()
        self.result = UrlConf(root=project.root_urlconf)
        self._problem_keys: set[Problem] = set()

    def find(self, dotted: str):
        try:
            return self.project.module_path(dotted)
        except (OSError, ValueError):
            return None

    def module(self, dotted: str) -> UrlModule | None:
        """The evaluated module, or None when it is not a parsable file of the repository
        (the reason is recorded by the caller or here)."""
        if dotted in self.modules:
            return self.modules[dotted]
        if dotted in self.evaluating or len(self.modules) >= MAX_MODULES:
            return None
        path = self.find(dotted)
        if path is None:
            self.modules[dotted] = None
            return None
        f = self.project.cache.python(path)
        tree = f.tree
        if tree is None:
            message = f.problem.message if f.problem else "cannot be read"
            line = f.problem.line if f.problem else None
            self.add_problem((f.rel, line, f"{f.rel} {message}"))
            self.modules[dotted] = None
            return None
        if f.rel not in self.result.files:
            self.result.files.append(f.rel)
        package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
        self.evaluating.add(dotted)
        try:
            mod = UrlModule(self, dotted, tree, f.rel, package)
        except RecursionError:
            self.add_problem((f.rel, None, f"{f.rel} is nested too deeply for djfix to read"))
            mod = None
        finally:
            self.evaluating.discard(dotted)
        self.modules[dotted] = mod
        return mod

    def variable(self, module: str, name: str) -> tuple[list[Entry], list[Problem]] | None:
        mod = self.module(module)
        if mod is None:
            return None
        return mod.env.get(name)

    def add_problem(self, problem: Problem) -> None:
        if problem not in self._problem_keys:
            self._problem_keys.add(problem)
            self.result.problems.append(problem)

    def run(self) -> UrlConf:
        project = self.project
        dotted = project.root_urlconf
        where = project.settings.where("ROOT_URLCONF")
        settings_rel = where.path if where else project.settings.rel
        settings_line = where.line if where else None
        if dotted is None:
            if where is None:
                reason = "ROOT_URLCONF is not set in the production settings"
            else:
                reason = "ROOT_URLCONF is not a string djfix can read"
            self.add_problem((settings_rel, settings_line, reason))
            return self.result
        path = self.find(dotted)
        if path is None:
            self.add_problem(
                (
                    settings_rel,
                    settings_line,
                    f"ROOT_URLCONF {dotted!r} is not a module of this repository",
                )
            )
            return self.result
        self.result.root_rel = project.rel(path)
        mod = self.module(dotted)
        if mod is None:
            return self.result
        self.result.root_line = mod.first_line or 1
        self._follow_module(mod, (), False, 0, (dotted,))
        return self.result

    def _follow_module(
        self,
        mod: UrlModule,
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        for problem in mod.problems:
            self.add_problem(problem)
        if "urlpatterns" not in mod.env:
            self.add_problem((mod.rel, None, f"{mod.dotted} defines no urlpatterns djfix can read"))
            return
        entries, deferred = mod.env["urlpatterns"]
        for problem in deferred:
            self.add_problem(problem)
        self._follow(entries, prefix, debug, depth, stack)

    def _follow(
        self,
        entries: list[Entry],
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        result = self.result
        for entry in entries:
            if len(result.routes) >= MAX_ROUTES:
                return
            d = debug or entry.debug
            if isinstance(entry, RouteEntry):
                parts = (*prefix, entry.part)
                route = make_route(
                    parts,
                    entry.view,
                    d,
                    entry.rel,
                    entry.line,
                    entry.column,
                    entry.name,
                    entry.view_target,
                )
                result.routes.append(route)
                if entry.view_target == SERVE_VIEW:
                    result.static_helpers.append(
                        StaticHelper("serve", route.url, d, entry.rel, entry.line, entry.column)
                    )
            elif isinstance(entry, StaticEntry):
                result.static_helpers.append(
                    StaticHelper(entry.kind, entry.text, d, entry.rel, entry.line, entry.column)
                )
            else:
                self._follow_include(entry, prefix, d, depth, stack)

    def _follow_include(
        self,
        entry: IncludeEntry,
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        parts = prefix
        if entry.part is not None and not (entry.part.kind == "path" and entry.part.text == ""):
            parts = (*prefix, entry.part)
        if depth >= MAX_DEPTH:
            self.add_problem(
                (
                    entry.rel,
                    entry.line,
                    f"includes nest deeper than {MAX_DEPTH} levels; djfix stops following them",
                )
            )
            return
        if entry.kind == "inline":
            self._follow(entry.entries, parts, debug, depth + 1, stack)
            return
        if entry.kind == "opaque":
            self.result.opaque.append(
                OpaqueInclude(entry.target, entry.reason, debug, entry.rel, entry.line, parts)
            )
            return
        dotted = entry.target
        if dotted in stack:
            chain = " -> ".join((*stack[stack.index(dotted) :], dotted))
            self.add_problem((entry.rel, entry.line, f"include cycle: {chain}"))
            return
        mod = self.module(dotted)
        if mod is not None:
            self._follow_module(mod, parts, debug, depth + 1, (*stack, dotted))
            return
        path = self.find(dotted)
        if path is not None:
            return  # exists but does not parse: recorded by module()
        if dotted in KNOWN_EXTERNAL:
            for kind, text in KNOWN_EXTERNAL[dotted]:
                self.result.routes.append(
                    make_route(
                        (*parts, Part(kind, text)),
                        f"include({dotted!r})",
                        debug,
                        entry.rel,
                        entry.line,
                        1,
                        None,
                        dotted,
                    )
                )
            return
        reason: str | None
        if dotted.startswith("django."):
            reason = None  # Django's own URLconfs (auth, admindocs, i18n) route no app views
        elif self._is_local(dotted):
            reason = f"include({dotted!r}): no module {dotted} in this repository"
        else:
            reason = (
                f"include({dotted!r}) reads a URLconf outside this repository, "
                "which djfix does not read"
            )
        self.result.opaque.append(
            OpaqueInclude(dotted, reason, debug, entry.rel, entry.line, parts)
        )

    def _is_local(self, dotted: str) -> bool:
        top = dotted.split(".")[0]
        root = self.project.source_root
        try:
            return is_dir(root / top) or is_file(root / f"{top}.py")
        except OSError:
            return False


# one reading per project: several checks ask for it
_CACHE: dict[int, tuple[weakref.ref, UrlConf]] = {}


def read_urlconf(project: ProjectModel) -> UrlConf:
    """Every route reachable from ROOT_URLCONF. Never raises: what cannot be read is listed
    in `unknown`."""
    key = id(project)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is project:
        return cached[1]
    try:
        conf = _Reader(project).run()
    except Exception as exc:  # a reader bug must degrade to "could not follow", not a crash
        where = project.settings.where("ROOT_URLCONF")
        conf = UrlConf(root=project.root_urlconf)
        conf.problems.append(
            (
                where.path if where else None,
                where.line if where else None,
                f"djfix could not read the URLconf ({type(exc).__name__}: {exc})",
            )
        )
    try:
        ref = weakref.ref(project, lambda _ref, key=key: _CACHE.pop(key, None))
        _CACHE[key] = (ref, conf)
    except TypeError:
        pass
    return conf
