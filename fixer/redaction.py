"""What is a secret, and how to show text without one.

One place for the rules every output uses (reports, the apply summary, commit messages, the
pull request body, error messages, `.env.example`):

- a setting or variable whose name says SECRET, TOKEN, PASSWORD, PASSWD, PASS or KEY (as a
  word of the name: `API_KEY`, `GITHUB_TOKEN_VALUE`, `SECRET_FOR_HOOKS`), except names known to
  hold no secret (`KEY_PREFIX`, `CACHE_KEY`, `PUBLIC_KEY`, ...);
- a value in a known token format (GitHub `ghp_`/`github_pat_`, GitLab `glpat-`, AWS `AKIA`,
  Slack `xox?-`, Stripe `sk_live_`/`rk_live_`), whatever its name;
- the user-info part of a URL (`scheme://user:password@host`), where the password may hold raw
  `/`, `?`, `#`, `@` and `:` (a URL parser splits such a URL at the wrong place and prints part
  of the password as the host or the path: here the user-info runs to the last `@` that is
  followed by a host).

`mask_text` replaces all of these, and every value `remember` was given (the literal secrets
of the project being fixed), by `***`.
"""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Iterable

MASK = "***"

_SECRET_WORD = re.compile(
    r"(?:^|_)(?:SECRET|SECRETS|TOKEN|TOKENS|PASSWORD|PASSWD|PASS|PWD|KEY|APIKEY|DSN)(?:_|$)"
)
#: parts of a name that make it no secret (public keys, key settings that are not keys)
NOT_SECRET = (
    "PUBLIC",
    "PUBLISHABLE",
    "SITE_KEY",
    "VERIFYING_KEY",
    "PRIMARY_KEY",
    "CACHE_KEY",
    "SORT_KEY",
    "LOOKUP_KEY",
    "ERRORS_KEY",
    "FOREIGN_KEY",
    "KEY_PREFIX",
    "KEY_FUNCTION",
    "KEY_FUNC",
    "PASSWORD_HASHERS",
    "PASSWORD_VALIDATORS",
    "PASSWORD_RESET",
    "TOKEN_EXPIR",
    "TOKEN_LIFETIME",
    "TOKEN_TTL",
    "SESSION_KEY",
    "KEY_ID",
)

_TOKEN_FORMATS = re.compile(
    r"\b(?:"
    r"gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_\-]{20,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|[sr]k_live_[A-Za-z0-9]{16,}"
    r")"
)

_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*://"
# a URL ends at whitespace, a quote, and at an escaped line break of a JSON or SARIF string
# (`\n`): masking runs on rendered output, and one URL must not run into the next line's
_URL = re.compile(_SCHEME + r"(?:[^\s'\"<>`\\]|\\(?![nrt]))+")
_HOST_AFTER = re.compile(r"[A-Za-z0-9.\-_~%]+|\[[0-9A-Fa-f:.]+\]")


#: a word of a name that makes its value a switch about a password, not the password
_SWITCH_WORD = re.compile(r"(?:^|_)(?:RANDOM|ALLOW|EMPTY|SKIP|GENERATE|NO|DISABLE|ENABLE)(?:_|$)")
_SWITCH_VALUE = re.compile(r"^(?:0|1|y|n|yes|no|true|false|on|off)$", re.I)


def holds_no_secret(name: str, value: str) -> bool:
    """A value under a secret's name that is no secret: a switch (the database images'
    `MARIADB_RANDOM_ROOT_PASSWORD: "1"`, `MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`) or the path of
    the file that holds the secret (`POSTGRES_PASSWORD_FILE: /run/secrets/db`)."""
    upper = name.upper()
    if _SWITCH_WORD.search(upper) and _SWITCH_VALUE.match(value.strip()):
        return True
    return upper.endswith("_FILE") and value.startswith(("/", "./")) and " " not in value


#: a dotted import path: a module's name, then attribute names (`aggregator.utils.creds`,
#: `knox.auth.TokenAuthentication`): modules in lower case (PEP 8), the last part maybe a
#: class; each part a word (`is_code_path` counts its digits)
_CODE_PATH = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*\.[A-Za-z_][A-Za-z0-9_]*")
_PASSWORD_WORD = re.compile(r"(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD)(?:_|$)")


#: the name of an environment variable or a constant (`DJANGOPROJECT_DATA_DIR`): words in
#: capitals joined by underscores
_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def is_code_path(name: str, value: str) -> bool:
    """A value under a secret's name that names code, not a secret: a dotted import path
    (`PUSH_CREDENTIALS = "aggregator.utils.push_credentials"`, a function the library calls
    for the credentials; `AUTH_TOKEN_CLASS = "knox.auth.TokenAuthentication"`), or the name of
    the variable that holds the secret (`data_dir_key = "DJANGOPROJECT_DATA_DIR"`). Never for a
    password's name: a password may be any text."""
    if _PASSWORD_WORD.search(name.upper()) or len(value) > 200:
        return False
    if _VARIABLE_NAME.fullmatch(value) and len(value) <= 60:
        # `data_dir_key = "DJANGOPROJECT_DATA_DIR"`, then `os.environ[data_dir_key]`: the
        # name of the variable that holds the value, not the value
        return True
    if _CODE_PATH.fullmatch(value) is None:
        return False
    # names are words, with a version or two (`oauth2_provider`, `s3boto3`); random text
    # that happens to hold a dot has digits all through it
    return all(sum(c.isdigit() for c in part) <= 3 for part in value.split("."))


#: the last word of a name that makes it a property of a secret, not the secret, where a
#: secret's word comes before it: RESET_PASSWORD_LOCK_TIME ("15 minutes"), TOKEN_TTL,
#: TOKEN_GENERATOR_CLASS (a dotted path), API_KEY_HEADER; with the secret's word last
#: (ADMIN_PASSWORD, AWS_SECRET_ACCESS_KEY) a name stays a secret's whatever comes before it
_PROPERTY_WORDS = frozenset(
    # durations and limits
    {"TIME", "TTL", "LIFETIME", "TIMEOUT", "THRESHOLD", "DELAY", "INTERVAL", "PERIOD", "AGE"}
    | {"EXPIRY", "EXPIRATION", "EXPIRES", "LENGTH", "LEN", "SIZE", "MIN", "MAX", "LIMIT"}
    | {"COUNT", "ATTEMPTS", "RETRIES"}
    # the code or the place that handles the secret
    | {"CLASS", "BACKEND", "GENERATOR", "HASHER", "HASHERS", "VALIDATOR", "VALIDATORS"}
    | {"ENDPOINT", "HEADER", "PREFIX", "FIELD", "PARAM", "ALGORITHM", "TYPE", "MODE", "QUEUE"}
    | {"ENABLED", "REQUIRED"}
)
#: the last word of a name that makes it the digest of a secret named before it
_DIGEST_WORDS = frozenset(
    {"HASH", "HASHES", "DIGEST", "DIGESTS", "CHECKSUM", "CHECKSUMS", "FINGERPRINT", "FINGERPRINTS"}
)
_PASSWORD_WORDS = frozenset({"PASSWORD", "PASSWD", "PASS", "PWD"})
_SECRET_WORDS = frozenset(
    {"SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWD", "PASS", "PWD", "KEY"}
    | {"APIKEY", "DSN"}
)


#: the last word (singular) of a dict setting whose keys name actions or parts and whose values
#: are each one's form, limit or template: ACCOUNT_FORMS['reset_password'] (a form class),
#: ACCOUNT_RATE_LIMITS['change_password'] ("1/m/user"), DEFAULT_THROTTLE_RATES['token']
_PROPERTY_MAP_WORDS = _PROPERTY_WORDS | frozenset(
    {"FORM", "RATE", "VIEW", "TEMPLATE", "URL", "SERIALIZER", "MESSAGE", "LABEL", "HANDLER"}
    | {"PERMISSION", "ADAPTER", "SCOPE", "PATH", "ROUTE", "NAME", "TITLE"}
)


def is_property_map(name: str) -> bool:
    """A dict setting that maps names to a property of each (`ACCOUNT_FORMS`,
    `ACCOUNT_RATE_LIMITS`): a key named like a secret (`reset_password`) names an action there,
    and its value is that action's form or limit, not a password."""
    last = name.upper().rsplit("_", 1)[-1]
    singular = last[:-1] if last.endswith("S") and not last.endswith("SS") else last
    return last in _PROPERTY_MAP_WORDS or singular in _PROPERTY_MAP_WORDS


def is_secret_name(name: str) -> bool:
    """The name of a setting or variable that holds a secret."""
    upper = name.upper()
    if not _SECRET_WORD.search(upper) or any(n in upper for n in NOT_SECRET):
        return False
    words = upper.split("_")
    last = max(i for i, word in enumerate(words) if word in _SECRET_WORDS)
    if last < len(words) - 1 and words[-1] in _DIGEST_WORDS:
        # the digest of a key or token (JWT_KEY_HASHES, SIGNING_KEY_FINGERPRINT) is compared
        # against, not used to sign; a password's hash still opens the password to guessing
        return words[last] in _PASSWORD_WORDS
    return not (last < len(words) - 1 and words[-1] in _PROPERTY_WORDS)


def looks_like_token(value: str) -> bool:
    """A value in one of the known token formats."""
    return bool(_TOKEN_FORMATS.search(value))


def split_userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme://, user-info, @host...) of a URL with a user-info part, else None. The
    user-info runs to the last `@` followed by a host (and a port, a path or the end), so a
    password holding raw `/ ? # @ :` is not cut short; a part with a `/` but no `:` is a path,
    not a user-info."""
    found = re.match(_SCHEME, url)
    if found is None:
        return None
    scheme, rest = found.group(0), url[found.end() :]
    for at in range(len(rest) - 1, -1, -1):
        if rest[at] != "@":
            continue
        host = _HOST_AFTER.match(rest, at + 1)
        if host is None:
            continue
        after = rest[host.end() :]
        if after and not re.match(r"(?::\d*)?(?:[/?#]|$)", after):
            continue
        userinfo = rest[:at]
        if not userinfo or ("/" in userinfo and ":" not in userinfo):
            continue
        return scheme, userinfo, rest[at:]
    return None


def url_password(url: str) -> str | None:
    """The password of a URL's user-info (`:pw@`), or None."""
    parts = split_userinfo(url)
    if parts is None or ":" not in parts[1]:
        return None
    return parts[1].split(":", 1)[1] or None


_PLACEHOLDER = re.compile(
    r"(?i)^(?:password|passwd|change-?me|changeit|x{3,}|\*+|"
    r"<[^<>]*>|\$\{?\w+\}?|\{\{[^{}]*\}\})$"
)


def is_placeholder(password: str) -> bool:
    """A password that is no secret: a placeholder (`password`, `change-me`, `<password>`) or
    a reference to a variable (`${DB_PASSWORD}`)."""
    return bool(_PLACEHOLDER.match(password))


def worth_rotating(value: str) -> bool:
    """A committed value that was a real secret: not a placeholder, and for a URL, one whose
    password is not a placeholder (`postgres://user:password@db/app` held none)."""
    parts = split_userinfo(value)
    if parts is not None:
        userinfo = parts[1]
        return ":" in userinfo and not is_placeholder(userinfo.split(":", 1)[1])
    return "://" not in value and not is_placeholder(value)


def mask_url(url: str) -> str:
    """The URL with its user-info (user and password, or a token) replaced by ***; a
    placeholder password (`user:password@`, `${DB_PASSWORD}`) is shown as it is."""
    parts = split_userinfo(url)
    if parts is None:
        return url
    scheme, userinfo, rest = parts
    if ":" in userinfo and is_placeholder(userinfo.split(":", 1)[1]):
        return url
    if ":" not in userinfo and scheme.split(":", 1)[0].lower() in _DATABASE_SCHEMES:
        # a database user without a password: a name the reader needs to run the command
        return url
    return f"{scheme}{MASK}{rest}"


#: URL schemes whose user-info is a database user (elsewhere a lone user-info may be a token,
#: as in https://TOKEN@github.com/...)
_DATABASE_SCHEMES = frozenset(
    {"postgres", "postgresql", "pgsql", "postgis", "mysql", "mysql2", "mariadb", "mysqlgis"}
)


_KNOWN: set[str] = set()
_LOCK = threading.Lock()


def _maskable(value: object) -> bool:
    # a plain word ("postgres", "django") as a password is a secret too, but replacing every
    # occurrence of a word would garble the output: only values no prose holds are remembered
    return (
        isinstance(value, str)
        and len(value) >= 8
        and not value.isalpha()
        and not is_placeholder(value)
        and not value.isspace()
    )


def remember(values: Iterable[str]) -> None:
    """Values that must never be shown (the literal secrets of the project being fixed)."""
    with _LOCK:
        _KNOWN.update(v for v in values if _maskable(v))


def mask_text(text: str) -> str:
    """`text` with every URL's user-info, every known-format token and every remembered
    secret replaced by ***."""
    if not text:
        return text
    text = _URL.sub(lambda m: mask_url(m.group(0)), text)
    text = _TOKEN_FORMATS.sub(MASK, text)
    with _LOCK:
        known = sorted(_KNOWN, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


def secrets_in_source(tree: ast.Module) -> set[str]:
    """The string literals of a module that are secrets: assigned to (or the default of a read
    of) a secret name, a dict entry with a secret key, a known-format token, a URL's
    password."""
    found: set[str] = set()

    def add(value: object, name: str | None) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        password = url_password(value)
        if password and not is_placeholder(password):
            found.add(password)
            parts = split_userinfo(value)
            if parts is not None:
                found.add(parts[1])
        if looks_like_token(value) or (name is not None and is_secret_name(name)):
            found.add(value)

    def strings(root: ast.AST, root_name: str | None) -> None:
        # an explicit stack, not recursion: a settings module may hold a `+` chain of
        # thousands of terms, deeper than Python's recursion limit
        stack: list[tuple[ast.AST, str | None]] = [(root, root_name)]
        while stack:
            node, name = stack.pop()
            if isinstance(node, ast.Constant):
                add(node.value, name)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    key_name = key.value if isinstance(key, ast.Constant) else None
                    stack.append((value, key_name if isinstance(key_name, str) else name))
            elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                stack.extend((element, name) for element in node.elts)
            elif isinstance(node, ast.Call):
                var = None
                args = node.args
                if (
                    isinstance(node.func, ast.Name)
                    and node.func.id == "getattr"
                    and len(args) >= 2
                    and isinstance(args[1], ast.Constant)
                ):
                    # getattr(configuration, "SECRET_KEY", default): the second argument is
                    # the attribute's name, not a value; the default is the value
                    args = args[1:]
                if args and isinstance(args[0], ast.Constant):
                    var = args[0].value if isinstance(args[0].value, str) else None
                stack.extend((arg, var or name) for arg in args[1:])
                stack.extend((keyword.value, var or name) for keyword in node.keywords)
            elif isinstance(node, (ast.BoolOp, ast.BinOp, ast.IfExp)):
                stack.extend((child, name) for child in ast.iter_child_nodes(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else None
                if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                    name = str(target.slice.value)
                strings(node.value, name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            add(node.value, None)
    return found
