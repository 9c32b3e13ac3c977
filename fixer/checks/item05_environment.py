"""Item 5: configuration comes only from environment variables, through django-environ.

## What it checks
- `literal-secret` (DJ050): a secret written into a settings module that is committed (every
  module of the settings package counts, development modules too, unless `.gitignore` keeps the
  file out of the repository). A secret is a non-empty string assigned to `SECRET_KEY`, to a
  name ending in `_KEY`, `_SECRET`, `_TOKEN`, `_PASSWORD`, `_PASSWD` or `_PASS` (or named
  `SECRET`, `TOKEN`, `PASSWORD`), to an entry of `SECRET_KEY_FALLBACKS`, also as a key of a
  nested dict (`DATABASES[...]["PASSWORD"]`);
  a URL with a password (`redis://:pw@host`, `amqp://user:pw@host`) in any setting; a `*_DSN`
  URL with a user part (`https://key@sentry.io/1`). The default of an environment read counts
  too (`config("SECRET_KEY", default="...")`): the default is in the repository. Public keys
  (names with `PUBLIC`, `PUBLISHABLE`, `SITE_KEY`, `VERIFYING_KEY`) and keys that are not
  secrets (`PRIMARY_KEY`, `CACHE_KEY`, `SORT_KEY`, `LOOKUP_KEY`, `ERRORS_KEY`) are not reported.
  Each secret is reported at its line; the message never shows the value. A secret written as
  a class attribute is reported too, as not fixable (djfix rewrites module-level settings).
  Secrets written into the `environment:` of a committed compose file are reported too
  (`POSTGRES_PASSWORD: s3cret`; a `${VAR}` interpolation is fine). A switch about a password
  (`MARIADB_RANDOM_ROOT_PASSWORD: "1"`, `MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`: a name with
  RANDOM, ALLOW, EMPTY, SKIP, GENERATE, NO, ENABLE or DISABLE and a value such as 1, yes, true)
  and the path of the file holding one (`POSTGRES_PASSWORD_FILE: /run/secrets/db`) are not
  secrets.
  A value set only in a branch that runs in CI or in a test run
  (`if os.environ.get("GITHUB_ACTIONS"):`, `if "test" in sys.argv:`) is not reported: it is the
  password of a throwaway CI database, not a deployment's secret, and rotating it protects nothing.
- `literal-config` (DJ051): in the production settings, `DEBUG`, `ALLOWED_HOSTS`, the `HOST`,
  `NAME` and `USER` of a `DATABASES` entry (SQLite excepted), the `LOCATION` of a Redis or
  Memcached cache, and the location of any other networked service (a Celery broker, a channel
  layer, Elasticsearch, ...) written as literals instead of read from the environment. One
  finding per setting; values set only in development modules are not reported.
- `os-environ-in-settings` (DJ052): a settings module reads `os.environ[...]`,
  `os.environ.get()` or `os.getenv()`; one finding per setting (with the number of reads), or
  per line for reads outside an assignment. A call to the project's own reader function
  (`envbool("DEBUG", "True")` around `os.getenv`, see item 9) is a read too: it is listed in
  `.env.example`, but neither reported here nor rewritten (its checks are the author's), and a
  secret default passed to it is reported with no fix.
- `decouple-in-settings` (DJ053) and `environs-in-settings` (DJ054): a settings module reads the
  environment with python-decouple's `config()` or with environs; one finding per file, at its
  first read.
- `env-file-mounted` (DJ055): a compose service bind-mounts a `.env` file (`.env`, `.env.prod`,
  `prod.env`) or a settings module or package (`settings.py`, `local_settings.py`, a
  `settings/` folder, or a file of the project's settings) into a container. `env_file:` is
  fine: it turns the file into environment variables.
- `django-environ-missing` (DJ056): the settings import django-environ (`import environ`) but
  no dependency file declares `django-environ`. Settings that read the environment another way
  are already reported by DJ052 to DJ054, whose fix adds the dependency; without any
  dependency file djfix cannot tell, and stays silent.

- `settings-from-local-file` (DJ057): the settings read their configuration from a module beside
  them that git ignores and whose template is committed (`configuration.py` copied from
  `configuration_example.py`, `local_settings.py` from `local_settings.py.example`): each
  installation writes it, so the repository does not start as cloned and a deployment mounts a
  file. An import of it inside a `try` that carries on without it (an optional local override)
  is not reported. Settings that load it by name with a loader of their own
  (`importlib.import_module`, `__import__`, often of a module an environment variable names)
  are reported with no fix, naming the module and the variable.

- `settings-from-config-file` (DJ058): the settings parse a configuration file at import
  (`SECRETS = json.load(open(BASE_DIR / "secrets.json"))`, `yaml.safe_load`, `tomllib.load`, a
  `ConfigParser`'s `read`) and take settings from it: each deployment writes or mounts the file.
  A file under `/run/secrets` or named by an environment variable (one secret handed over by the
  platform) is not reported, nor a file read inside a function.

DJ050 and DJ051 judge only values written as literals: a value computed at run time (read from a
file, built by a function) is not reported. A settings module that does not parse is skipped
(DJ900 reports it).

## Why it matters
One image should run unchanged in every environment, with everything that differs (secrets,
hosts, debug) given by the environment. A secret in a settings file is in the repository's
history forever and in every image built from it: anyone with read access to either can use it,
and rotating it means a code change. Hard-coded hosts and `DEBUG` force a rebuild or a settings
file per environment. Mounting a `.env` or settings file into the container makes the image
depend on a file on the host that nobody versions or reviews. Reading variables through
django-environ casts and validates them in one place (`env.bool`, `env.list`, `env.db`), where
`os.environ.get("DEBUG", False)` silently turns `"False"` into a true value.

## Example
```diff
+import environ
+from pathlib import Path
+
+env = environ.Env()
+# A local .env is read when there is one (keep it out of git); in production the
+# settings come from real environment variables.
+_parents = Path(__file__).resolve().parents
+_env_file = _parents[min(1, len(_parents) - 1)] / ".env"
+if _env_file.is_file():
+    environ.Env.read_env(str(_env_file))
+
-SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
-DEBUG = True
-ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")
+SECRET_KEY = env("SECRET_KEY")
+DEBUG = env.bool("DEBUG", default=False)
+ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
 DATABASES = {
-    "default": {
-        "ENGINE": "django.db.backends.postgresql",
-        "NAME": "shop",
-        "HOST": "db",
-        "PASSWORD": "s3cret",
-    }
+    "default": env.db("DATABASE_URL", default="postgres://db/shop")
 }
```

## Fix safety
Unsafe, because the deployment must now provide what the code held: SECRET_KEY has no default
(the start fails until it is set), other secrets default to empty, DEBUG defaults to False and
configuration keeps its old non-secret value as the default. Reads through `os.environ`,
`os.getenv`, python-decouple and environs keep their default and its meaning: a number or bool
default is read with `env.int` / `env.float` / `env.bool` (django-environ would otherwise cast to
the default's type by itself), any other non-string default with `env.str` (a `Path` default
becomes its string), `.split(" ")` of an unset variable reads `""` and keeps its separator.
`strtobool(os.environ.get("X", "False"))` (distutils', removed in Python 3.12, or a project's own
of that name; also inside `bool()` or with `or "False"`) becomes `env.bool("X", default=False)`,
and the distutils import goes; django-environ reads "t" as false where strtobool read it as true,
and an unknown word as false where strtobool raised. A default strtobool itself would reject
stays as written.
DEBUG is read with `env.bool(..., default=False)` whatever the old form
(`bool(os.environ.get(...))`, `== "True"`, `env.str(...)`: the string "False" is true), and the
summary says so; SECRET_KEY
keeps the variable name it was read from and loses an empty or None default, unless the module
makes a key itself when the read gives none (`if not SECRET_KEY: SECRET_KEY = ...`). A URL
default with credentials keeps the URL without them. A secret inside a dictionary other than
DATABASES and a cache's LOCATION (`SOCIALACCOUNT_PROVIDERS`, a `DBCONFIG` dictionary) is
reported with no fix: read it with `env(...)` by hand. Helper modules the
settings import are rewritten too; a DATABASES chosen by `if`/`else` yields to DATABASE_URL when
it is set. `.env.example` lists every variable the settings read, with an example its read
parses; an optional variable without one is shown commented out (`# NAME=`). The old
development values move into an untracked, git-ignored `.env`, so local development keeps
working; `.env.example` lists every variable with a placeholder; the secrets that were
committed are listed to be rotated: they stay in the git history. Settings inside `if`/`try`
blocks and test or CI settings modules are left alone, and so is a module that binds the name
`env` itself (`env = os.environ`, `def env(...)`): its reads through that name are reported, with
the line of the binding to rename; no item writes django-environ reads there. A module on
environs stays on it, with the calls named, where it or a module star-importing it reads what
django-environ's Env lacks or reads differently (`env.decimal`, `env.log_level`, `subcast=`, a
`pathlib.Path` from `env.path`, `Env(expand_vars=True)`). A compose file's
literal secrets (at the root, or in a subfolder and building from the code) become `${VAR}`
references and its `.env` and settings mounts `env_file`, except in a development compose file,
which is left as it is (item 4 says which files are). DJ058 has no automatic fix: what the
configuration file holds, and under which keys, is the project's own.

A module each installation writes (DJ057, `from .local_settings import *` of a git-ignored
`local_settings.py`) gets a committed stand-in beside it, `local_settings_env.py` (the ignored
module's name and `_env`: it sorts beside it and its template and matches no ignore of the
installation's file): the template (`local_settings.py.example`) with its secrets and
configuration read from the environment as above, its variables in `.env.example`. The import
becomes:
```python
try:
    from .local_settings import *  # noqa: F401,F403
except ModuleNotFoundError as exc:
    if exc.name != f"{__package__}.local_settings":
        raise  # an import inside local_settings.py failed: that error is its own
    # no local_settings.py in this installation: the same settings, read from the
    # environment by local_settings_env.py
    from .local_settings_env import *
```
so an installation that has its file keeps it, and a clone or a container reads the
environment (`from . import local_settings` is guarded with `importlib.util.find_spec`, as its
error names the package). No fix where the import is inside a block or repeated, where the
template star-imports a module, reads a name it does not define, holds a value djfix does not
rewrite, or where `local_settings_env.py` exists or is ignored: the finding says which.

## Options
None.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from codemods.env_calls import is_flag_name
from fixer import rule_codes
from fixer.analysis.config_files import config_file_reads
from fixer.analysis.gitignore import GitIgnore
from fixer.analysis.local_config import local_modules
from fixer.analysis.settings_secrets import SecretScanner, masked_url, secret_kind, setting_label
from fixer.checks import rule
from fixer.discovery.services import cache_kind
from fixer.discovery.settings_modules import is_test_settings
from fixer.findings import Finding, Fix, FixSafety, Severity
from fixer.fixes.item05_local_settings import local_plan
from fixer.project import ProjectModel
from fixer.settings_helpers import DROP_DEFAULT, default_left_reason
from fixer.settings_values import (
    EnvDict,
    EnvHelper,
    EnvRef,
    EnvUse,
    SettingsModule,
    Unknown,
    is_literal,
)

ITEM = 5
TITLE = "Configuration from the environment"

LITERAL_SECRET = rule(
    __name__,
    rule_codes.LITERAL_SECRET,
    "literal-secret",
    ITEM,
    Severity.ERROR,
    "A secret (key, password, token, URL with credentials) is committed in a settings module.",
    FixSafety.UNSAFE,
)
LITERAL_CONFIG = rule(
    __name__,
    rule_codes.LITERAL_CONFIG,
    "literal-config",
    ITEM,
    Severity.WARNING,
    "DEBUG, ALLOWED_HOSTS or a service location is hard-coded in the production settings.",
    FixSafety.UNSAFE,
)
OS_ENVIRON = rule(
    __name__,
    rule_codes.OS_ENVIRON_IN_SETTINGS,
    "os-environ-in-settings",
    ITEM,
    Severity.WARNING,
    "Settings read os.environ directly instead of through django-environ.",
    FixSafety.SAFE,
)
DECOUPLE = rule(
    __name__,
    rule_codes.DECOUPLE_IN_SETTINGS,
    "decouple-in-settings",
    ITEM,
    Severity.WARNING,
    "Settings read the environment with python-decouple instead of django-environ.",
    FixSafety.SAFE,
)
ENVIRONS = rule(
    __name__,
    rule_codes.ENVIRONS_IN_SETTINGS,
    "environs-in-settings",
    ITEM,
    Severity.WARNING,
    "Settings read the environment with environs instead of django-environ.",
    FixSafety.SAFE,
)
ENV_FILE_MOUNTED = rule(
    __name__,
    rule_codes.ENV_FILE_MOUNTED,
    "env-file-mounted",
    ITEM,
    Severity.WARNING,
    "A compose service bind-mounts a .env file or a settings module into the container.",
)
ENVIRON_MISSING = rule(
    __name__,
    rule_codes.DJANGO_ENVIRON_MISSING,
    "django-environ-missing",
    ITEM,
    Severity.ERROR,
    "The settings import django-environ, but no dependency file declares it.",
    FixSafety.SAFE,
)
LOCAL_FILE = rule(
    __name__,
    rule_codes.SETTINGS_FROM_LOCAL_FILE,
    "settings-from-local-file",
    ITEM,
    Severity.WARNING,
    "The settings read their configuration from a module git ignores, copied from a template.",
    FixSafety.UNSAFE,
)
CONFIG_FILE = rule(
    __name__,
    rule_codes.SETTINGS_FROM_CONFIG_FILE,
    "settings-from-config-file",
    ITEM,
    Severity.WARNING,
    "The settings read their configuration from a JSON, YAML, TOML or INI file at import.",
    FixSafety.NONE,
    "no automatic fix: the file's keys and what they mean are the project's own; read each "
    "value a deployment sets from the environment",
)
RULES = [
    LITERAL_SECRET,
    LITERAL_CONFIG,
    OS_ENVIRON,
    DECOUPLE,
    ENVIRONS,
    ENV_FILE_MOUNTED,
    ENVIRON_MISSING,
    LOCAL_FILE,
    CONFIG_FILE,
]
OPTIONS: dict = {}


def applies(project: ProjectModel) -> bool:
    return True


# -- DJ050: literal secrets ----------------------------------------------------------------------


def _settings_files(project: ProjectModel) -> list[SettingsModule]:
    seen: set[str] = set()
    out: list[SettingsModule] = []
    for module in project.settings_modules.values():
        if is_test_settings(module.dotted) and module.dotted != project.production_module:
            continue  # test and CI settings hold fixtures, not secrets
        if module.rel and module.rel not in seen and module.file is not None:
            seen.add(module.rel)
            out.append(module)
    return out[:100]


def _env_positions(project: ProjectModel) -> dict[tuple[str, int, int], EnvHelper | None]:
    """Where the settings read the environment, with the project's own reader where a call to
    one reads it."""
    return {
        (use.path, use.line, use.column): use.ref.helper if use.ref is not None else None
        for module in project.settings_modules.values()
        for use in module.env_uses
    }


def _compose_secrets(project: ProjectModel, gitignore: GitIgnore) -> Iterator[Finding]:
    """Secrets written into a committed compose file's `environment:`."""
    for compose in project.compose_files[:20]:
        if gitignore.ignored(compose.path):
            continue
        lines: list[str] | None = None
        for service in compose.services[:100]:
            for key, value in list(service.environment.items())[:500]:
                if not value or "$" in value:
                    continue  # unset, or interpolated from the host's environment
                kind = secret_kind((key,), None, value)
                if kind is None:
                    continue
                if lines is None:
                    lines = (
                        project.cache.text(project.root / compose.path).text or ""
                    ).splitlines()
                yield Finding(
                    LITERAL_SECRET,
                    f"{key} of service {service.name!r} in {compose.path} is a secret written "
                    f"in the file ({kind}): take it from the environment (${{{key}}}) or an "
                    "untracked env_file, and rotate the value",
                    compose.path,
                    _line_of(lines, key, service.line),
                    fix=Fix(
                        FixSafety.NONE,
                        "djfix does not rewrite compose files: move the value "
                        "to an untracked env_file and rotate it",
                    ),
                )


def _literal_secrets(project: ProjectModel) -> Iterator[Finding]:
    gitignore = GitIgnore(project)
    yield from _compose_secrets(project, gitignore)
    positions = _env_positions(project)
    seen: set[tuple[str, int, int]] = set()
    for module in _settings_files(project):
        rel = module.rel
        tree = module.file.tree if module.file is not None else None
        if rel is None or tree is None or gitignore.ignored(rel):
            continue
        scanner = SecretScanner(rel, positions)
        scanner.statements(tree.body)
        for s in scanner.found:
            if (rel, s.line, s.column) in seen:
                continue
            seen.add((rel, s.line, s.column))
            label = setting_label(s.ctx)
            if s.default:
                message = (
                    f"{label} in {rel} has a committed default that is a secret ({s.kind}): "
                    "drop the default so only the environment provides it, and rotate the value"
                )
            else:
                suggestion = (
                    'env.db("DATABASE_URL")'
                    if s.ctx[0] == "DATABASES"
                    else f'env("{_variable_for(s.ctx)}")'
                )
                message = (
                    f"{label} in {rel} is a secret written in the file ({s.kind}): read it from "
                    f"the environment with {suggestion}, and rotate the value"
                )
            fix = None
            if s.helper is not None:
                fix = Fix(FixSafety.NONE, default_left_reason(s.helper, DROP_DEFAULT))
            elif not s.default and _inside_other_dictionary(s.ctx):
                fix = Fix(
                    FixSafety.NONE,
                    "it is a value inside a dictionary: djfix rewrites whole settings, "
                    "DATABASES and a cache's LOCATION, so read it with env(...) by hand",
                )
            if s.owner is not None:
                label = f"{label} (an attribute of class {s.owner})"
                message = message.replace(setting_label(s.ctx), label, 1)
                fix = Fix(
                    FixSafety.NONE,
                    f"it is an attribute of class {s.owner}: djfix rewrites module-level "
                    "settings only, so read it with env(...) in the class by hand",
                )
            yield Finding(LITERAL_SECRET, message, rel, s.line, s.column, fix)


# -- DJ051: hard-coded configuration in production -----------------------------------------------


def _literal_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _literal_config(project: ProjectModel) -> Iterator[Finding]:
    s = project.settings
    for name, how in (
        ("DEBUG", 'env.bool("DEBUG", default=False)'),
        ("ALLOWED_HOSTS", 'env.list("ALLOWED_HOSTS")'),
    ):
        where = s.where(name)
        if where is None or where.conditional or not is_literal(where.value):
            continue
        yield Finding(
            LITERAL_CONFIG,
            f"{name} is hard-coded in {where.path}: read it with {how} so each environment "
            "sets its own value",
            where.path,
            where.line,
        )
    where = s.where("DATABASES")
    databases = where.value if where is not None else None
    if where is not None and isinstance(databases, dict) and not where.conditional:
        parts: list[str] = []
        for alias, conf in list(databases.items())[:50]:
            if not isinstance(conf, dict):
                continue
            engine = conf.get("ENGINE")
            if isinstance(engine, str) and "sqlite" in engine.lower():
                continue
            keys = [k for k in ("HOST", "NAME", "USER") if _literal_str(conf.get(k))]
            if keys:
                parts.append(f"{', '.join(keys)} of {alias!r}")
        if parts:
            yield Finding(
                LITERAL_CONFIG,
                f"DATABASES hard-codes the {'; '.join(parts)} in {where.path}: read the "
                'connection from the environment with env.db("DATABASE_URL")',
                where.path,
                where.line,
            )
    where = s.where("CACHES")
    caches = where.value if where is not None else None
    if where is not None and isinstance(caches, dict) and not where.conditional:
        aliases: list[str] = []
        redis = False
        for alias, conf in list(caches.items())[:50]:
            if not isinstance(conf, dict) or isinstance(conf, EnvDict):
                continue
            backend = conf.get("BACKEND")
            backend = backend.lower() if isinstance(backend, str) else ""
            location = conf.get("LOCATION")
            # LocMemCache's name contains "memcache": test it first
            kind = None if "locmem" in backend else cache_kind(backend)
            networked = kind in ("redis", "memcached") or "pylibmc" in backend
            hard_coded = _literal_str(location) or (
                isinstance(location, (list, tuple))
                and bool(location)
                and all(_literal_str(x) for x in location)
            )
            if networked and hard_coded:
                aliases.append(repr(alias))
                redis = redis or kind == "redis"
        if aliases:
            yield Finding(
                LITERAL_CONFIG,
                f"CACHES hard-codes the LOCATION of {', '.join(aliases)} in {where.path}: read "
                f'it from the environment with env("{"REDIS_URL" if redis else "CACHE_URL"}")',
                where.path,
                where.line,
            )
    reported: set[str] = set()
    for service in project.services[:100]:
        root = service.setting.split("[")[0]
        if (
            root in ("DATABASES", "CACHES")
            or root in reported
            or service.env_var is not None
            or not service.location
        ):
            continue
        where = s.where(root)
        if where is None or where.conditional or isinstance(where.value, (EnvRef, Unknown)):
            continue
        reported.add(root)
        var = (
            root
            if root.endswith(("_URL", "_URLS", "_HOST", "_HOSTS", "_DSN", "_BACKEND", "_BROKER"))
            else f"{service.kind.upper()}_URL"
        )
        yield Finding(
            LITERAL_CONFIG,
            f"{service.setting} hard-codes the {service.kind} location "
            f"{masked_url(service.location) if '://' in service.location else service.location}"
            f' in {where.path}: read it from the environment with env("{var}")',
            where.path,
            where.line,
        )


# -- DJ052-DJ054: how the environment is read ----------------------------------------------------


def _inside_other_dictionary(ctx: tuple[str, ...]) -> bool:
    """A secret held inside a dictionary the settings rewrite does not take apart (it folds
    DATABASES into URLs and reads a cache's LOCATION; SOCIALACCOUNT_PROVIDERS' secrets or a
    DBCONFIG dictionary it leaves as they are)."""
    if len(ctx) < 2 or ctx[0] == "DATABASES":
        return False
    return not (ctx[0] == "CACHES" and ctx[-1] == "LOCATION")


#: dictionary keys that name only the kind of secret: the variable needs the place too
_BARE_SECRET_KEYS = frozenset({"PASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "KEY", "API_KEY"})


def _variable_for(ctx: tuple[str, ...]) -> str:
    """The variable to suggest for a secret at `ctx` (the setting, then its keys): the last
    key, or the whole path where that key alone says nothing (DBCONFIG_PG['PASSWORD'] ->
    DBCONFIG_PG_PASSWORD, not a PASSWORD every other dictionary would want too)."""
    if len(ctx) == 1:
        return ctx[0]
    last = ctx[-1].upper()
    if last not in _BARE_SECRET_KEYS:
        return last
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(ctx).upper()).strip("_")


def _suggest(setting: str | None, var: str | None, cast: str | None = None) -> str:
    """The django-environ read the fix writes for a read of `var` into `setting`: its method
    is the read's own cast (`int(...)`, a comparison, `.split(",")`), the one the fix gives it
    too; a read without one stays `env(...)`."""
    var = var or setting or "NAME"
    if setting == "DATABASES":
        return 'env.db("DATABASE_URL")'
    if setting == "CACHES":
        return 'env.cache("CACHE_URL")'
    if setting == "DEBUG":
        return f'env.bool("{var}")'  # whatever the read was, DEBUG becomes an env.bool
    if cast in ("bool", "int", "float", "list", "str"):
        return f'env.{cast}("{var}")'
    return f'env("{var}")'


def _read_cast(project: ProjectModel, use: EnvUse) -> str | None:
    """The cast a read has in its module: the one its setting's value shows (`int(...)`,
    `... == "1"`, `.split(",")`), else its literal default's type (a bool default only for a
    variable named as a switch: `os.environ.get("API_TOKEN", False)` holds text)."""
    module = next(
        (m for m in project.settings_modules.values() if m.rel == use.path and use.setting),
        None,
    )
    assigned = module.names.get(use.setting or "") if module is not None else None
    value = assigned.value if assigned is not None else None
    if isinstance(value, EnvRef) and value.var == use.var and value.cast:
        return value.cast
    ref = use.ref
    if ref is None or not ref.has_default or isinstance(ref.default, str) or ref.default is None:
        return None
    if isinstance(ref.default, bool):
        return "bool" if use.var and is_flag_name(use.var) else "str"
    if isinstance(ref.default, (int, float)):
        return type(ref.default).__name__
    return None


def _uses(project: ProjectModel, apis: tuple[str, ...]) -> list[EnvUse]:
    seen: set[tuple[str, int, int]] = set()
    out: list[EnvUse] = []
    for module in project.settings_modules.values():
        for use in module.env_uses:
            key = (use.path, use.line, use.column)
            if use.api in apis and key not in seen:
                seen.add(key)
                out.append(use)
    return sorted(out, key=lambda u: (u.path, u.line, u.column))


def _os_environ(project: ProjectModel) -> Iterator[Finding]:
    groups: dict[tuple[str, str], list[EnvUse]] = {}
    for use in _uses(project, ("os.environ", "os.getenv")):
        if use.var == "DJANGO_SETTINGS_MODULE":
            continue  # the bootstrap of a module that is not settings, not configuration
        key = (use.path, use.setting or f"line {use.line}")
        groups.setdefault(key, []).append(use)
    for (path, _), uses in list(groups.items())[:500]:
        first = uses[0]
        api = "os.getenv()" if first.api == "os.getenv" else "os.environ"
        count = f" ({len(uses)} reads)" if len(uses) > 1 else ""
        what = first.setting or "the settings"
        verb = "reads" if first.setting else "read"  # "the settings ... read"
        yield Finding(
            OS_ENVIRON,
            f"{what} in {path} {verb} {api}{count}: read it with django-environ "
            f"({_suggest(first.setting, first.var, _read_cast(project, first))}) so the value "
            "is cast and checked",
            path,
            first.line,
            first.column,
        )


def _other_readers(project: ProjectModel) -> Iterator[Finding]:
    for api, rule_, library, how in (
        ("decouple", DECOUPLE, "python-decouple's config()", "config()"),
        ("environs", ENVIRONS, "environs", "env()"),
    ):
        per_file: dict[str, list[EnvUse]] = {}
        for use in _uses(project, (api,)):
            per_file.setdefault(use.path, []).append(use)
        for path, uses in per_file.items():
            names = sorted({u.setting or u.var or "?" for u in uses})
            listed = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            times = "once" if len(uses) == 1 else f"{len(uses)} times"
            yield Finding(
                rule_,
                f"{path} reads the environment {times} with {library} (for {listed}): replace "
                f"each {how} with django-environ's env() and its casts (env.bool, env.list, "
                "env.db)",
                path,
                uses[0].line,
                uses[0].column,
            )


# -- DJ055: mounted .env and settings files ------------------------------------------------------


def _is_bind(src: str) -> bool:
    return src.startswith((".", "/", "~", "$")) or "/" in src


def _env_file_name(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _settings_name(name: str) -> bool:
    return name.endswith("settings.py") or name == "settings"


def _mounted(project: ProjectModel) -> Iterator[Finding]:
    settings_rels = set(project.settings_rels)
    for compose in project.compose_files[:20]:
        base = posixpath.dirname(compose.path)
        text = project.cache.text(project.root / compose.path).text or ""
        lines = text.splitlines()
        for service in compose.services[:100]:
            for src, dst in service.volumes[:100]:
                if not src or not _is_bind(src):
                    continue
                src_name = posixpath.basename(src.rstrip("/"))
                dst_name = posixpath.basename(dst.rstrip("/")) if dst else ""
                local = (
                    posixpath.normpath(posixpath.join(base, src))
                    if not src.startswith(("/", "~", "$"))
                    else src
                )
                if _env_file_name(src_name) or _env_file_name(dst_name):
                    what = f"the env file {src}"
                    how = (
                        "pass it with env_file: so its values become environment variables instead"
                    )
                elif (
                    _settings_name(src_name)
                    or _settings_name(dst_name)
                    or local in settings_rels
                    or any(
                        r.startswith(local + "/") and local.endswith("settings")
                        for r in settings_rels
                    )
                ):
                    what = f"the settings {src}"
                    how = (
                        "keep the settings in the image and give per-environment values as "
                        "environment variables"
                    )
                else:
                    continue
                line = _line_of(lines, src, service.line)
                yield Finding(
                    ENV_FILE_MOUNTED,
                    f"service {service.name!r} in {compose.path} bind-mounts {what} into the "
                    f"container: {how}",
                    compose.path,
                    line,
                )


def _line_of(lines: list[str], needle: str, start: int | None) -> int | None:
    """The first line at or after `start` that contains `needle` (else `start`)."""
    begin = max((start or 1) - 1, 0)
    for index in range(begin, min(len(lines), begin + 2000)):
        if needle in lines[index]:
            return index + 1
    return start


# -- DJ056: django-environ used but not declared -------------------------------------------------


def _environ_import(project: ProjectModel) -> tuple[str, int] | None:
    for module in _settings_files(project):
        tree = module.file.tree if module.file is not None else None
        if tree is None or "environ" not in (module.file.text or ""):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(
                a.name == "environ" or a.name.startswith("environ.") for a in node.names
            ):
                return module.rel or "", node.lineno
            if (
                isinstance(node, ast.ImportFrom)
                and not node.level
                and (node.module == "environ" or (node.module or "").startswith("environ."))
            ):
                return module.rel or "", node.lineno
    return None


def _environ_missing(project: ProjectModel) -> Iterator[Finding]:
    if not project.dependency_sources or project.has_package("django-environ"):
        return
    found = _environ_import(project)
    if found is None:
        return
    rel, line = found
    declared = ", ".join(s.rel for s in project.dependency_sources[:3])
    wrong = (
        " (it declares `environ`, an unrelated package)" if project.has_package("environ") else ""
    )
    yield Finding(
        ENVIRON_MISSING,
        f"{rel} imports environ, but {declared} does not declare django-environ{wrong}, so a "
        "fresh install cannot start: add django-environ to the dependencies",
        rel,
        line,
    )


# -- DJ057: settings read from a module each installation writes ---------------------------------


def _local_files(project: ProjectModel) -> Iterator[Finding]:
    for local in local_modules(project):
        text = project.cache.text(project.root / local.template).text
        module = next(
            (m for m in project.settings_modules.values() if m.rel == local.settings), None
        )
        settings_text = module.file.text if module is not None and module.file else None
        plan = local_plan(project, local, settings_text, text)
        yield Finding(
            LOCAL_FILE,
            f"the settings read their configuration from {local.rel}, which git ignores: each "
            f"installation writes its own from {local.template}, so a clone does not start "
            "until someone does, and a deployment has to make or mount the file: read what it "
            "holds (SECRET_KEY, the database, the hosts) from the environment with django-environ",
            local.settings,
            local.line,
            fix=Fix(FixSafety.NONE, plan) if isinstance(plan, str) else None,
            subject=local.rel,
        )


# -- DJ058: settings read from a configuration file -----------------------------------------------


def _config_files(project: ProjectModel) -> Iterator[Finding]:
    for read in config_file_reads(project):
        yield Finding(
            CONFIG_FILE,
            f"the settings read their configuration from a file at import ({read.how} of "
            f"{read.source}): each deployment has to write or mount that file beside the image: "
            "read the values it holds (credentials, hosts, URLs) from the environment with "
            "django-environ",
            read.settings,
            read.line,
            subject=read.source,
        )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    yield from _literal_secrets(project)
    yield from _literal_config(project)
    yield from _os_environ(project)
    yield from _other_readers(project)
    yield from _mounted(project)
    yield from _environ_missing(project)
    yield from _local_files(project)
    yield from _config_files(project)
