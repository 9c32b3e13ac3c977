"""Item 9: `manage.py check --deploy` has no warnings in a production environment.

## What it checks
djfix predicts, without running Django, what `python manage.py check --deploy` reports for the
production settings (for a split settings package, the production module with everything it
star-imports):

- `debug-enabled` (DJ090, security.W018): `DEBUG` is `True`, defaults to a true value when its
  variable is unset, or is the raw string of an environment variable (`os.environ.get("DEBUG",
  False)`, `bool(os.getenv("DEBUG"))`, decouple's `config("DEBUG")` without `cast=bool`,
  django-environ's `env("DEBUG")` without a cast or a bool default, or with its smart cast
  turned off by `env.smart_cast = False`), which is true for any non-empty value,
  `DEBUG=False` included; also when `DEBUG` is computed in a
  way djfix cannot follow (the finding says so);
- `secret-key-weak` (DJ091, W009 and W025): `SECRET_KEY` (or a `SECRET_KEY_FALLBACKS` entry) is
  shorter than 50 characters, has fewer than 5 distinct characters or starts with
  `django-insecure-`, whether it is written in the file or is the default of an environment
  read; a production module without `SECRET_KEY` is reported too;
- `allowed-hosts-empty` (DJ092, W020): `ALLOWED_HOSTS` is missing or an empty literal list;
- `hsts-not-set` (DJ093, W004, W005, W021): with `SecurityMiddleware` installed,
  `SECURE_HSTS_SECONDS` is missing or 0, or HSTS is on but `SECURE_HSTS_INCLUDE_SUBDOMAINS` or
  `SECURE_HSTS_PRELOAD` is not `True` (one finding that lists what is missing);
- `ssl-redirect-off` (DJ094, W008): with `SecurityMiddleware`, `SECURE_SSL_REDIRECT` is not
  `True`;
- `session-cookie-insecure` (DJ095, W010-W015): with `django.contrib.sessions` or
  `SessionMiddleware`, `SESSION_COOKIE_SECURE` is not `True`, or `SESSION_COOKIE_HTTPONLY` is
  turned off;
- `csrf-cookie-insecure` (DJ096, W016, W017 and W003): with `CsrfViewMiddleware` and without
  `CSRF_USE_SESSIONS`, `CSRF_COOKIE_SECURE` is not `True`, or, before Django 1.11,
  `CSRF_COOKIE_HTTPONLY` is not `True`; or `CsrfViewMiddleware` is missing;
- `x-frame-options-not-deny` (DJ097, W019 and W002): `XFrameOptionsMiddleware` is installed but
  `X_FRAME_OPTIONS` is not `"DENY"` (the default is `"DENY"` from Django 3.0, `"SAMEORIGIN"`
  before), or the middleware is missing;
- `security-middleware-missing` (DJ098, W001): `SecurityMiddleware` is not installed;
- `referrer-or-coop-disabled` (DJ099, W022, E023, E024, W006 and W007): with
  `SecurityMiddleware`, `SECURE_REFERRER_POLICY` is `None` (the default before Django 3.1) or
  not a valid policy, `SECURE_CROSS_ORIGIN_OPENER_POLICY` is not a valid policy,
  `SECURE_CONTENT_TYPE_NOSNIFF` is not `True` (the default before Django 3.0), or, before
  Django 3.0, `SECURE_BROWSER_XSS_FILTER` is not `True`.

Django checks booleans with `is True`, so a setting must be the boolean `True`, not the string
`"True"` an `os.environ` read returns. The middleware list is `MIDDLEWARE`; `MIDDLEWARE_CLASSES`
is used where the project's Django is older than 2.0 (or its version is unknown) and
`MIDDLEWARE` is not set, and is reported as ignored from Django 2.0 on. Defaults follow the
project's Django version, or the newest Django when the version is unknown.

A setting read from the environment without a default passes: the production environment
provides it. With a default, the default is checked as the value production gets when the
variable is unset; reads through `strtobool` (distutils', or a project's own of that name) are
followed too, and so are calls to the project's own reader functions: a module-level function
whose first parameter names the variable and whose result comes from `os.getenv(name, default)`
(`envbool("DEBUG", "True")` returning `v == "True"`), read with the default the call passes and
the function's cast. `ALLOWED_HOSTS` read from the environment always passes (an empty default
makes Django reject every request, which fails closed). A value djfix cannot compute (other than
`DEBUG`), a setting assigned only under a run-time condition, and a middleware list djfix cannot
read fully are taken as set on purpose: djfix stays silent about them rather than guess. When
the production settings module cannot be parsed, nothing is reported here (DJ900 says why).

## Why it matters
`check --deploy` is Django's own list of settings that are unsafe on the internet: a debug page
leaks settings and source code, a guessable `SECRET_KEY` lets anyone forge sessions and password
reset links, cookies without `Secure` travel in clear text over HTTP, and missing HSTS, redirect
and framing headers leave users open to downgrade and clickjacking attacks. A deploy should run
it with no warnings, so that a new warning stands out.

## Example
```diff
 DEBUG = env.bool("DEBUG", default=False)
 MIDDLEWARE = [
+    "django.middleware.security.SecurityMiddleware",
     "django.contrib.sessions.middleware.SessionMiddleware",
     "django.middleware.csrf.CsrfViewMiddleware",
+    "django.middleware.clickjacking.XFrameOptionsMiddleware",
 ]
-SESSION_COOKIE_SECURE = False
+SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
+
+# Security for production: every value can be overridden from the environment.
+# SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it.
+SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
+SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]
+SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
+SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
+SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
+SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
+CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
+CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
+X_FRAME_OPTIONS = "DENY"
```

## Fix safety
Safe for development, to be reviewed for production. Each value comes from the environment with
a production default that follows DEBUG, so `runserver` with DEBUG=True keeps plain HTTP and
non-secure cookies. In production: HSTS (with subdomains and preload) cannot be taken back for
its duration, and SECURE_PROXY_SSL_HEADER trusts the X-Forwarded-Proto header, so the TLS proxy
in front must set it (and strip it from clients); both can be switched off with environment
variables. A setting read from the environment with an insecure default
(`env.bool("SESSION_COOKIE_SECURE", default=False)`) keeps its variable and gets the safe default;
its `.env.example` line is left empty, so a copied example does not switch production back.
/health and /common/health are exempt from the HTTPS redirect. Production settings that set
ALLOWED_HOSTS nowhere get `ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])`, read as item 5
reads a literal one: while the variable is unset it is Django's own default, so nothing changes
until the deployment names its hosts (`.env.example` shows how). Settings a star
import already provides are not overridden. DEBUG and SECRET_KEY are item 5's fix, except a
DEBUG read by the project's own reader function: there only the default the call passes changes,
to the spelling the function reads as False (`envbool("DEBUG", "False")`), the function stays,
and the old default goes to `.env`; where that is not possible (the default is written inside
the function, or it takes any text as true) the finding has no fix, and so has a weak
SECRET_KEY default passed to such a function. A missing `CsrfViewMiddleware` is added where
Django's default list has it (after SessionMiddleware and CommonMiddleware, before the
authentication middleware), unless the list holds a CSRF middleware of the project's own; from
then on a POST without a CSRF token (a webhook, an API client, a form without `{% csrf_token %}`)
gets a 403, in development too, and the summary says to mark such views `@csrf_exempt`. Before
Django
1.11, `CSRF_COOKIE_HTTPONLY = True` is added: a page script that reads the `csrftoken` cookie
for its AJAX requests must read the token from the page instead (`{% csrf_token %}`).
A site that frames its own pages (an `<iframe>` in its templates or front-end sources whose
address is a path, `{% url %}`, `{% static %}`, or one the code computes, such as
`:src="pdfUrl"`) keeps its X_FRAME_OPTIONS, and gets no clickjacking middleware added: DENY
would blank those frames. The finding stays, with no fix and the frame it found: mark the framed
views `@xframe_options_sameorigin` and set DENY by hand.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fixer import rule_codes
from fixer.analysis.production_values import Setting, environ_schemes, is_true, read_setting, where
from fixer.checks import rule
from fixer.discovery.frames import KEEP_FRAMES, frames_found
from fixer.findings import Finding, Fix, FixSafety, Severity
from fixer.project import ProjectModel
from fixer.settings_helpers import DROP_DEFAULT, default_argument, default_left_reason
from fixer.settings_values import EnvHelper

ITEM = 9
TITLE = "check --deploy is clean"

DEBUG_ENABLED = rule(
    __name__,
    rule_codes.DEBUG_ENABLED,
    "debug-enabled",
    ITEM,
    Severity.ERROR,
    "DEBUG can be on in production (security.W018).",
    FixSafety.UNSAFE,
)
SECRET_KEY_WEAK = rule(
    __name__,
    rule_codes.SECRET_KEY_WEAK,
    "secret-key-weak",
    ITEM,
    Severity.ERROR,
    "SECRET_KEY is missing, short, repetitive or a django-insecure- key (security.W009).",
    FixSafety.UNSAFE,
)
ALLOWED_HOSTS_EMPTY = rule(
    __name__,
    rule_codes.ALLOWED_HOSTS_EMPTY,
    "allowed-hosts-empty",
    ITEM,
    Severity.WARNING,
    "ALLOWED_HOSTS is empty in production (security.W020).",
    FixSafety.UNSAFE,
)
HSTS_NOT_SET = rule(
    __name__,
    rule_codes.HSTS_NOT_SET,
    "hsts-not-set",
    ITEM,
    Severity.WARNING,
    "HTTP Strict Transport Security is off or incomplete (security.W004/W005/W021).",
    FixSafety.SAFE,
)
SSL_REDIRECT_OFF = rule(
    __name__,
    rule_codes.SSL_REDIRECT_OFF,
    "ssl-redirect-off",
    ITEM,
    Severity.WARNING,
    "SECURE_SSL_REDIRECT is not True (security.W008).",
    FixSafety.SAFE,
)
SESSION_COOKIE_INSECURE = rule(
    __name__,
    rule_codes.SESSION_COOKIE_INSECURE,
    "session-cookie-insecure",
    ITEM,
    Severity.WARNING,
    "The session cookie is not Secure or not HttpOnly (security.W010-W015).",
    FixSafety.SAFE,
)
CSRF_COOKIE_INSECURE = rule(
    __name__,
    rule_codes.CSRF_COOKIE_INSECURE,
    "csrf-cookie-insecure",
    ITEM,
    Severity.WARNING,
    "The CSRF cookie is not Secure (or, before Django 1.11, not HttpOnly), or CSRF protection is "
    "off (security.W016/W017/W003).",
    FixSafety.SAFE,
)
XFRAME_NOT_DENY = rule(
    __name__,
    rule_codes.X_FRAME_OPTIONS_NOT_DENY,
    "x-frame-options-not-deny",
    ITEM,
    Severity.WARNING,
    "Pages can be framed: X_FRAME_OPTIONS is not DENY or the middleware is missing "
    "(security.W019/W002).",
    FixSafety.SAFE,
)
SECURITY_MIDDLEWARE_MISSING = rule(
    __name__,
    rule_codes.SECURITY_MIDDLEWARE_MISSING,
    "security-middleware-missing",
    ITEM,
    Severity.WARNING,
    "SecurityMiddleware is not installed, so the SECURE_* settings do nothing (security.W001).",
    FixSafety.SAFE,
)
REFERRER_OR_COOP_DISABLED = rule(
    __name__,
    rule_codes.REFERRER_OR_COOP_DISABLED,
    "referrer-or-coop-disabled",
    ITEM,
    Severity.WARNING,
    "A security header is turned off or invalid: Referrer-Policy, Cross-Origin-Opener-Policy "
    "or X-Content-Type-Options (security.W022/E023/E024/W006).",
)
RULES = [
    DEBUG_ENABLED,
    SECRET_KEY_WEAK,
    ALLOWED_HOSTS_EMPTY,
    HSTS_NOT_SET,
    SSL_REDIRECT_OFF,
    SESSION_COOKIE_INSECURE,
    CSRF_COOKIE_INSECURE,
    XFRAME_NOT_DENY,
    SECURITY_MIDDLEWARE_MISSING,
    REFERRER_OR_COOP_DISABLED,
]
OPTIONS: dict = {}

SECURITY_MW = "django.middleware.security.SecurityMiddleware"
XFRAME_MW = "django.middleware.clickjacking.XFrameOptionsMiddleware"
CSRF_MW = "django.middleware.csrf.CsrfViewMiddleware"
SESSION_MW = "django.contrib.sessions.middleware.SessionMiddleware"
SESSION_APP = "django.contrib.sessions"

REFERRER_POLICY_VALUES = {
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
}
COOP_VALUES = {"same-origin", "same-origin-allow-popups", "unsafe-none"}


def applies(project: ProjectModel) -> bool:
    return True


# -- middleware ----------------------------------------------------------------------------------


@dataclass
class _Middleware:
    names: list[str]
    complete: bool
    setting: str  # MIDDLEWARE or MIDDLEWARE_CLASSES
    path: str | None
    line: int | None
    ignored_classes: bool = False  # MIDDLEWARE_CLASSES set, but Django >= 2.0 ignores it

    def has(self, name: str) -> bool | None:
        if name in self.names:
            return True
        return False if self.complete else None


def _middleware(project: ProjectModel) -> _Middleware:
    s = project.settings
    version = project.django_version
    new = s.where("MIDDLEWARE")
    old = s.where("MIDDLEWARE_CLASSES")
    modern = version is not None and version >= (2, 0)
    chosen = None
    ignored = False
    if new is not None and new.value is not None:
        chosen = new
    elif old is not None and not modern:
        chosen = old
    elif old is not None:
        ignored = True
    if chosen is None:
        if version is not None and version < (2, 0):
            default = [
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ]
            return _Middleware(default, True, "MIDDLEWARE_CLASSES", s.rel, None)
        where = old if ignored else None
        return _Middleware(
            [],
            True,
            "MIDDLEWARE",
            where.path if where else s.rel,
            where.line if where else None,
            ignored,
        )
    value = chosen.value
    if isinstance(value, (list, tuple)):
        names = [v for v in value if isinstance(v, str)]
        complete = len(names) == len(value) and not chosen.conditional
    else:
        names, complete = [], False
    return _Middleware(names, complete, chosen.name, chosen.path, chosen.line)


# -- the checks ----------------------------------------------------------------------------------


def _version_at_least(project: ProjectModel, major: int, minor: int) -> bool:
    return project.django_version is None or project.django_version >= (major, minor)


def _debug(project: ProjectModel, schemes: dict) -> Iterator[Finding]:
    d = read_setting(project, "DEBUG", False, schemes)
    if d.ref is not None and d.ref.helper is not None:
        yield from _helper_debug(d, d.ref.helper)
        return
    if d.string_trap:
        yield Finding(
            DEBUG_ENABLED,
            f"DEBUG in {where(d)} is true whenever {d.var} is set, even to False, because "
            f"the environment string is not parsed as a boolean (security.W018): read it with "
            f'env.bool("{d.var}", default=False)',
            d.path,
            d.line,
        )
    elif d.state == "value" and d.value:
        if d.from_default:
            message = (
                f"DEBUG defaults to {d.value!r} in {where(d)} when {d.var} is unset "
                f'(security.W018): make the default False (env.bool("{d.var}", default=False))'
            )
        else:
            message = (
                f"DEBUG is {d.value!r} in {where(d)} (security.W018): read it from the "
                'environment with env.bool("DEBUG", default=False) so production runs with '
                "DEBUG off"
            )
        yield Finding(DEBUG_ENABLED, message, d.path, d.line)
    elif d.state == "unknown":
        yield Finding(
            DEBUG_ENABLED,
            f"djfix cannot tell whether DEBUG is off in production, because {where(d)} "
            'computes it: read it with env.bool("DEBUG", default=False)',
            d.path,
            d.line,
        )


def _helper_debug(d: Setting, helper: EnvHelper) -> Iterator[Finding]:
    """DEBUG read by the project's own reader (`envbool("DEBUG", "True")`): the fix passes it
    the spelling it reads as False, and keeps the function."""
    call = f'{helper.name}("{d.var}", ...)'
    if d.string_trap or d.never_true:
        how = "any non-empty text, False included, as true" if d.string_trap else "no text as True"
        yield Finding(
            DEBUG_ENABLED,
            f"DEBUG in {where(d)} is read by {call}, which takes {how} (security.W018): make "
            f"{helper.name}() parse the text as a boolean",
            d.path,
            d.line,
            fix=Fix(FixSafety.NONE, f"djfix does not rewrite the project's own {helper.name}()"),
        )
        return
    if d.state == "unknown" or (d.state == "value" and d.value):
        false = helper.false_spelling
        how, _ = default_argument(d.call, helper)
        reason = None
        if false is None:
            reason = f"{helper.name}() reads no spelling as False"
        elif how == "fixed":
            reason = f"the default is written in {helper.name}() itself, not passed to it"
        elif d.state == "unknown":
            reason = "djfix cannot compute the default DEBUG gets"
        if d.state == "unknown":
            message = (
                f"djfix cannot tell whether DEBUG is off in production, because the default "
                f"{call} gets in {where(d)} cannot be computed"
            )
        else:
            message = f"DEBUG defaults to {d.value!r} in {where(d)} when {d.var} is unset"
        if reason is None and helper.raw_default:
            # `if v is None: return default`: the default is returned as passed, not parsed
            message += f" (security.W018): pass {helper.name}() the default False"
        elif reason is None:
            message += (
                f' (security.W018): pass {helper.name}() the default "{false}", the spelling '
                "it reads as False"
            )
        else:
            message += " (security.W018): make its default off by hand"
        fix = Fix(FixSafety.NONE, reason) if reason is not None else None
        yield Finding(DEBUG_ENABLED, message, d.path, d.line, fix=fix)


def _weak_key(key: str) -> str | None:
    if key.startswith("django-insecure-"):
        return "it starts with django-insecure-, the mark of a key made by startproject"
    if len(key) < 50:
        return f"it has {len(key)} characters, fewer than 50"
    if len(set(key)) < 5:
        return f"it has {len(set(key))} distinct characters, fewer than 5"
    return None


def _secret_key(project: ProjectModel, schemes: dict) -> Iterator[Finding]:
    k = read_setting(project, "SECRET_KEY", None, schemes)
    if k.state == "absent":
        yield Finding(
            SECRET_KEY_WEAK,
            f"{where(k)} sets no SECRET_KEY, so Django refuses to start (security.W009): "
            'read it from the environment with SECRET_KEY = env("SECRET_KEY")',
            k.path,
            None,
        )
    elif k.ref is not None and k.ref.helper is not None and k.from_default:
        if k.value in ("", None) or (isinstance(k.value, str) and _weak_key(k.value)):
            what = f"a weak key ({_weak_key(k.value)}" if k.value else f"{k.value!r} (no key"
            yield Finding(
                SECRET_KEY_WEAK,
                f"SECRET_KEY in {where(k)} defaults to {what}; security.W009) when {k.var} is "
                f"unset: production must set {k.var}",
                k.path,
                k.line,
                fix=Fix(FixSafety.NONE, default_left_reason(k.ref.helper, DROP_DEFAULT)),
            )
    elif k.state == "value" and k.from_default and k.value in ("", None):
        # Django takes the empty key and fails only when something signs (or warns W009):
        # without a default a missing key stops the start with the variable's name
        yield Finding(
            SECRET_KEY_WEAK,
            f"SECRET_KEY in {where(k)} defaults to {k.value!r} when {k.var} is unset "
            f'(security.W009): drop the default (env("{k.var}")) so a deployment without the '
            "key stops at start",
            k.path,
            k.line,
        )
    elif k.state == "value" and isinstance(k.value, str):
        reason = _weak_key(k.value)
        if reason is not None:
            if k.from_default:
                message = (
                    f"SECRET_KEY in {where(k)} defaults to a weak key when {k.var} is unset "
                    f"({reason}; security.W009): remove the default so production must "
                    "provide the key"
                )
            else:
                message = (
                    f"SECRET_KEY in {where(k)} is weak ({reason}; security.W009): read it "
                    'from the environment with env("SECRET_KEY") and generate a new one with '
                    "get_random_secret_key()"
                )
            yield Finding(SECRET_KEY_WEAK, message, k.path, k.line)
    fallbacks = project.settings.where("SECRET_KEY_FALLBACKS")
    if fallbacks is not None and isinstance(fallbacks.value, (list, tuple)):
        weak = [
            i
            for i, v in enumerate(fallbacks.value)
            if isinstance(v, str) and _weak_key(v) is not None
        ]
        if weak:
            yield Finding(
                SECRET_KEY_WEAK,
                f"SECRET_KEY_FALLBACKS in {fallbacks.path} holds weak keys (entries "
                f"{', '.join(map(str, weak))}; security.W025): drop them or read the fallbacks "
                'with env.list("SECRET_KEY_FALLBACKS")',
                fallbacks.path,
                fallbacks.line,
            )


def _allowed_hosts(project: ProjectModel, schemes: dict) -> Iterator[Finding]:
    h = read_setting(project, "ALLOWED_HOSTS", [], schemes)
    if h.state == "absent" or (
        h.state == "value"
        and not h.from_default
        and isinstance(h.value, (list, tuple))
        and not h.value
    ):
        yield Finding(
            ALLOWED_HOSTS_EMPTY,
            f"ALLOWED_HOSTS is empty in {where(h)} (security.W020), so production answers "
            'every request with 400: read it with env.list("ALLOWED_HOSTS")',
            h.path,
            h.line,
        )


def _hsts(project: ProjectModel, schemes: dict) -> Iterator[Finding]:
    seconds = read_setting(project, "SECURE_HSTS_SECONDS", 0, schemes)
    if seconds.state == "unknown":
        return
    if seconds.state in ("absent", "value") and not seconds.value:
        how = (
            "is not set"
            if seconds.state == "absent"
            else (f"defaults to {seconds.value!r}" if seconds.from_default else "is 0")
        )
        yield Finding(
            HSTS_NOT_SET,
            f"SECURE_HSTS_SECONDS {how} in {where(seconds)} (security.W004): set "
            'SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) once the '
            "whole site is served over HTTPS",
            seconds.path,
            seconds.line,
        )
        return
    missing: list[str] = []
    first: Setting | None = None
    wanted = [("SECURE_HSTS_INCLUDE_SUBDOMAINS", "W005")]
    if _version_at_least(project, 1, 11):
        wanted.append(("SECURE_HSTS_PRELOAD", "W021"))
    for name, code in wanted:
        setting = read_setting(project, name, False, schemes)
        if is_true(setting) is False:
            missing.append(f"{name} ({code})")
            first = first or setting
    if missing and first is not None:
        place = first if first.line is not None else seconds
        yield Finding(
            HSTS_NOT_SET,
            f"HSTS is on in {where(seconds)} but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not True: set "
            f"{' and '.join(m.split(' ')[0] for m in missing)} = True",
            place.path,
            place.line,
        )


def _must_be_true(
    project: ProjectModel,
    schemes: dict,
    name: str,
    default: bool,
    rule_: Any,
    code: str,
    why: str,
) -> Iterator[Finding]:
    setting = read_setting(project, name, default, schemes)
    if is_true(setting) is not False:
        return
    if setting.never_true:
        state = f"is the raw string of {setting.var}, never the boolean True"
    elif setting.state == "absent":
        state = "is not set"
    elif setting.from_default:
        state = f"defaults to {setting.value!r} when {setting.var} is unset"
    else:
        state = f"is {setting.value!r}"
    yield Finding(
        rule_,
        f"{name} {state} in {where(setting)} ({code}{why}): set it to True "
        f'(env.bool("{setting.var}", default=True))',
        setting.path,
        setting.line,
    )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    f = project.settings.file
    if project.settings.missing or f is None or f.tree is None:
        return  # the settings cannot be read: DJ900 / DJ901 say so
    dynamic = project.settings.dynamic
    if not dynamic:
        yield from _check(project)
        return
    # settings set at run time (globals() written, a class copied into the module): what djfix
    # reads as absent may be there, and a rewrite could not be proved, so each finding says so
    path, line, reason = dynamic[0]
    why = f"{path} line {line}: {reason}, so djfix cannot read or rewrite these settings"
    for finding in _check(project):
        yield Finding(
            finding.rule,
            f"{finding.message} (as far as djfix can read: {why})",
            finding.path,
            finding.line,
            finding.column,
            Fix(FixSafety.NONE, why),
        )


def _check(project: ProjectModel) -> Iterator[Finding]:
    schemes = environ_schemes(project)
    yield from _debug(project, schemes)
    yield from _secret_key(project, schemes)
    yield from _allowed_hosts(project, schemes)

    mw = _middleware(project)
    security = mw.has(SECURITY_MW)
    if security is False:
        if mw.ignored_classes:
            message = (
                f"{mw.path} sets MIDDLEWARE_CLASSES, which Django 2.0 and newer ignore, and no "
                "MIDDLEWARE, so no middleware runs (security.W001): rename it to MIDDLEWARE and "
                f"add {SECURITY_MW} first"
            )
        else:
            message = (
                f"{mw.setting} in {mw.path} does not include {SECURITY_MW} (security.W001), so "
                "the SECURE_* settings have no effect: add it at the top of the list"
            )
        yield Finding(SECURITY_MIDDLEWARE_MISSING, message, mw.path, mw.line)
    else:
        # installed, or a list built at run time (`A, MIDDLEWARE = f(A, MIDDLEWARE)`) that djfix
        # cannot read: SecurityMiddleware is in nearly every such list, and setting the SECURE_*
        # values costs nothing where it is not, so they are checked either way
        yield from _hsts(project, schemes)
        yield from _must_be_true(
            project,
            schemes,
            "SECURE_SSL_REDIRECT",
            False,
            SSL_REDIRECT_OFF,
            "security.W008",
            ", so plain HTTP is served",
        )
        yield from _headers(project, schemes)

    sessions_app = SESSION_APP in project.installed_apps
    session_mw = bool(mw.has(SESSION_MW))
    if sessions_app or session_mw:
        # Django reports W010/W013 for the app, W011/W014 for the middleware, W012/W015 for both
        secure_code, httponly_code = (
            ("W012", "W015")
            if sessions_app and session_mw
            else ("W010", "W013")
            if sessions_app
            else ("W011", "W014")
        )
        yield from _must_be_true(
            project,
            schemes,
            "SESSION_COOKIE_SECURE",
            False,
            SESSION_COOKIE_INSECURE,
            f"security.{secure_code}",
            ", so the session cookie is also sent over plain HTTP",
        )
        httponly = read_setting(project, "SESSION_COOKIE_HTTPONLY", True, schemes)
        if is_true(httponly) is False:
            yield Finding(
                SESSION_COOKIE_INSECURE,
                f"SESSION_COOKIE_HTTPONLY is off in {where(httponly)} (security."
                f"{httponly_code}), so scripts can read the session cookie: remove the setting "
                "(the default is True)",
                httponly.path,
                httponly.line,
            )

    csrf = mw.has(CSRF_MW)
    if csrf is False:
        yield Finding(
            CSRF_COOKIE_INSECURE,
            f"the CSRF middleware is missing: {mw.setting} in {mw.path} does not include "
            f"{CSRF_MW} (security.W003), so forms are not protected against cross-site request "
            "forgery: add it after SessionMiddleware and CommonMiddleware",
            mw.path,
            mw.line,
        )
    elif csrf is True:
        use_sessions = read_setting(project, "CSRF_USE_SESSIONS", False, schemes)
        if use_sessions.state in ("absent", "value") and not use_sessions.value:
            yield from _must_be_true(
                project,
                schemes,
                "CSRF_COOKIE_SECURE",
                False,
                CSRF_COOKIE_INSECURE,
                "security.W016",
                ", so the CSRF cookie is also sent over plain HTTP",
            )
        if not _version_at_least(project, 1, 11):
            # Django 1.11 dropped the check; before, the cookie was readable by scripts
            yield from _must_be_true(
                project,
                schemes,
                "CSRF_COOKIE_HTTPONLY",
                False,
                CSRF_COOKIE_INSECURE,
                "security.W017",
                ", so scripts can read the CSRF cookie, which Django before 1.11 checks",
            )

    xframe = mw.has(XFRAME_MW)
    # a site that frames its own pages needs SAMEORIGIN: DENY (the middleware's default from
    # Django 3.0) would blank those frames, so djfix does not set it
    framed = frames_found(project.framed_pages)
    keep_frames = Fix(FixSafety.NONE, KEEP_FRAMES) if framed else None
    if xframe is False:
        yield Finding(
            XFRAME_NOT_DENY,
            f"{mw.setting} in {mw.path} does not include {XFRAME_MW} (security.W002), so "
            "other sites can frame the pages: add it to the list",
            mw.path,
            mw.line,
            fix=keep_frames,
        )
    elif xframe is True:
        default = "DENY" if _version_at_least(project, 3, 0) else "SAMEORIGIN"
        x = read_setting(project, "X_FRAME_OPTIONS", default, schemes)
        if x.state in ("absent", "value") and x.value != "DENY":
            state = "is not set" if x.state == "absent" else f"is {x.value!r}"
            if x.from_default:
                state = f"defaults to {x.value!r}"
            advice = (
                f"{framed}, which DENY would blank"
                if framed
                else 'set X_FRAME_OPTIONS = "DENY" unless the site frames its own pages'
            )

            yield Finding(
                XFRAME_NOT_DENY,
                f"X_FRAME_OPTIONS {state} in {where(x)} (security.W019): {advice}",
                x.path,
                x.line,
                fix=keep_frames,
            )


def _headers(project: ProjectModel, schemes: dict) -> Iterator[Finding]:
    """W022/E023 (Referrer-Policy), E024 (Cross-Origin-Opener-Policy), W006 (nosniff)."""
    if _version_at_least(project, 3, 0):
        default = "same-origin" if _version_at_least(project, 3, 1) else None
        r = read_setting(project, "SECURE_REFERRER_POLICY", default, schemes)
        if r.state in ("absent", "value"):
            problem = None
            if r.value is None:
                problem = "is None (security.W022), so no Referrer-Policy header is sent"
            else:
                values: set[Any] | None = None
                if isinstance(r.value, str):
                    values = {v.strip() for v in r.value.split(",")}
                elif isinstance(r.value, (list, tuple)):
                    values = {v for v in r.value if isinstance(v, str)}
                    if len(values) != len(set(map(repr, r.value))):
                        values.add(None)  # an entry that is not a policy name
                if values is not None and not values <= REFERRER_POLICY_VALUES:
                    problem = "is not a valid policy (security.E023)"
            if problem:
                yield Finding(
                    REFERRER_OR_COOP_DISABLED,
                    f"SECURE_REFERRER_POLICY {problem} in {where(r)}: set it to "
                    '"same-origin" or remove it to get the default',
                    r.path,
                    r.line,
                )
    if _version_at_least(project, 4, 0):
        c = read_setting(project, "SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin", schemes)
        if (
            c.state == "value"
            and c.value is not None
            and not (isinstance(c.value, str) and c.value in COOP_VALUES)
        ):
            yield Finding(
                REFERRER_OR_COOP_DISABLED,
                f"SECURE_CROSS_ORIGIN_OPENER_POLICY in {where(c)} is not a valid policy "
                '(security.E024): set it to "same-origin" or remove it to get the default',
                c.path,
                c.line,
            )
    nosniff_default = _version_at_least(project, 3, 0)
    yield from _must_be_true(
        project,
        schemes,
        "SECURE_CONTENT_TYPE_NOSNIFF",
        nosniff_default,
        REFERRER_OR_COOP_DISABLED,
        "security.W006",
        ", so browsers may guess content types",
    )
    if not _version_at_least(project, 3, 0):
        # Django 3.0 dropped the setting and its check; before, the header was off by default
        yield from _must_be_true(
            project,
            schemes,
            "SECURE_BROWSER_XSS_FILTER",
            False,
            REFERRER_OR_COOP_DISABLED,
            "security.W007",
            ", so old browsers do not block reflected cross-site scripting",
        )
