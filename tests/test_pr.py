"""Pull and merge requests against a local server that speaks the GitHub (REST v3) and GitLab
(REST v4) endpoints djfix uses; the pull request body; the GitHub Action and pre-commit hook."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from fixer import pr, pr_body
from fixer.apply import ApplyResult, ItemSummary, plan
from fixer.checks import Selection
from fixer.errors import UsageError
from fixer.findings import CheckResult, Finding, FixSafety, Rule, Severity
from fixer.fix_context import EnvVar
from fixer.handover import Commit
from fixer.pr import PullRequest, PullRequestError, open_or_update, parse_remote

ROOT = Path(__file__).resolve().parent.parent
GH_TOKEN = "ghp_test0123456789abcdefTOKEN"
GL_TOKEN = "glpat-test0123456789TOKEN"


# -- a local forge ----------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str  # raw, as sent (GitLab's project id stays %2F-encoded)
    query: dict[str, str]
    headers: Message  # names compare case-insensitively, as in HTTP
    body: Any


@dataclass
class Forge:
    """A GitHub or GitLab API holding pull/merge requests in memory; listings are cut into pages
    of at most `page_size` (the real servers cap per_page at 100)."""

    kind: str
    token: str
    base: str = ""
    page_size: int = 2
    branches: set[str] = field(default_factory=lambda: {"main", "djfix/deploy-ready"})
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    forbidden: bool = False
    echo_token: bool = False
    redirect_to: str | None = None
    # canned answers given before any real one: (status, headers), one per request
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def add(self, branch: str, target: str, state: str = "open") -> dict[str, Any]:
        """A pull request in `state`: open, closed (without merging) or merged."""
        number = len(self.pulls) + 1
        if self.kind == "github":
            entry = {
                "number": number,
                "html_url": f"https://github.com/acme/shop/pull/{number}",
                "state": "closed" if state == "merged" else state,
                "merged_at": "2026-01-05T10:00:00Z" if state == "merged" else None,
                "title": f"old {number}",
                "body": "old body",
                "head": {"ref": branch, "label": f"acme:{branch}"},
                "base": {"ref": target},
            }
        else:
            entry = {
                "iid": number,
                "web_url": f"https://gitlab.example.com/group/sub/shop/-/merge_requests/{number}",
                "state": "opened" if state == "open" else state,
                "title": f"old {number}",
                "description": "old body",
                "source_branch": branch,
                "target_branch": target,
            }
        self.pulls.append(entry)
        return entry

    # the answers ------------------------------------------------------------------------------

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if self.fail_next:
            status, headers = self.fail_next.pop(0)
            return status, headers, {"message": f"canned {status}"}
        if self.redirect_to is not None:
            return 307, {"Location": self.redirect_to + seen.path}, {"message": "Moved"}
        if self.kind == "github":
            return self._github(seen)
        return self._gitlab(seen)

    def _page(self, items: list, seen: Seen) -> tuple[list, int | None, int]:
        size = min(int(seen.query.get("per_page", "30")), self.page_size)
        page = int(seen.query.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        last = max(1, -(-len(items) // size))
        return chunk, (page + 1 if page < last else None), last

    def _github(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.headers.get("Authorization") != f"Bearer {self.token}":
            message = "Bad credentials"
            if self.echo_token:
                message += f" for {seen.headers.get('Authorization', '')}"
            return 401, {}, {"message": message, "documentation_url": "https://docs.github.com"}
        if self.forbidden:
            return 403, {}, {"message": "Resource not accessible by integration"}
        m = re.fullmatch(r"/repos/acme/shop/pulls(?:/(\d+))?", seen.path)
        if m is None:
            return 404, {}, {"message": "Not Found"}
        if seen.method == "POST" and m.group(1) is None:
            body = seen.body
            if body["head"] not in self.branches:
                return (
                    422,
                    {},
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
                    },
                )
            if any(
                p["head"]["ref"] == body["head"] and p["base"]["ref"] == body["base"]
                for p in self.pulls
                if p["state"] == "open"
            ):
                return (
                    422,
                    {},
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "resource": "PullRequest",
                                "code": "custom",
                                "message": "A pull request already exists for "
                                f"acme:{body['head']}.",
                            }
                        ],
                    },
                )
            entry = self.add(body["head"], body["base"])
            entry.update(title=body["title"], body=body["body"])
            return 201, {}, entry
        if seen.method == "GET" and m.group(1) is None:
            state = seen.query.get("state", "open")
            items = [
                p
                for p in self.pulls
                if state in (p["state"], "all")
                and ("head" not in seen.query or f"acme:{p['head']['ref']}" == seen.query["head"])
                and ("base" not in seen.query or p["base"]["ref"] == seen.query["base"])
            ]
            if seen.query.get("direction") == "desc":
                items.reverse()  # created order is the order of the list
            chunk, next_page, last = self._page(items, seen)
            headers = {}
            if next_page is not None:
                links = []
                for rel, number in (("next", next_page), ("last", last)):
                    query = urllib.parse.urlencode({**seen.query, "page": str(number)})
                    links.append(f'<{self.base}/repos/acme/shop/pulls?{query}>; rel="{rel}"')
                headers["Link"] = ", ".join(links)
            return 200, headers, chunk
        if seen.method == "PATCH" and m.group(1) is not None:
            entry = self.pulls[int(m.group(1)) - 1]
            entry.update({k: v for k, v in seen.body.items() if k in ("title", "body")})
            return 200, {}, entry
        return 404, {}, {"message": "Not Found"}

    def _gitlab(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.headers.get("PRIVATE-TOKEN") != self.token:
            return 401, {}, {"message": "401 Unauthorized"}
        if self.forbidden:
            return 403, {}, {"message": "403 Forbidden"}
        m = re.fullmatch(
            r"/api/v4/projects/group%2Fsub%2Fshop/merge_requests(?:/(\d+))?", seen.path
        )
        if m is None:
            return 404, {}, {"message": "404 Project Not Found"}
        if seen.method == "POST" and m.group(1) is None:
            body = seen.body
            for p in self.pulls:
                if (
                    p["state"] == "opened"
                    and p["source_branch"] == body["source_branch"]
                    and p["target_branch"] == body["target_branch"]
                ):
                    return (
                        409,
                        {},
                        {
                            "message": [
                                "Another open merge request already exists for this source "
                                f"branch: !{p['iid']}"
                            ]
                        },
                    )
            entry = self.add(body["source_branch"], body["target_branch"])
            entry.update(title=body["title"], description=body["description"])
            return 201, {}, entry
        if seen.method == "GET" and m.group(1) is None:
            state = seen.query.get("state", "opened")
            items = [
                p
                for p in self.pulls
                if state in (p["state"], "all")
                and p["source_branch"] == seen.query.get("source_branch", p["source_branch"])
                and p["target_branch"] == seen.query.get("target_branch", p["target_branch"])
            ]
            if seen.query.get("sort") == "desc":
                items.reverse()
            chunk, next_page, _ = self._page(items, seen)
            return (
                200,
                {"X-Next-Page": str(next_page or ""), "X-Page": seen.query.get("page", "1")},
                chunk,
            )
        if seen.method == "PUT" and m.group(1) is not None:
            entry = self.pulls[int(m.group(1)) - 1]
            entry.update({k: v for k, v in seen.body.items() if k in ("title", "description")})
            return 200, {}, entry
        return 404, {}, {"message": "404 Not Found"}


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = Seen(
                self.command,
                path,
                dict(urllib.parse.parse_qsl(query)),
                self.headers,
                json.loads(raw) if raw else None,
            )
            forge.requests.append(seen)
            status, headers, body = forge.answer(seen)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(autouse=True)
def _no_proxy_no_ci(monkeypatch):
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "GITHUB_TOKEN",
        "GITLAB_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "CI_API_V4_URL",
        "CI_SERVER_HOST",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []
    threads: list[threading.Thread] = []

    def start(forge: Forge) -> Forge:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forge))
        server.daemon_threads = True
        host, port = server.server_address[:2]
        prefix = "/api/v4" if forge.kind == "gitlab" else ""
        forge.base = f"http://{host}:{port}{prefix}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append(server)
        threads.append(thread)
        return forge

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for thread in threads:
        thread.join(timeout=5)


@pytest.fixture
def github(serve) -> Forge:
    return serve(Forge("github", GH_TOKEN))


@pytest.fixture
def gitlab(serve) -> Forge:
    return serve(Forge("gitlab", GL_TOKEN))


def gh(forge: Forge, body: str = "the body", token: str | None = GH_TOKEN, **kw) -> PullRequest:
    return open_or_update(
        None,
        kw.pop("remote", "git@github.com:acme/shop.git"),
        kw.pop("branch", "djfix/deploy-ready"),
        kw.pop("base", "main"),
        kw.pop("title", "djfix: deploy-ready"),
        body,
        token,
        api_url=kw.pop("api_url", forge.base),
        sleep=kw.pop("sleep", None),
    )


def gl(forge: Forge, body: str = "the body", token: str | None = GL_TOKEN, **kw) -> PullRequest:
    return open_or_update(
        None,
        kw.pop("remote", "git@gitlab.example.com:group/sub/shop.git"),
        kw.pop("branch", "djfix/deploy-ready"),
        kw.pop("base", "main"),
        kw.pop("title", "djfix: deploy-ready"),
        body,
        token,
        api_url=forge.base,
        sleep=kw.pop("sleep", None),
    )


# -- remotes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/shop", ("github", "github.com", "acme/shop")),
        ("https://github.com/acme/shop.git", ("github", "github.com", "acme/shop")),
        (
            "https://x-access-token:abc@github.com/acme/shop.git",
            ("github", "github.com", "acme/shop"),
        ),
        ("git@github.com:acme/shop.git", ("github", "github.com", "acme/shop")),
        ("ssh://git@github.com/acme/shop.git", ("github", "github.com", "acme/shop")),
        ("ssh://git@ssh.github.com:443/acme/shop.git", ("github", "github.com", "acme/shop")),
        ("https://github.example.org/acme/shop.git", ("github", "github.example.org", "acme/shop")),
        ("https://gitlab.com/group/sub/shop.git", ("gitlab", "gitlab.com", "group/sub/shop")),
        (
            "git@gitlab.example.com:group/sub/shop.git",
            ("gitlab", "gitlab.example.com", "group/sub/shop"),
        ),
        (
            "ssh://git@gitlab.example.com:2222/group/shop.git",
            ("gitlab", "gitlab.example.com", "group/shop"),
        ),
        (
            "https://gitlab.example.com:8443/group/shop/-/tree/main",
            ("gitlab", "gitlab.example.com:8443", "group/shop"),
        ),
    ],
)
def test_parse_remote(url, expected):
    remote = parse_remote(url)
    assert (remote.provider, remote.host, remote.slug) == expected


def test_parse_remote_bare_slug_with_provider():
    assert parse_remote("acme/shop", "github") == pr.Remote("github", "github.com", "acme/shop")
    assert parse_remote("group/shop", "gitlab") == pr.Remote("gitlab", "gitlab.com", "group/shop")


def test_parse_remote_self_hosted_with_provider_given():
    remote = parse_remote("git@git.acme.internal:group/shop.git", "gitlab")
    assert remote == pr.Remote("gitlab", "git.acme.internal", "group/shop")
    assert pr.api_base(remote) == "https://git.acme.internal/api/v4"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "git@git.acme.internal:group/shop.git",
            "cannot tell whether git.acme.internal is GitHub or GitLab",
        ),
        ("acme/shop", "a repository path without a host"),
        ("https://github.com/acme/shop/extra", "expected a GitHub owner/repo path"),
        ("https://gitlab.com/shop", "expected a GitLab group/project path"),
        ("ftp://github.com/acme/shop", "not a GitHub or GitLab remote URL"),
    ],
)
def test_parse_remote_refuses(url, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_remote(url)


def test_parse_remote_error_masks_credentials():
    with pytest.raises(UsageError) as info:
        parse_remote("https://user:hunter2-token@git.acme.internal/a/b.git")
    assert "hunter2-token" not in str(info.value)
    assert "https://***@git.acme.internal/a/b.git" in str(info.value)


def test_api_base(monkeypatch):
    assert pr.api_base(parse_remote("git@github.com:a/b.git")) == "https://api.github.com"
    assert pr.api_base(parse_remote("https://github.example.org/a/b")) == (
        "https://github.example.org/api/v3"
    )
    assert pr.api_base(parse_remote("https://gitlab.example.com:8443/g/p")) == (
        "https://gitlab.example.com:8443/api/v4"
    )
    assert pr.api_base(parse_remote("git@github.com:a/b.git"), "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9"
    )
    # a CI's own API only for its own server
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example.org")
    monkeypatch.setenv("GITHUB_API_URL", "https://github.example.org/api/v3/")
    assert pr.api_base(parse_remote("git@github.com:a/b.git")) == "https://api.github.com"
    assert pr.api_base(parse_remote("git@github.example.org:a/b.git")) == (
        "https://github.example.org/api/v3"
    )
    monkeypatch.setenv("CI_SERVER_HOST", "gitlab.example.com")
    monkeypatch.setenv("CI_API_V4_URL", "https://gitlab.example.com/api/v4")
    assert pr.api_base(parse_remote("git@gitlab.com:g/p.git")) == "https://gitlab.com/api/v4"
    assert pr.api_base(parse_remote("git@gitlab.example.com:g/p.git")) == (
        "https://gitlab.example.com/api/v4"
    )


# -- tokens -------------------------------------------------------------------------------------


def test_missing_token_sends_nothing(github):
    with pytest.raises(UsageError) as info:
        gh(github, token=None)
    assert str(info.value) == "a pull request on github.com needs a token: set GITHUB_TOKEN"
    assert github.requests == []


def test_missing_gitlab_token_sends_nothing(gitlab):
    with pytest.raises(UsageError) as info:
        gl(gitlab, token=None)
    assert str(info.value) == (
        "a merge request on gitlab.example.com needs a token: set GITLAB_TOKEN"
    )
    assert gitlab.requests == []


def test_token_read_from_environment(github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    assert gh(github, token=None) == PullRequest("https://github.com/acme/shop/pull/1", 1, True)
    assert github.requests[0].headers["Authorization"] == f"Bearer {GH_TOKEN}"


# -- GitHub -------------------------------------------------------------------------------------


def test_github_opens_a_pull_request(github):
    result = gh(github, body="## Checklist\n")

    assert result == PullRequest("https://github.com/acme/shop/pull/1", 1, True)
    assert len(github.requests) == 1
    seen = github.requests[0]
    assert (seen.method, seen.path, seen.query) == ("POST", "/repos/acme/shop/pulls", {})
    assert seen.body == {
        "title": "djfix: deploy-ready",
        "head": "djfix/deploy-ready",
        "base": "main",
        "body": "## Checklist\n",
    }
    assert seen.headers["Authorization"] == f"Bearer {GH_TOKEN}"
    assert seen.headers["Accept"] == "application/vnd.github+json"
    assert seen.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert seen.headers["Content-Type"] == "application/json"
    assert "PRIVATE-TOKEN" not in seen.headers


def test_github_already_exists_found_on_the_second_page_and_updated(github):
    # the same head into other bases fills the first page; the one into main is on page two
    github.add("djfix/deploy-ready", "release")
    github.add("djfix/deploy-ready", "stable")
    github.add("other-branch", "main")
    github.add("djfix/deploy-ready", "main")

    result = gh(github, body="new body", title="new title")

    assert result == PullRequest("https://github.com/acme/shop/pull/4", 4, False)
    assert [(s.method, s.path) for s in github.requests] == [
        ("POST", "/repos/acme/shop/pulls"),
        ("GET", "/repos/acme/shop/pulls"),
        ("GET", "/repos/acme/shop/pulls"),
        ("PATCH", "/repos/acme/shop/pulls/4"),
    ]
    listing = {"head": "acme:djfix/deploy-ready", "state": "open", "per_page": "100"}
    assert github.requests[1].query == listing
    assert github.requests[2].query == {**listing, "page": "2"}
    assert github.requests[3].body == {"title": "new title", "body": "new body"}
    assert github.requests[3].headers["Authorization"] == f"Bearer {GH_TOKEN}"
    assert (github.pulls[3]["title"], github.pulls[3]["body"]) == ("new title", "new body")
    assert [p["title"] for p in github.pulls[:3]] == ["old 1", "old 2", "old 3"]


def test_github_closed_pull_request_is_not_reused(github):
    github.add("djfix/deploy-ready", "main", state="closed")
    assert gh(github) == PullRequest("https://github.com/acme/shop/pull/2", 2, True)


def test_github_second_run_updates_the_same_pull_request(github):
    first = gh(github, body="first")
    second = gh(github, body="second")
    assert (first.number, first.created) == (1, True)
    assert (second.number, second.created) == (1, False)
    assert len(github.pulls) == 1
    assert github.pulls[0]["body"] == "second"
    # nothing changed: nothing is written
    before = len(github.requests)
    third = gh(github, body="second")
    assert third == PullRequest("https://github.com/acme/shop/pull/1", 1, False)
    assert [s.method for s in github.requests[before:]] == ["POST", "GET"]


def test_github_long_body_is_cut_to_the_limit(github):
    gh(github, body="x" * (pr.GITHUB_BODY_LIMIT + 10))
    sent = github.requests[0].body["body"]
    assert len(sent) == pr.GITHUB_BODY_LIMIT
    assert sent.endswith("… (cut: run `djfix check` for the whole list)\n")


def test_github_bad_token(github):
    with pytest.raises(PullRequestError) as info:
        gh(github, token="ghp_wrong-token-value")
    assert str(info.value) == (
        "GitHub refused the token in the token given (401: Bad credentials): it is wrong, "
        "expired or revoked"
    )


def test_github_bad_token_from_environment_is_named(github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrong-token-value")
    with pytest.raises(PullRequestError, match=r"refused the token in GITHUB_TOKEN \(401"):
        gh(github, token=None)


def test_github_token_never_shown_even_when_echoed(github):
    github.echo_token = True
    with pytest.raises(PullRequestError) as info:
        gh(github, token="ghp_wrong-token-value")
    assert "ghp_wrong-token-value" not in str(info.value)
    assert "Bad credentials for Bearer ***" in str(info.value)


def test_github_forbidden(github):
    github.forbidden = True
    with pytest.raises(PullRequestError) as info:
        gh(github)
    assert str(info.value) == (
        "GitHub forbids this to the token in the token given (403: Resource not accessible by "
        "integration); it needs write access to pull requests (`pull-requests: write` in a "
        "workflow, the `repo` scope for a classic token)"
    )


def test_github_branch_not_pushed(github):
    with pytest.raises(PullRequestError) as info:
        gh(github, branch="never-pushed")
    assert str(info.value) == (
        "GitHub did not open a pull request from never-pushed into main (422: Validation "
        "Failed; PullRequest head invalid); is the branch pushed, and does it differ from the base?"
    )


def test_github_unknown_repository_masks_url_credentials(github):
    with pytest.raises(PullRequestError) as info:
        gh(github, remote=f"https://x-access-token:{GH_TOKEN}@github.com/acme/other.git")
    message = str(info.value)
    assert GH_TOKEN not in message
    assert message.startswith(
        "GitHub has no such repository, or the token in the token given cannot see it "
        "(404: Not Found): POST http://127.0.0.1:"
    )


def test_github_redirect_elsewhere_is_not_followed(github):
    port = github.base.rsplit(":", 1)[1]
    github.redirect_to = f"http://localhost:{port}"
    with pytest.raises(PullRequestError, match=r"with an error \(307: Moved\)"):
        gh(github)
    assert len(github.requests) == 1  # the token never went to the other origin


def test_unreachable_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port any more
    with pytest.raises(PullRequestError) as info:
        open_or_update(
            None,
            "git@github.com:acme/shop.git",
            "b",
            "main",
            "t",
            "x",
            GH_TOKEN,
            api_url=f"http://127.0.0.1:{port}",
        )
    assert str(info.value).startswith(f"cannot reach GitHub at http://127.0.0.1:{port}: ")
    assert GH_TOKEN not in str(info.value)


def test_server_that_never_answers(monkeypatch):
    monkeypatch.setattr(pr, "TIMEOUT", 0.3)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # the connection is accepted by the kernel; no answer ever comes
        port = sock.getsockname()[1]
        with pytest.raises(PullRequestError) as info:
            open_or_update(
                None,
                "git@github.com:acme/shop.git",
                "b",
                "main",
                "t",
                "x",
                GH_TOKEN,
                api_url=f"http://127.0.0.1:{port}",
            )
    assert str(info.value) in (
        f"GitHub at http://127.0.0.1:{port} did not answer within 0.3 s",
        f"cannot reach GitHub at http://127.0.0.1:{port}: timed out",
    )


def test_states_created_updated_unchanged(github):
    assert gh(github, body="one").state == "created"
    assert gh(github, body="two").state == "updated"
    assert gh(github, body="two").state == "unchanged"


def test_body_saved_with_crlf_by_the_web_editor_is_not_patched(github, gitlab):
    github.add("djfix/deploy-ready", "main")
    github.pulls[0].update(title="t", body="line one\r\nline two\r\n")
    assert gh(github, title="t", body="line one\nline two\n").state == "unchanged"
    assert [s.method for s in github.requests] == ["POST", "GET"]
    gitlab.add("djfix/deploy-ready", "main")
    gitlab.pulls[0].update(title="t", description="same\r\n")
    assert gl(gitlab, title="t", body="same\n").state == "unchanged"
    assert [s.method for s in gitlab.requests] == ["POST", "GET"]


# -- retries ------------------------------------------------------------------------------------


class Sleeps(list):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_server_error_is_retried_with_backoff(github):
    github.fail_next = [(502, {}), (503, {})]
    waits = Sleeps()
    assert gh(github, sleep=waits) == PullRequest("https://github.com/acme/shop/pull/1", 1, True)
    assert waits == [pr.BACKOFF, pr.BACKOFF * 2]
    assert [s.method for s in github.requests] == ["POST", "POST", "POST"]
    assert len(github.pulls) == 1


def test_server_error_every_time_gives_up_within_the_bound(github):
    github.fail_next = [(500, {})] * 10
    waits = Sleeps()
    with pytest.raises(PullRequestError) as info:
        gh(github, sleep=waits)
    assert len(github.requests) == pr.ATTEMPTS
    assert waits == [pr.BACKOFF * 2**i for i in range(pr.ATTEMPTS - 1)]
    assert str(info.value).startswith("GitHub answered POST http://127.0.0.1:") and str(
        info.value
    ).endswith(f"with a server error (500: canned 500), {pr.ATTEMPTS} times; try again later")


def test_rate_limit_waits_what_retry_after_says(github):
    github.fail_next = [(429, {"Retry-After": "7"})]
    waits = Sleeps()
    assert gh(github, sleep=waits).created is True
    assert waits == [7.0]


def test_secondary_rate_limit_403_with_retry_after(github):
    github.fail_next = [(403, {"Retry-After": "3"})]
    waits = Sleeps()
    assert gh(github, sleep=waits).created is True
    assert waits == [3.0]


def test_rate_limit_waits_until_the_reset(github):
    reset = int(time.time()) + 5
    github.fail_next = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})]
    waits = Sleeps()
    assert gh(github, sleep=waits).created is True
    assert len(waits) == 1 and 3 <= waits[0] <= 5


def test_rate_limit_resetting_later_than_the_bound_fails_at_once(github):
    reset = int(time.time()) + 3600
    github.fail_next = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})]
    waits = Sleeps()
    with pytest.raises(PullRequestError) as info:
        gh(github, sleep=waits)
    assert waits == []
    assert len(github.requests) == 1
    assert str(info.value) == (
        "GitHub's API rate limit is used up (403: canned 403); try again later"
    )


def test_refusals_are_not_retried(github, gitlab):
    waits = Sleeps()
    github.forbidden = True
    with pytest.raises(PullRequestError):
        gh(github, sleep=waits)
    with pytest.raises(PullRequestError):
        gh(github, token="ghp_wrong", sleep=waits)
    gitlab.fail_next = [(404, {})]
    with pytest.raises(PullRequestError):
        gl(gitlab, sleep=waits)
    assert waits == []
    assert len(github.requests) == 2 and len(gitlab.requests) == 1


def test_gitlab_server_error_is_retried(gitlab):
    gitlab.fail_next = [(504, {})]
    waits = Sleeps()
    assert gl(gitlab, sleep=waits).created is True
    assert waits == [pr.BACKOFF]


def test_retry_after_as_a_date():
    now = 1_800_000_000.0
    assert pr._seconds(formatdate(now + 10, usegmt=True), now) == 10.0
    assert pr._seconds(formatdate(now - 10, usegmt=True), now) == 0.0
    assert pr._seconds("12", now) == 12.0
    assert pr._seconds("soon", now) is None
    assert pr._seconds(None, now) is None


# -- declined pull requests -------------------------------------------------------------------


def declined_gh(forge: Forge, **kw):
    return pr.find_declined(
        None, "git@github.com:acme/shop.git", "djfix/deploy-ready", "main", GH_TOKEN, forge.base
    )


def test_no_pull_request_yet_is_not_declined(github):
    assert declined_gh(github) is None


def test_closed_without_merging_is_declined(github):
    github.add("djfix/deploy-ready", "main", state="closed")
    found = declined_gh(github)
    assert found == PullRequest("https://github.com/acme/shop/pull/1", 1, False)
    assert found.state == "declined"
    seen = github.requests[0]
    assert (seen.method, seen.path) == ("GET", "/repos/acme/shop/pulls")
    assert seen.query == {
        "head": "acme:djfix/deploy-ready",
        "base": "main",
        "state": "all",
        "sort": "created",
        "direction": "desc",
        "per_page": "10",
    }


def test_merged_or_reopened_later_is_not_declined(github):
    github.add("djfix/deploy-ready", "main", state="closed")
    github.add("djfix/deploy-ready", "main", state="merged")
    assert declined_gh(github) is None
    github.add("djfix/deploy-ready", "main", state="open")
    assert declined_gh(github) is None


def test_closed_into_another_base_is_not_declined(github):
    github.add("djfix/deploy-ready", "release", state="closed")
    assert declined_gh(github) is None


def test_gitlab_closed_merge_request_is_declined(gitlab):
    gitlab.add("djfix/deploy-ready", "main", state="merged")
    gitlab.add("djfix/deploy-ready", "main", state="closed")
    found = pr.find_declined(
        None,
        "git@gitlab.example.com:group/sub/shop.git",
        "djfix/deploy-ready",
        "main",
        GL_TOKEN,
        gitlab.base,
    )
    assert (found.number, found.state) == (2, "declined")
    assert gitlab.requests[0].query == {
        "source_branch": "djfix/deploy-ready",
        "target_branch": "main",
        "state": "all",
        "order_by": "created_at",
        "sort": "desc",
        "per_page": "10",
    }


def test_gitlab_merged_latest_is_not_declined(gitlab):
    gitlab.add("djfix/deploy-ready", "main", state="closed")
    gitlab.add("djfix/deploy-ready", "main", state="merged")
    assert (
        pr.find_declined(
            None,
            "git@gitlab.example.com:group/sub/shop.git",
            "djfix/deploy-ready",
            "main",
            GL_TOKEN,
            gitlab.base,
        )
        is None
    )


# -- GitLab -------------------------------------------------------------------------------------


def test_gitlab_opens_a_merge_request(gitlab):
    result = gl(gitlab, body="## Checklist\n")

    assert result == PullRequest(
        "https://gitlab.example.com/group/sub/shop/-/merge_requests/1", 1, True
    )
    seen = gitlab.requests[0]
    assert (seen.method, seen.path) == (
        "POST",
        "/api/v4/projects/group%2Fsub%2Fshop/merge_requests",
    )
    assert seen.body == {
        "source_branch": "djfix/deploy-ready",
        "target_branch": "main",
        "title": "djfix: deploy-ready",
        "description": "## Checklist\n",
    }
    assert seen.headers["PRIVATE-TOKEN"] == GL_TOKEN
    assert "Authorization" not in seen.headers
    assert seen.headers["Content-Type"] == "application/json"


def test_gitlab_conflict_found_on_the_second_page_and_updated(gitlab):
    gitlab.add("djfix/deploy-ready", "release")
    gitlab.add("djfix/deploy-ready", "stable")
    gitlab.add("djfix/deploy-ready", "main")

    result = gl(gitlab, body="new body", title="new title")

    assert result == PullRequest(
        "https://gitlab.example.com/group/sub/shop/-/merge_requests/3", 3, False
    )
    path = "/api/v4/projects/group%2Fsub%2Fshop/merge_requests"
    assert [(s.method, s.path) for s in gitlab.requests] == [
        ("POST", path),
        ("GET", path),
        ("GET", path),
        ("PUT", f"{path}/3"),
    ]
    listing = {"source_branch": "djfix/deploy-ready", "state": "opened", "per_page": "100"}
    assert gitlab.requests[1].query == listing
    assert gitlab.requests[2].query == {**listing, "page": "2"}
    assert gitlab.requests[3].body == {"title": "new title", "description": "new body"}
    assert gitlab.requests[3].headers["PRIVATE-TOKEN"] == GL_TOKEN
    assert gitlab.pulls[2]["description"] == "new body"


def test_gitlab_second_run_updates_the_same_merge_request(gitlab):
    assert gl(gitlab, body="first").created is True
    again = gl(gitlab, body="second")
    assert (again.number, again.created) == (1, False)
    assert len(gitlab.pulls) == 1
    assert gitlab.pulls[0]["description"] == "second"


def test_gitlab_bad_token(gitlab):
    with pytest.raises(PullRequestError) as info:
        gl(gitlab, token="glpat-wrong")
    assert str(info.value) == (
        "GitLab refused the token in the token given (401: 401 Unauthorized): it is wrong, "
        "expired or revoked"
    )
    assert "glpat-wrong" not in str(info.value)


def test_gitlab_forbidden(gitlab):
    gitlab.forbidden = True
    with pytest.raises(PullRequestError, match=r"needs the `api` scope and at least the Developer"):
        gl(gitlab)


def test_gitlab_unknown_project(gitlab):
    with pytest.raises(PullRequestError, match=r"\(404: 404 Project Not Found\)"):
        gl(gitlab, remote="https://gitlab.example.com/group/other.git")


# -- the body -----------------------------------------------------------------------------------


def _rule(code: str, name: str, item: int) -> Rule:
    return Rule(code, name, item, Severity.ERROR, "s", FixSafety.SAFE)


def _fake_result(tmp_path: Path) -> ApplyResult:
    secret = _rule("DJ050", "literal-secret", 5)
    debug = _rule("DJ051", "debug-true", 5)
    health = _rule("DJ070", "health-endpoint-missing", 7)
    serve = _rule("DJ041", "static-serve-view", 4)
    before = CheckResult(
        findings=[
            Finding(secret, "SECRET_KEY is written in the settings", "mysite/settings.py", 3),
            Finding(debug, "DEBUG is True", "mysite/settings.py", 4),
            Finding(health, "no /health view"),
            Finding(serve, "/media/ is served | by Django", "mysite/urls.py", 9),
        ],
        items={4: "fail", 5: "fail", 6: "pass", 7: "fail", 1: "n/a", 2: "skipped"},
    )
    after = CheckResult(
        findings=[Finding(serve, "/media/ is served | by Django", "mysite/urls.py", 9)],
        items={4: "fail", 5: "pass", 6: "pass", 7: "pass", 1: "n/a", 2: "skipped"},
    )
    items = [
        ItemSummary(1, "n/a"),
        ItemSummary(2, "skipped"),
        ItemSummary(4, "open", [], [(after.findings[0], "no automatic fix: change it by hand")]),
        ItemSummary(5, "fixed", before.findings[:2]),
        ItemSummary(6, "pass"),
        ItemSummary(7, "fixed", [before.findings[2]]),
    ]
    context = SimpleNamespace(
        secrets=[
            ("SECRET_KEY", "mysite/settings.py", 3),
            ("SECRET_KEY", "mysite/local.py", 0),
            ("DATABASE_URL", "mysite/settings.py", 0),
        ],
        env_vars={
            "SECRET_KEY": EnvVar("SECRET_KEY", "c", "", "real-old-value", True, True),
            "DATABASE_URL": EnvVar(
                "DATABASE_URL",
                "c",
                "postgres://user:password@localhost/shop",
                "postgres://shop:hunter2@localhost/shop",
                True,
                True,
            ),
            "REDIS_URL": EnvVar("REDIS_URL", "c", "", None, False, True),
            "CONN_MAX_AGE": EnvVar("CONN_MAX_AGE", "c", "60"),
        },
        notes=["the settings now need SECRET_KEY in the environment"],
    )
    changes = [
        SimpleNamespace(rel="mysite/settings.py", old="x", tracked=True),
        SimpleNamespace(rel=".env", old=None, tracked=False),
        SimpleNamespace(rel="common/apps.py", old=None, tracked=True),
    ]
    project = SimpleNamespace(
        root=tmp_path, production_module="mysite.settings", manage_py="manage.py", packages={}
    )
    return ApplyResult(
        project, SimpleNamespace(changes=lambda: changes), context, before, after, items, []
    )


def test_body_counts_the_commits_it_made(tmp_path):
    # two items fixed, three commits (the second item's change continued in another file):
    # "one commit per item" would be false either way, so the headline does not say it
    made = [
        Commit("a" * 40, 5, "djfix: Configuration from the environment", ["mysite/settings.py"]),
        Commit("b" * 40, 7, "djfix: Health endpoint", ["common/apps.py"]),
        Commit("c" * 40, 7, "djfix: Health endpoint (continued)", ["mysite/urls.py"]),
    ]
    body = pr_body.render_body(_fake_result(tmp_path), delivery=SimpleNamespace(commits=made))
    assert body.startswith(
        "djfix checked this repository against its 13-item deploy checklist and fixed what it "
        "could: 2 items fixed, in 3 commits. Review each commit on its own.\n"
    )


def _rider_result(tmp_path: Path) -> ApplyResult:
    """Items 1 and 7 with commits of their own; items 2, 3 and 13 fixed by their changes."""
    result = _fake_result(tmp_path)
    rules = {
        1: _rule("DJ010", "dockerfile-missing", 1),
        2: _rule("DJ025", "image-not-multi-stage", 2),
        3: _rule("DJ030", "runserver-in-production", 3),
        13: _rule("DJ130", "startup-probes-missing", 13),
    }
    fixed = {item: [Finding(rule, "m")] for item, rule in rules.items()}
    result.items = [
        ItemSummary(1, "fixed", fixed[1]),
        ItemSummary(2, "fixed", fixed[2]),
        ItemSummary(3, "fixed", fixed[3]),
        ItemSummary(5, "fixed", result.before.findings[:2]),
        ItemSummary(7, "fixed", [result.before.findings[2]]),
        ItemSummary(13, "fixed", fixed[13]),
    ]
    return result


def test_body_says_which_commit_holds_an_item_without_its_own(tmp_path):
    made = [
        Commit("a" * 40, 5, "djfix: Configuration from the environment", ["mysite/settings.py"]),
        Commit("b" * 40, 7, "djfix: Health endpoint", ["common/startup.py"], also=[13]),
        Commit("c" * 40, 1, "djfix: Project-specific Dockerfile", ["Dockerfile"], also=[2, 3]),
    ]
    body = pr_body.render_body(_rider_result(tmp_path), delivery=SimpleNamespace(commits=made))
    assert body.startswith(
        "djfix checked this repository against its 13-item deploy checklist and fixed what it "
        "could: 6 items fixed, in 3 commits. Item 13 has no commit of its own: its changes are "
        "in `bbbbbbb` (Health endpoint). Items 2 and 3 have no commit of their own: their "
        "changes are in `ccccccc` (Project-specific Dockerfile). Review each commit on its "
        "own.\n"
    )
    assert (
        "- `bbbbbbb` djfix: Health endpoint (fixes DJ070): `common/startup.py`. Also holds "
        "item 13 (fixes DJ130), which has no commit of its own\n"
    ) in body
    assert (
        "- `ccccccc` djfix: Project-specific Dockerfile (fixes DJ010): `Dockerfile`. Also holds "
        "item 2 (fixes DJ025), item 3 (fixes DJ030), which have no commit of their own\n"
    ) in body


def test_body_names_a_fixed_item_no_commit_claims(tmp_path):
    # the plans did not say where item 13's change is: the headline says no more than it knows
    made = [
        Commit("a" * 40, 5, "djfix: Configuration from the environment", ["mysite/settings.py"]),
        Commit("b" * 40, 7, "djfix: Health endpoint", ["common/startup.py"]),
        Commit("c" * 40, 1, "djfix: Project-specific Dockerfile", ["Dockerfile"], also=[2, 3]),
    ]
    body = pr_body.render_body(_rider_result(tmp_path), delivery=SimpleNamespace(commits=made))
    assert (
        "Items 2 and 3 have no commit of their own: their changes are in `ccccccc` "
        "(Project-specific Dockerfile). Item 13 has no commit of its own: the other items' "
        "changes fixed it. Review each commit on its own.\n"
    ) in body


def test_body_partly_fixed_commit_names_what_is_left(tmp_path):
    # the plan changed one branch of DATABASES; both findings of the item stay
    result = _fake_result(tmp_path)
    conn = _rule("DJ110", "conn-max-age-missing", 11)
    checks = _rule("DJ111", "conn-health-checks-missing", 11)
    left = [Finding(conn, "no CONN_MAX_AGE", "mysite/settings.py", 8)]
    left.append(Finding(checks, "no CONN_HEALTH_CHECKS", "mysite/settings.py", 8))
    result.before.items[11] = "fail"
    result.after.items[11] = "fail"
    result.before.findings.extend(left)
    result.after.findings.extend(left)
    result.items.append(
        ItemSummary(
            11,
            "partly fixed",
            [],
            [(f, "DATABASES['default'] (line 6): it is the name `config`") for f in left],
            changed=["mysite/settings.py"],
        )
    )
    made = [
        Commit("a" * 40, 5, "djfix: Configuration from the environment", ["mysite/settings.py"]),
        Commit("b" * 40, 7, "djfix: Health endpoint", ["common/apps.py"]),
        Commit("d" * 40, 11, "djfix: Persistent DB connections", ["mysite/settings.py"]),
    ]
    body = pr_body.render_body(result, delivery=SimpleNamespace(commits=made))
    assert (
        "| 11 | Persistent DB connections | fail (2 findings) | fail (2 findings) | "
        "partly fixed |\n"
    ) in body
    assert (
        "- `ddddddd` djfix: Persistent DB connections (still open: DJ110, DJ111, listed under "
        "Left to do by hand): `mysite/settings.py`\n"
    ) in body
    assert "could: 2 items fixed, 1 partly, in 3 commits. Review" in body


def test_body_item_that_applies_after_the_change(tmp_path):
    result = _fake_result(tmp_path)
    result.before.items[13] = "n/a"
    result.after.items[13] = "pass"
    result.items.append(ItemSummary(13, "pass", applies_now=True))
    body = pr_body.render_body(result)
    assert (
        "| 13 | Startup dependency probes | n/a | pass | applies after this change, and passes |\n"
        in body
    )


def test_left_to_do_does_not_say_the_finding_twice(tmp_path):
    # the terminal's reason carries the finding's words; the body shows them once
    result = _fake_result(tmp_path)
    finding = result.after.findings[0]
    result.items[2].open = [
        (finding, f"{finding.message} (djfix could not rewrite this shape: change it by hand)")
    ]
    body = pr_body.render_body(result)
    assert body.count("/media/ is served") == 1
    assert "*Why djfix left it: djfix could not rewrite this shape: change it by hand*" in body


def test_body_for_a_hand_made_result(tmp_path):
    body = pr_body.render_body(_fake_result(tmp_path))
    assert body == textwrap.dedent(
        """\
        djfix checked this repository against its 13-item deploy checklist and fixed what it could: 2 items fixed. Review each commit on its own.

        ## Checklist

        | # | Item | Before | After | This change |
        |---:|---|---|---|---|
        | 1 | Project-specific Dockerfile | n/a | n/a | does not apply |
        | 2 | Multi-stage, minimal image | skipped | skipped | not selected |
        | 4 | Static files outside the API container | fail (1 finding) | fail (1 finding) | to do by hand |
        | 5 | Configuration from the environment | fail (2 findings) | pass | fixed |
        | 6 | Valid migrations | pass | pass | already done |
        | 7 | Health endpoint | fail (1 finding) | pass | fixed |

        ## Left to do by hand

        - **DJ041** `static-serve-view` at `mysite/urls.py:9` (item 4): /media/ is served | by Django

        ## Files

        - changed `mysite/settings.py`
        - added `common/apps.py`

        ## How to verify

        ```sh
        # every checklist item again: what is left is listed above
        djfix check .

        # Django's deploy checks with production settings (placeholder values, nothing real)
        DJANGO_SETTINGS_MODULE=mysite.settings \\
          SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \\
          DEBUG=False \\
          ALLOWED_HOSTS=example.com \\
          DATABASE_URL=postgres://user:password@localhost/shop \\
          REDIS_URL='<REDIS_URL>' \\
          python manage.py check --deploy

        # the project's tests
        python manage.py test
        ```

        ## Secrets to rotate

        These values were written in tracked files. This change reads them from the environment, but the old values stay in the git history: replace them wherever they are used, then set the new ones in the environment.

        - `SECRET_KEY` (was in `mysite/settings.py:3`)
        - `DATABASE_URL` (was in `mysite/settings.py`)

        ## Notes

        - the settings now need SECRET_KEY in the environment
        """  # noqa: E501
    )
    assert "real-old-value" not in body
    assert "hunter2" not in body


def test_body_uses_pytest_when_the_project_does(tmp_path):
    result = _fake_result(tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n")
    assert "# the project's tests\npython -m pytest\n" in pr_body.render_body(result)
    assert "# the project's tests\nmake test\n" in pr_body.render_body(result, test_cmd="make test")


def test_body_runs_pytest_beside_manage_py_in_a_subfolder(tmp_path):
    # a monorepo's api keeps pytest.ini beside manage.py (apps/api/): the tests run from there,
    # not with manage.py test, which finds no pytest-style test
    result = _fake_result(tmp_path)
    result.project.manage_py = "apps/api/manage.py"
    (tmp_path / "apps" / "api").mkdir(parents=True)
    (tmp_path / "apps" / "api" / "pytest.ini").write_text("[pytest]\n")
    body = pr_body.render_body(result)
    assert "# the project's tests\ncd apps/api && python -m pytest\n" in body


SETTINGS = """\
SECRET_KEY = "dev-0123456789-abcdefghij-0123456789-abcdefghij-xyz"
DEBUG = True
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "s3cret-pass",
        "HOST": "localhost",
    }
}
"""


def test_body_from_a_real_plan(make_project):
    from fixer.checks import ITEM_TITLES
    from fixer.config import Config, effective_options

    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        }
    )
    result = plan(project, Selection(), effective_options(Config()))
    body = pr_body.render_body(result)

    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", body, re.M)
    assert [(int(n), t.strip()) for n, t in rows] == list(ITEM_TITLES.items())
    assert re.search(
        r"^\| 11 \| Persistent DB connections \| fail \(\d+ findings?\) \| pass \| fixed \|$",
        body,
        re.M,
    )
    # secrets by name and place, never by value
    assert "- `SECRET_KEY` (was in `mysite/settings.py:1`)" in body
    assert "dev-0123456789" not in body
    assert "s3cret-pass" not in body
    assert "DJANGO_SETTINGS_MODULE=mysite.settings \\\n" in body
    assert "python manage.py check --deploy\n" in body


# -- the pull request of a delivered branch ---------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "checkout"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "git@github.com:acme/shop.git"],
        check=True,
    )
    return repo


def _delivery(root: Path, state: str = "created", original: str | None = "main"):
    return SimpleNamespace(root=root, state=state, branch="djfix/deploy-ready", original=original)


def test_propose_nothing_delivered_opens_nothing(github, checkout, tmp_path):
    result = _fake_result(tmp_path)
    for state in ("nothing", "written"):
        assert pr.propose(result, _delivery(checkout, state), api_url=github.base) is None
    assert github.requests == []


def test_propose_opens_then_updates(github, checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    result = _fake_result(tmp_path)

    first = pr.propose(result, _delivery(checkout), api_url=github.base)
    again = pr.propose(result, _delivery(checkout, "unchanged"), api_url=github.base, title="t2")

    assert first == PullRequest("https://github.com/acme/shop/pull/1", 1, True)
    assert again == PullRequest("https://github.com/acme/shop/pull/1", 1, False)
    assert github.requests[0].body == {
        "title": pr.DEFAULT_TITLE,
        "head": "djfix/deploy-ready",
        "base": "main",
        "body": pr_body.render_body(result),
    }
    assert github.requests[-1].method == "PATCH"
    assert github.requests[-1].body["title"] == "t2"


def test_propose_base_given(github, checkout, tmp_path):
    result = _fake_result(tmp_path)
    pr.propose(result, _delivery(checkout), base="develop", api_url=github.base, token=GH_TOKEN)
    assert github.requests[0].body["base"] == "develop"


def test_propose_on_the_djfix_branch_needs_a_base(github, checkout, tmp_path):
    with pytest.raises(UsageError, match="pass --base NAME"):
        pr.propose(
            _fake_result(tmp_path),
            _delivery(checkout, original="djfix/deploy-ready"),
            api_url=github.base,
            token=GH_TOKEN,
        )
    assert github.requests == []


def test_propose_on_the_djfix_branch_targets_the_remote_default_branch(github, checkout, tmp_path):
    # what `git clone` records: refs/remotes/origin/HEAD -> origin/trunk
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(
        ["git", "-C", str(checkout), "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        env=env,
    )
    subprocess.run(
        ["git", "-C", str(checkout), "update-ref", "refs/remotes/origin/trunk", "HEAD"], check=True
    )
    subprocess.run(
        [
            "git",
            "-C",
            str(checkout),
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/trunk",
        ],
        check=True,
    )
    pr.propose(
        _fake_result(tmp_path),
        _delivery(checkout, original="djfix/deploy-ready"),
        api_url=github.base,
        token=GH_TOKEN,
    )
    assert github.requests[0].body["base"] == "trunk"


def test_propose_without_the_remote(github, checkout, tmp_path):
    with pytest.raises(UsageError) as info:
        pr.propose(
            _fake_result(tmp_path),
            _delivery(checkout),
            remote="upstream",
            api_url=github.base,
            token=GH_TOKEN,
        )
    assert str(info.value) == (
        "--pr: the repository has no remote 'upstream' to find the pull request on"
    )


# -- bot entry points ---------------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_is_a_composite_action_with_documented_inputs_and_outputs():
    action = _action()
    assert action["name"] == "django-deployfix"
    assert action["description"]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "token",
        "branch",
        "args",
        "path",
        "version",
        "python-version",
        "fail-on-findings",
    }
    for name, spec in action["inputs"].items():
        assert spec["description"], name
        assert isinstance(spec["default"], str), name
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["branch"]["default"] == "djfix/deploy-ready"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"] == "actions/setup-python@v5"
    for step in steps:
        if "run" in step:
            # a composite step must name its shell; inputs reach scripts only as variables
            assert step["shell"] == "bash"
            assert "${{" not in step["run"]
    run = steps[-1]
    assert run["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert 'apply --branch "$DJFIX_BRANCH" --push --pr "${extra[@]}"' in run["run"]
    install = steps[1]["run"]
    assert 'install --quiet "django-deployfix==$DJFIX_VERSION"' in install
    assert 'install --quiet "$DJFIX_ACTION_PATH"' in install
    # the outputs djfix writes to $GITHUB_OUTPUT in the run step
    assert set(action["outputs"]) == {"pr-url", "pr-number", "branch", "result"}
    for name, spec in action["outputs"].items():
        assert spec["description"], name
        assert spec["value"] == f"${{{{ steps.{run['id']}.outputs.{name} }}}}"


def _run_action_step(
    tmp_path: Path,
    args: str,
    status: int,
    fail_on_findings: str = "false",
    token: str = "tok",
    server: str = "https://github.com",
):
    """Run the action's last step as the runner would, with a stand-in `djfix` that records its
    arguments and the token, and asks `server` for a repository's refs with git (as the push
    does) when it is a local one."""
    step = _action()["runs"]["steps"][-1]
    runner_temp = tmp_path / "runner"
    bin_dir = runner_temp / "djfix-venv" / "bin"
    bin_dir.mkdir(parents=True)
    record = tmp_path / "argv.json"
    fake = bin_dir / "djfix"
    fake.write_text(
        "#!/usr/bin/env python3\nimport json, os, subprocess, sys\n"
        f"if {server!r}.startswith('http://127.0.0.1'):\n"
        f"    subprocess.run(['git', 'ls-remote', {server!r} + '/acme/shop.git'],"
        " capture_output=True, timeout=30)\n"
        f"json.dump([sys.argv[1:], os.environ.get('GITHUB_TOKEN')], open({str(record)!r}, 'w'))\n"
        f"sys.exit({status})\n"
    )
    fake.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    # what actions/checkout leaves: its own token as an extra header for the server
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "config",
            f"http.{server}/.extraheader",
            "AUTHORIZATION: basic Y2hlY2tvdXQ=",
        ],
        check=True,
    )
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_TOKEN": token,
        "DJFIX_SERVER_URL": server,
        "DJFIX_BRANCH": "djfix/deploy-ready",
        "DJFIX_ARGS": args,
        "DJFIX_FAIL_ON_FINDINGS": fail_on_findings,
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    argv, token = json.loads(record.read_text()) if record.exists() else (None, None)
    email = subprocess.run(
        ["git", "config", "user.email"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return SimpleNamespace(
        code=proc.returncode,
        argv=argv,
        token=token,
        email=email,
        stdout=proc.stdout,
    )


def test_action_step_passes_args_and_token(tmp_path):
    step = _run_action_step(tmp_path, "--select '5, 9' --ignore DJ111", 0)
    assert step.code == 0
    assert step.argv == [
        "apply",
        "--branch",
        "djfix/deploy-ready",
        "--push",
        "--pr",
        "--select",
        "5, 9",
        "--ignore",
        "DJ111",
    ]
    assert step.token == "tok"
    assert step.email == "41898282+github-actions[bot]@users.noreply.github.com"


def test_action_step_pushes_with_the_token_given(tmp_path):
    seen: list[list[str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get_all("Authorization") or [])
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        step = _run_action_step(tmp_path, "", 0, token="ghp_personal", server=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    # git sent the given token's header, and not the one actions/checkout configured
    basic = base64.b64encode(b"x-access-token:ghp_personal").decode()
    assert step.code == 0
    assert seen and all(headers == [f"basic {basic}"] for headers in seen), seen
    assert f"::add-mask::{basic}" in step.stdout


def test_action_step_malformed_args_fail_the_step(tmp_path):
    step = _run_action_step(tmp_path, "--select '5, 9", 0)
    assert step.code == 2
    assert step.argv is None  # djfix never ran
    assert "::error title=djfix::the action's args input does not parse" in step.stdout


def test_action_step_without_args(tmp_path):
    step = _run_action_step(tmp_path, "", 0)
    assert (step.code, step.argv) == (
        0,
        ["apply", "--branch", "djfix/deploy-ready", "--push", "--pr"],
    )


@pytest.mark.parametrize(
    ("status", "fail_on_findings", "expected"),
    [(1, "false", 0), (1, "true", 1), (2, "false", 2), (3, "false", 3)],
)
def test_action_step_exit_status(tmp_path, status, fail_on_findings, expected):
    assert _run_action_step(tmp_path, "", status, fail_on_findings).code == expected


def _hooks() -> dict[str, dict]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return {hook["id"]: hook for hook in hooks}


def test_pre_commit_hooks():
    hooks = _hooks()
    assert set(hooks) == {"djfix-check", "djfix-check-project"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for hook in hooks.values():
        assert {"id", "name", "entry", "language", "description"} <= set(hook)
        assert hook["language"] == "python"
        assert hook["require_serial"] is True
        assert hook["entry"].split()[0] in scripts
    # on commit: only the files the commit touches
    commit = hooks["djfix-check"]
    assert commit["entry"] == "djfix check --files"
    assert commit["pass_filenames"] is True
    assert "always_run" not in commit and "stages" not in commit
    # the whole project: on push, or by hand
    project = hooks["djfix-check-project"]
    assert project["entry"] == "djfix check"
    assert project["pass_filenames"] is False
    assert project["always_run"] is True
    assert project["stages"] == ["pre-push", "manual"]


@pytest.mark.slow
def test_pre_commit_hook_runs_on_the_files_of_a_commit(tmp_path):
    """The hook's entry with file names appended, as pre-commit runs it at the repository root."""
    import shutil

    from tests.conftest import PROJECTS

    repo = tmp_path / "repo"
    shutil.copytree(PROJECTS / "asgi_channels", repo / "backend")
    (repo / "docs").mkdir()
    (repo / "docs" / "index.md").write_text("# docs\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    entry = _hooks()["djfix-check"]["entry"].split()
    command = [sys.executable, "-m", "fixer", *entry[1:]]

    def hook(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *files],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )

    clean = hook("docs/index.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    touched = hook("docs/index.md", "backend/chat/urls.py")
    assert touched.returncode == 1
    listed = [line for line in touched.stdout.splitlines() if line.startswith("  backend/")]
    assert listed and all(line.startswith("  backend/chat/urls.py:") for line in listed)


def test_a_long_reason_shared_by_one_file_s_findings_is_given_once(tmp_path):
    # a development compose file's literal secrets: each is listed, the reason once
    import shutil

    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options
    from fixer.discovery import discover
    from tests.conftest import PROJECTS

    repo = tmp_path / "p"
    shutil.copytree(PROJECTS / "legacy_single", repo)
    (repo / "docker-compose.dev.yml").write_text(
        "services:\n  db:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_PASSWORD: hunter2-dev\n"
        "  replica:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_PASSWORD: hunter3-dev\n"
    )
    result = plan(discover(repo), Selection(), effective_options(Config()))
    todo = [
        t for t in pr_body.body_context(result)["todo"] if t["path"] == "docker-compose.dev.yml"
    ]
    assert [t["where"] for t in todo] == ["docker-compose.dev.yml:5", "docker-compose.dev.yml:9"]
    assert todo[0]["reason"].startswith("docker-compose.dev.yml is a development compose file")
    assert todo[1]["reason"] == "the same as above"
