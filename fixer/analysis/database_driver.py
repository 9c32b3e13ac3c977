"""The database driver the settings need: which package provides it, and whether the project's
dependencies name one.

Django's PostgreSQL and MySQL backends import a driver the project installs itself. A project
that ran where a driver came with the machine (the distribution's `python3-psycopg2`, a base
image that had it) declares none, and the image built from its dependency file fails at its
first connection ("Error loading psycopg2 or psycopg module"). The generated Dockerfile's plan
declares the driver this module names, and `djfix verify --install` installs the same one, so
what verify proves is what the image runs.

The database comes from discovery's services: the ENGINE the settings name, or the scheme of a
DATABASE_URL's default. An engine the environment picks tells nothing, so nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixer.project import ProjectModel

#: database kind -> the packages any one of which gives Django's backend its driver
DRIVER_PACKAGES: dict[str, tuple[str, ...]] = {
    "postgresql": (
        "psycopg",
        "psycopg-binary",
        "psycopg-c",
        "psycopg2",
        "psycopg2-binary",
        "psycopg2cffi",
    ),
    "mysql": ("mysqlclient", "pymysql", "mysql-connector-python"),
}
#: engines that bring a driver of their own rather than the one Django's backend imports
_OWN_DRIVER = ("mysql.connector",)
_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL"}


@dataclass(frozen=True)
class MissingDriver:
    """A database the settings use whose driver the dependencies do not name."""

    kind: str  # postgresql, mysql
    #: the package to declare, as written in a dependency file (`psycopg[binary]`)
    package: str
    #: where the settings name the database (`DATABASES['default']`, ledger/settings.py:63)
    setting: str
    rel: str | None
    line: int | None

    @property
    def label(self) -> str:
        return _LABELS.get(self.kind, self.kind)

    @property
    def where(self) -> str:
        if self.rel is None:
            return self.setting
        return f"{self.setting}, {self.rel}" + (f":{self.line}" if self.line else "")


def driver_package(kind: str, django: tuple[int, ...] | None) -> str | None:
    """The package djfix declares for a database kind: PostgreSQL gets psycopg 3 with its
    bundled libpq where Django supports it (4.2 and later, or a Django newer than djfix knows),
    else psycopg2-binary; MySQL gets mysqlclient (built from source: the image's builder
    installs its headers). None for a kind without a driver djfix knows."""
    if kind == "postgresql":
        if django is None or tuple(django[:2]) >= (4, 2):
            return "psycopg[binary]"
        return "psycopg2-binary"
    if kind == "mysql":
        return "mysqlclient"
    return None


def names_driver(project: ProjectModel, kind: str) -> bool:
    """The project's dependencies name a driver for `kind`."""
    return project.has_package(*DRIVER_PACKAGES.get(kind, ()))


def missing_drivers(*projects: ProjectModel) -> list[MissingDriver]:
    """One entry per database kind the settings of any of `projects` use (the project as found,
    the project as the plans leave it: a rewritten DATABASES can hide the engine) whose driver
    the first project's dependencies do not name."""
    if not projects:
        return []
    first = projects[0]
    django = first.django_pin or first.django_version
    out: dict[str, MissingDriver] = {}
    for project in projects:
        for service in project.services:
            kind = service.kind
            if service.role != "database" or kind in out or kind not in DRIVER_PACKAGES:
                continue
            if _brings_own_driver(project, service.setting) or names_driver(first, kind):
                continue
            package = driver_package(kind, django)
            if package is not None:
                out[kind] = MissingDriver(kind, package, service.setting, service.rel, service.line)
    return list(out.values())


def _brings_own_driver(project: ProjectModel, setting: str) -> bool:
    """The alias's ENGINE is a third-party backend with a driver of its own
    (`mysql.connector.django`)."""
    databases = project.settings.get("DATABASES")
    if not isinstance(databases, dict):
        return False
    for alias, conf in databases.items():
        if setting == f"DATABASES[{alias!r}]" and isinstance(conf, dict):
            engine = conf.get("ENGINE")
            return isinstance(engine, str) and engine.startswith(_OWN_DRIVER)
    return False
