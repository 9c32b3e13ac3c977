"""Pull requests (GitHub) and merge requests (GitLab) for the branch djfix pushed: open one, or
update the one already open for that branch, over the providers' REST APIs.

One request per repository, as a dependency bot keeps it: a second run finds the open pull request
and rewrites its title and body only when they changed; a pull request that a person closed without
merging is declined, and djfix does not open it again while its branch exists (deleting the branch
asks again). Answers 5xx and rate-limit refusals are retried a bounded number of times, waiting
what the server asks (Retry-After, X-RateLimit-Reset) when that is short, else backing off.

Tokens come from GITHUB_TOKEN / GITLAB_TOKEN (or the caller); they are sent in a header, only to
the API's own host (a redirect elsewhere is not followed), and every error message is masked so
that neither they nor the credentials of a clone URL are shown.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from fixer import redaction
from fixer.errors import DjfixError, UsageError
from fixer.pr_body import render_body

TIMEOUT = 30  # seconds per request
ATTEMPTS = 4  # tries of one request when the server answers 5xx or is rate-limited
BACKOFF = 2.0  # seconds before the first retry when the server does not say; doubles
MAX_WAIT = 60.0  # the longest single wait; a rate limit that resets later fails at once
RETRY_STATUSES = (500, 502, 503, 504)
MAX_PAGES = 50  # listing pages followed when looking for the open pull request
GITHUB_API_VERSION = "2022-11-28"
GITHUB_BODY_LIMIT = 65_536  # characters GitHub accepts in a pull request body
DEFAULT_TITLE = "djfix: make the repository deploy-ready"
TOKEN_VARIABLES = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}
PROVIDERS = ("github", "gitlab")
_NAMES = {"github": "GitHub", "gitlab": "GitLab"}


class PullRequestError(DjfixError):
    """The provider could not be reached, or refused the request."""


@dataclass(frozen=True)
class PullRequest:
    url: str
    number: int  # GitHub's pull request number, GitLab's merge request iid
    created: bool  # False: an open one was found (updated, unchanged) or a closed one (declined)
    # created, updated, unchanged (title and body were already right), declined (closed unmerged)
    state: str = field(default="", compare=False)


@dataclass(frozen=True)
class Remote:
    provider: str  # github or gitlab
    host: str  # the web server, host[:port]
    slug: str  # owner/repo, or group/subgroup/project on GitLab

    @property
    def web_url(self) -> str:
        return f"https://{self.host}/{self.slug}"


# -- remotes ---------------------------------------------------------------------------------

_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?!/)(?P<path>\S+)$")


def mask_url(text: str) -> str:
    """`text` with the credentials of any URL in it (https://user:token@host, in any
    position, a password with raw `/?#@:` included) and any known-format token replaced."""
    return redaction.mask_text(text)


def parse_remote(url_or_slug: str, provider: str | None = None) -> Remote:
    """The provider, web host and repository path of a remote URL (https, ssh, scp-like
    `git@host:owner/repo.git`), or of a bare `owner/repo` when `provider` is given."""
    text = url_or_slug.strip()
    if provider is not None and provider not in PROVIDERS:
        raise UsageError(f"unknown provider {provider!r}: github or gitlab")
    host: str | None = None
    path = text
    if "://" in text:
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh") or not parts.hostname:
            raise UsageError(f"{mask_url(text)}: not a GitHub or GitLab remote URL")
        host = parts.hostname
        # an ssh port is not the web server's; an https port is
        if parts.scheme in ("https", "http") and parts.port:
            host = f"{host}:{parts.port}"
        path = parts.path
    elif (m := _SCP.match(text)) and "/" not in text.split(":", 1)[0]:
        host, path = m.group("host"), m.group("path")
    if host == "ssh.github.com":  # GitHub's ssh-over-443 host
        host = "github.com"
    path = path.strip("/").split("/-/", 1)[0].strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if host is None:
        if provider is None:
            raise UsageError(
                f"{text}: a repository path without a host; give a remote URL or the provider"
            )
        host = "github.com" if provider == "github" else "gitlab.com"
    if provider is None:
        name = host.lower()
        if "github" in name:
            provider = "github"
        elif "gitlab" in name:
            provider = "gitlab"
        else:
            raise UsageError(
                f"{mask_url(text)}: cannot tell whether {host} is GitHub or GitLab; "
                "name the provider"
            )
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or (provider == "github" and len(segments) != 2):
        shape = "owner/repo" if provider == "github" else "group/project"
        raise UsageError(f"{mask_url(text)}: expected a {_NAMES[provider]} {shape} path")
    return Remote(provider, host, "/".join(segments))


def api_base(remote: Remote, api_url: str | None = None) -> str:
    """The REST API root: `api_url` when given, the CI's own API when the CI runs on this very
    host (GITHUB_API_URL in GitHub Actions, CI_API_V4_URL in GitLab CI), else the host's."""
    if api_url:
        return api_url.rstrip("/")
    if remote.provider == "github":
        server = os.environ.get("GITHUB_SERVER_URL", "")
        if os.environ.get("GITHUB_API_URL") and urllib.parse.urlsplit(server).netloc == remote.host:
            return os.environ["GITHUB_API_URL"].rstrip("/")
        if remote.host == "github.com":
            return "https://api.github.com"
        return f"https://{remote.host}/api/v3"  # GitHub Enterprise Server
    if os.environ.get("CI_API_V4_URL") and os.environ.get("CI_SERVER_HOST") == remote.host:
        return os.environ["CI_API_V4_URL"].rstrip("/")
    return f"https://{remote.host}/api/v4"


# -- HTTP --------------------------------------------------------------------------------------


@dataclass
class _Response:
    status: int
    headers: Message
    data: Any


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port: the token header goes along."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old = urllib.parse.urlsplit(req.full_url)
        new = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Api:
    def __init__(
        self,
        provider: str,
        base: str,
        token: str,
        token_name: str,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.provider = provider
        self.name = _NAMES[provider]
        self.base = base
        self._token = token
        self.token_name = token_name
        self._origin = urllib.parse.urlsplit(base)[:2]
        self._opener = urllib.request.build_opener(_SameOriginRedirects)
        self._sleep = sleep if sleep is not None else time.sleep
        self._clock = clock if clock is not None else time.time

    def __repr__(self) -> str:  # never the token
        return f"_Api({self.provider!r}, {self.base!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": "djfix", "Accept": "application/json"}
        if self.provider == "github":
            headers["Accept"] = "application/vnd.github+json"
            headers["Authorization"] = f"Bearer {self._token}"
            headers["X-GitHub-Api-Version"] = GITHUB_API_VERSION
        else:
            headers["PRIVATE-TOKEN"] = self._token
        return headers

    def fail(self, message: str) -> PullRequestError:
        text = mask_url(message)
        if self._token:
            text = text.replace(self._token, "***")
        return PullRequestError(text)

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        url = self.base + path
        return url + ("?" + urllib.parse.urlencode(query) if query else "")

    def request(
        self, method: str, url: str, payload: dict[str, Any] | None = None, allow: tuple = ()
    ) -> _Response:
        """Send one request; 2xx and the statuses in `allow` are answers, anything else raises.
        A 5xx or rate-limited answer is tried again, at most ATTEMPTS times in all."""
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            response = self._send(method, url, payload)
            if 200 <= response.status < 300 or response.status in allow:
                return response
            wait = self._retry_after(response, delay)
            if wait is None or attempt == ATTEMPTS:
                break
            self._sleep(wait)
            delay *= 2
        raise self._refusal(method, url, response)

    def _retry_after(self, response: _Response, delay: float) -> float | None:
        """Seconds to wait before trying again, or None when trying again cannot help."""
        status, headers = response.status, response.headers
        limited = status == 429 or (
            status == 403
            and (headers.get("Retry-After") is not None or _rate_limit_used_up(headers))
        )
        if status not in RETRY_STATUSES and not limited:
            return None
        asked = _seconds(headers.get("Retry-After"), self._clock())
        if asked is None and limited and headers.get("X-RateLimit-Reset"):
            reset = headers.get("X-RateLimit-Reset", "").strip()
            if reset.isdigit():
                asked = max(0.0, int(reset) - self._clock())
        if asked is None:
            return delay
        return asked if asked <= MAX_WAIT else None

    def _send(self, method: str, url: str, payload: dict[str, Any] | None) -> _Response:
        if urllib.parse.urlsplit(url)[:2] != self._origin:
            raise self.fail(f"{self.name} pointed djfix at {url}, outside {self.base}")
        data = None
        headers = self._headers()
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=TIMEOUT) as resp:
                status, resp_headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            status, resp_headers = exc.code, exc.headers
            try:
                raw = exc.read()
            except OSError:
                raw = b""
            finally:
                exc.close()
        except urllib.error.URLError as exc:
            raise self.fail(f"cannot reach {self.name} at {self.base}: {exc.reason}") from None
        except TimeoutError:
            raise self.fail(
                f"{self.name} at {self.base} did not answer within {TIMEOUT} s"
            ) from None
        except OSError as exc:
            raise self.fail(f"cannot reach {self.name} at {self.base}: {exc}") from None
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError):
            body = None
            if 200 <= status < 300:
                raise self.fail(
                    f"{self.name} at {self.base} answered {method} {url} with something that "
                    "is not JSON: is the API URL right?"
                ) from None
        return _Response(status, resp_headers, body)

    def _refusal(self, method: str, url: str, response: _Response) -> PullRequestError:
        status, detail = response.status, api_message(response.data)
        said = f" ({status}{': ' + detail if detail else ''})"
        if status == 401:
            return self.fail(
                f"{self.name} refused the token in {self.token_name}{said}: it is wrong, expired "
                "or revoked"
            )
        if status == 429 or (status == 403 and _rate_limit_used_up(response.headers)):
            return self.fail(f"{self.name}'s API rate limit is used up{said}; try again later")
        if status in RETRY_STATUSES:
            return self.fail(
                f"{self.name} answered {method} {url} with a server error{said}, "
                f"{ATTEMPTS} times; try again later"
            )
        if status == 403:
            need = (
                "write access to pull requests (`pull-requests: write` in a workflow, the "
                "`repo` scope for a classic token)"
                if self.provider == "github"
                else "the `api` scope and at least the Developer role in the project"
            )
            return self.fail(
                f"{self.name} forbids this to the token in {self.token_name}{said}; it needs {need}"
            )
        if status == 404:
            return self.fail(
                f"{self.name} has no such repository, or the token in {self.token_name} cannot "
                f"see it{said}: {method} {url}"
            )
        return self.fail(f"{self.name} answered {method} {url} with an error{said}")

    def pages(self, path: str, query: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing: GitHub's Link rel="next", GitLab's X-Next-Page."""
        url: str | None = self.url(path, query)
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.request("GET", url)
            if not isinstance(response.data, list):
                raise self.fail(f"{self.name} answered GET {url} with something not a list")
            yield response.data
            url = self._next(path, query, response.headers)

    def _next(self, path: str, query: dict[str, str], headers: Message) -> str | None:
        if self.provider == "github":
            m = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', headers.get("Link") or "")
            return m.group(1) if m else None
        page = (headers.get("X-Next-Page") or "").strip()
        return self.url(path, {**query, "page": page}) if page.isdigit() else None


def _rate_limit_used_up(headers: Message) -> bool:
    return (headers.get("X-RateLimit-Remaining") or "").strip() == "0" or (
        (headers.get("RateLimit-Remaining") or "").strip() == "0"
    )


def _seconds(retry_after: str | None, now: float) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`."""
    if retry_after is None:
        return None
    text = retry_after.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def api_message(data: Any) -> str:
    """The human part of a provider's error answer."""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    message = data.get("message", data.get("error"))
    if isinstance(message, str):
        parts.append(message)
    elif isinstance(message, list):
        parts.extend(str(m) for m in message)
    elif isinstance(message, dict):
        parts.extend(
            f"{k} {'; '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in message.items()
        )
    if isinstance(data.get("error_description"), str):
        parts.append(data["error_description"])
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("resource", "field", "code") if error.get(k)
            )
            if text:
                parts.append(str(text))
        elif isinstance(error, str):
            parts.append(error)
    return "; ".join(p for p in parts if p)


# -- opening or updating ---------------------------------------------------------------------


def _connect(
    provider: str | None,
    repo_url_or_slug: str,
    token: str | None,
    api_url: str | None,
    sleep: Callable[[float], None] | None,
) -> tuple[_Api, Remote]:
    remote = parse_remote(repo_url_or_slug, provider)
    variable = TOKEN_VARIABLES[remote.provider]
    token_name = "the token given" if token else variable
    token = token or os.environ.get(variable, "").strip()
    if not token:
        raise UsageError(
            f"a {'pull' if remote.provider == 'github' else 'merge'} request on {remote.host} "
            f"needs a token: set {variable}"
        )
    base_url = api_base(remote, api_url)
    _check_token_host(remote, base_url, api_url)
    return _Api(remote.provider, base_url, token, token_name, sleep), remote


def open_or_update(
    provider: str | None,
    repo_url_or_slug: str,
    branch: str,
    base: str,
    title: str,
    body: str,
    token: str | None,
    api_url: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PullRequest:
    """Open a pull/merge request from `branch` into `base`, or update the open one.

    `provider` is "github", "gitlab", or None to tell from the URL; `token` None reads
    GITHUB_TOKEN or GITLAB_TOKEN; `api_url` overrides the API root (self-hosted servers);
    `sleep` waits between retries (tests pass their own)."""
    api, remote = _connect(provider, repo_url_or_slug, token, api_url, sleep)
    if not branch or not base:
        raise UsageError("a pull request needs a branch and a base branch")
    if remote.provider == "github":
        return _github(api, remote, branch, base, title, body)
    return _gitlab(api, remote, branch, base, title, body)


def find_declined(
    provider: str | None,
    repo_url_or_slug: str,
    branch: str,
    base: str,
    token: str | None,
    api_url: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PullRequest | None:
    """The pull/merge request from `branch` into `base` that a person closed without merging,
    when it is the latest one for that branch (an open or merged later one is not declined)."""
    api, remote = _connect(provider, repo_url_or_slug, token, api_url, sleep)
    if remote.provider == "github":
        owner, repo = remote.slug.split("/")
        path = f"/repos/{_quote(owner)}/{_quote(repo)}/pulls"
        query = {
            "head": f"{owner}:{branch}",
            "base": base,
            "state": "all",
            "sort": "created",
            "direction": "desc",
            "per_page": "10",
        }
        for page in api.pages(path, query):
            latest = next((p for p in page if (p.get("head") or {}).get("ref") == branch), None)
            if latest is None:
                continue
            if latest.get("state") == "closed" and not latest.get("merged_at"):
                return PullRequest(latest["html_url"], int(latest["number"]), False, "declined")
            return None
        return None
    path = f"/projects/{_quote(remote.slug)}/merge_requests"
    query = {
        "source_branch": branch,
        "target_branch": base,
        "state": "all",
        "order_by": "created_at",
        "sort": "desc",
        "per_page": "10",
    }
    for page in api.pages(path, query):
        latest = next((m for m in page if m.get("source_branch") == branch), None)
        if latest is None:
            continue
        if latest.get("state") == "closed":
            return PullRequest(latest["web_url"], int(latest["iid"]), False, "declined")
        return None
    return None


_FORGE_APIS = {"github.com": "api.github.com", "gitlab.com": "gitlab.com"}


def _check_token_host(remote: Remote, base_url: str, api_url: str | None) -> None:
    """The token goes only to the forge the remote names exactly (github.com, gitlab.com), to
    the host the user named with --api-url, or to the CI's own server: never to a host that
    merely looks like a forge (github.com.evil.example, gitlab.example.com.attacker.net)."""
    api_host = (urllib.parse.urlsplit(base_url).hostname or "").lower()
    if api_url:
        return  # named by the user
    remote_host = remote.host.split(":")[0].lower()
    if _FORGE_APIS.get(remote_host) == api_host:
        return
    ci_hosts = {
        (urllib.parse.urlsplit(os.environ.get("GITHUB_SERVER_URL", "")).hostname or "").lower(),
        os.environ.get("CI_SERVER_HOST", "").split(":")[0].lower(),
    } - {""}
    if remote_host in ci_hosts:
        return
    raise UsageError(
        f"the remote's host {remote.host} is not {' or '.join(_FORGE_APIS)}: djfix sends your "
        f"token only to a server you name: pass --api-url https://{remote.host}/"
        f"{'api/v3' if remote.provider == 'github' else 'api/v4'} if {remote.host} is yours"
    )


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _same_text(old: str | None, new: str) -> bool:
    # the web editors save line ends as CRLF: an edit that changed nothing else is not a change
    return (old or "").replace("\r\n", "\n").rstrip() == new.replace("\r\n", "\n").rstrip()


def _github(api: _Api, remote: Remote, branch: str, base: str, title: str, body: str):
    owner, repo = remote.slug.split("/")
    path = f"/repos/{_quote(owner)}/{_quote(repo)}/pulls"
    if len(body) > GITHUB_BODY_LIMIT:
        cut = "\n\n… (cut: run `djfix check` for the whole list)\n"
        body = body[: GITHUB_BODY_LIMIT - len(cut)] + cut
    created = api.request(
        "POST",
        api.url(path),
        {"title": title, "head": branch, "base": base, "body": body},
        allow=(422,),
    )
    if created.status != 422:
        return PullRequest(created.data["html_url"], int(created.data["number"]), True, "created")
    detail = api_message(created.data)
    if "already exists" not in detail.lower():
        raise api.fail(
            f"GitHub did not open a pull request from {branch} into {base} (422: {detail}); "
            "is the branch pushed, and does it differ from the base?"
        )
    existing = None
    query = {"head": f"{owner}:{branch}", "state": "open", "per_page": "100"}
    for page in api.pages(path, query):
        existing = next(
            (
                pr
                for pr in page
                if (pr.get("head") or {}).get("ref") == branch
                and (pr.get("base") or {}).get("ref") == base
            ),
            None,
        )
        if existing is not None:
            break
    if existing is None:
        raise api.fail(
            f"GitHub says a pull request from {branch} into {base} already exists in "
            f"{remote.slug}, but none is listed as open"
        )
    number = int(existing["number"])
    if existing.get("title") == title and _same_text(existing.get("body"), body):
        return PullRequest(existing["html_url"], number, False, "unchanged")
    updated = api.request("PATCH", api.url(f"{path}/{number}"), {"title": title, "body": body})
    return PullRequest(updated.data["html_url"], int(updated.data["number"]), False, "updated")


def _gitlab(api: _Api, remote: Remote, branch: str, base: str, title: str, body: str):
    path = f"/projects/{_quote(remote.slug)}/merge_requests"
    payload = {"source_branch": branch, "target_branch": base, "title": title, "description": body}
    created = api.request("POST", api.url(path), payload, allow=(409,))
    if created.status != 409:
        return PullRequest(created.data["web_url"], int(created.data["iid"]), True, "created")
    existing = None
    query = {"source_branch": branch, "state": "opened", "per_page": "100"}
    for page in api.pages(path, query):
        existing = next(
            (
                mr
                for mr in page
                if mr.get("source_branch") == branch and mr.get("target_branch") == base
            ),
            None,
        )
        if existing is not None:
            break
    if existing is None:
        raise api.fail(
            f"GitLab says a merge request from {branch} already exists in {remote.slug} "
            f"({api_message(created.data)}), but none into {base} is listed as open"
        )
    iid = int(existing["iid"])
    if existing.get("title") == title and _same_text(existing.get("description"), body):
        return PullRequest(existing["web_url"], iid, False, "unchanged")
    updated = api.request("PUT", api.url(f"{path}/{iid}"), {"title": title, "description": body})
    return PullRequest(updated.data["web_url"], int(updated.data["iid"]), False, "updated")


def remote_url(root: Path, name: str) -> str:
    """The URL of the git remote `name` of the repository at `root`."""
    if not name or name.startswith("-"):
        raise UsageError(f"{name!r} is not a remote name")
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", name],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DjfixError(f"cannot run git: {exc}") from None
    url = proc.stdout.strip()
    if proc.returncode != 0 or not url:
        raise UsageError(f"--pr: the repository has no remote {name!r} to find the pull request on")
    return url


def _remote_default_branch(root: Path, remote: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "symbolic-ref", "--short", f"refs/remotes/{remote}/HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    name = proc.stdout.strip()
    prefix = f"{remote}/"
    return name[len(prefix) :] if proc.returncode == 0 and name.startswith(prefix) else None


def target_branch(
    root: Path, branch: str, original: str | None, base: str | None, remote: str
) -> str:
    """The branch the pull request of `branch` targets: `base` when given, else the branch djfix
    started from (`original`), else, run on `branch` itself, the remote's default branch."""
    target = base or original
    if not base and target == branch:
        # run on its own branch: the remote's default branch, as the clone recorded it
        target = _remote_default_branch(root, remote)
    if not target or target == branch:
        raise UsageError(
            f"--pr: djfix ran on {branch} itself, so the pull request has no base "
            "branch: pass --base NAME"
        )
    return target


def declined(
    root: Path,
    branch: str,
    original: str | None,
    *,
    remote: str = "origin",
    base: str | None = None,
    provider: str | None = None,
    api_url: str | None = None,
    token: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PullRequest | None:
    """The declined pull request of `branch` (closed without merging, the branch still on the
    remote), asked before djfix pushes anything; None when djfix may propose it."""
    target = target_branch(root, branch, original, base, remote)
    return find_declined(
        provider, remote_url(root, remote), branch, target, token, api_url=api_url, sleep=sleep
    )


def propose(
    result,
    delivery,
    *,
    remote: str = "origin",
    base: str | None = None,
    provider: str | None = None,
    api_url: str | None = None,
    title: str = DEFAULT_TITLE,
    token: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PullRequest | None:
    """Open or update the pull request of a delivered branch (`fixer.handover.Delivery`), into
    `base` or else the branch djfix started from; None when no branch was made."""
    if delivery.state not in ("created", "updated", "unchanged") or not delivery.branch:
        return None
    target = target_branch(delivery.root, delivery.branch, delivery.original, base, remote)
    url = remote_url(delivery.root, remote)
    body = render_body(result, delivery=delivery)
    return open_or_update(
        provider,
        url,
        delivery.branch,
        target,
        title,
        redaction.mask_text(body),
        token,
        api_url=api_url,
        sleep=sleep,
    )


def write_outputs(values: dict[str, str], path: str | None = None) -> None:
    """Append `name=value` lines to the GitHub Actions step output file ($GITHUB_OUTPUT, or
    `path`), so that a workflow reads what djfix did (`steps.<id>.outputs.pr-url`). Nothing
    happens outside Actions."""
    target = path or os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    lines = []
    for name, value in values.items():
        text = str(value)
        if "\n" in text or "\r" in text:
            raise ValueError(f"output {name} holds a line break")
        lines.append(f"{name}={text}\n")
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("".join(lines))
