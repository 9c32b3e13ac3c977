"""No secret value in any output: the check reports in every format, the apply summary, the
commit messages, the pull request body, `.env.example`, error messages. A URL's password with
raw `/ ? # @ :` is recognised, and so is a token of a known format under any name."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from fixer import pr, redaction
from fixer.errors import UsageError
from tests.reliability.conftest import build, git, invoke

REDIS_PASSWORD = "r/ed?is#p@ss:w"
BROKER_PASSWORD = "br0k/er?p#w"
DB_PASSWORD = "dbpass-Alpha-111"
REPLICA_PASSWORD = "replica-pass-Beta-222"
TOKENS = {
    "GITHUB_APP": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "STRIPE_LIVE": "sk_live_51AbCdEfGhIjKlMnOpQrStUv",
    "AWS_ID_FOR_EXPORTS": "AKIAIOSFODNN7EXAMPLE",
    "SLACK_HOOK": "xoxb-123456789012-abcdefghijkl",
    "GITLAB_MIRROR": "glpat-abcdefghijklmnopqrst",
}
NAMED = {"HOOK_TOKEN_VALUE": "tok-Gamma-333-value", "SECRET_FOR_HOOKS": "sec-Delta-444-value"}
SECRETS = [REDIS_PASSWORD, BROKER_PASSWORD, DB_PASSWORD, REPLICA_PASSWORD]
SECRETS += list(TOKENS.values()) + list(NAMED.values())

SETTINGS = textwrap.dedent(
    f"""\
    import os

    SECRET_KEY = "a-secret-key-for-the-secret-tests-0123456789"
    DEBUG = True
    ALLOWED_HOSTS = []
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
    MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    DATABASES = {{
        "default": {{
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "shop",
            "USER": "shop",
            "PASSWORD": "{DB_PASSWORD}",
            "HOST": "db",
        }},
        "replica": {{
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "shop",
            "USER": "ro",
            "PASSWORD": os.environ.get("REPLICA_PASSWORD", "{REPLICA_PASSWORD}"),
            "HOST": "replica",
        }},
    }}
    CACHES = {{
        "default": {{
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://:{REDIS_PASSWORD}@redis-host:6379/0",
        }}
    }}
    CELERY_BROKER_URL = "amqp://user:{BROKER_PASSWORD}@rabbit:5672//"
    """
) + "".join(f'{name} = "{value}"\n' for name, value in {**TOKENS, **NAMED}.items())


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build(tmp_path / "repo", {"mysite/settings.py": SETTINGS})


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check_report_shows_no_secret(repo, fmt):
    done = invoke("check", str(repo), "--format", fmt)
    assert done.exit_code == 1
    assert _leaks(done.output) == []
    if fmt == "json":
        json.loads(done.output)  # masking kept the document valid


def test_url_password_with_raw_reserved_characters_is_a_secret(repo):
    done = invoke("check", str(repo), "--format", "json", "--select", "DJ050")
    found = {(f["message"].split(" ")[0]) for f in json.loads(done.output)["findings"]}
    assert {"CACHES['default']['LOCATION']", "CELERY_BROKER_URL"} <= found, found


def test_known_token_formats_and_secret_words_are_secrets_whatever_the_name(repo):
    done = invoke("check", str(repo), "--format", "json", "--select", "DJ050")
    found = {(f["message"].split(" ")[0]) for f in json.loads(done.output)["findings"]}
    assert set(TOKENS) | set(NAMED) <= found, found


def test_apply_summary_commits_and_env_example_hold_no_secret(repo):
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert _leaks(done.output) == []
    messages = git(repo, "log", "--format=%B", "main..djfix/deploy-ready")
    assert messages.strip() and _leaks(messages) == []
    example = git(repo, "show", "djfix/deploy-ready:.env.example")
    assert _leaks(example) == []


def test_non_default_alias_password_default_goes_to_env_never_example(repo):
    invoke("apply", str(repo), "--stay", "--python", "none")
    env = (repo / ".env").read_text()
    assert f"REPLICA_PASSWORD={REPLICA_PASSWORD}" in env
    example = git(repo, "show", "djfix/deploy-ready:.env.example")
    assert REPLICA_PASSWORD not in example
    settings = git(repo, "show", "djfix/deploy-ready:mysite/settings.py")
    assert REPLICA_PASSWORD not in settings


def test_dry_run_summary_shows_no_secret(repo):
    done = invoke("apply", str(repo), "--dry-run", "--python", "none")
    # the diff itself removes the secrets from the settings: only the summary is checked
    summary = done.output.split("djfix apply:", 1)[1]
    assert _leaks(summary) == []


def test_pull_request_body_shows_no_secret(repo, monkeypatch):
    from fixer import handover
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options
    from fixer.discovery import discover

    result = plan(discover(repo), Selection(), effective_options(Config()))
    delivery = handover.deliver(result, stay=True)
    sent = {}

    def fake(provider, url, branch, base, title, body, token, api_url=None, sleep=None):
        sent["body"] = body

    monkeypatch.setattr(pr, "open_or_update", fake)
    monkeypatch.setattr(pr, "remote_url", lambda root, remote: "https://github.com/acme/shop")
    pr.propose(result, delivery)
    assert sent["body"] and _leaks(sent["body"]) == []


def test_error_messages_show_no_secret():
    message = (
        f"could not connect to redis://:{REDIS_PASSWORD}@redis-host:6379/0 with "
        f"{TOKENS['GITHUB_APP']}"
    )
    assert _leaks(redaction.mask_text(message)) == []
    assert "redis://***@redis-host:6379/0" in redaction.mask_text(message)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com.evil.example/acme/shop.git",
        "https://gitlab.com.evil.example/group/shop.git",
        "git@github.com.attacker.net:acme/shop.git",
        "https://evil-github.com/acme/shop.git",
    ],
)
def test_token_never_goes_to_a_look_alike_host(url, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a request was made")

    monkeypatch.setattr(pr.urllib.request, "urlopen", no_network)
    monkeypatch.setattr(pr.urllib.request.OpenerDirector, "open", no_network)
    with pytest.raises(UsageError, match="sends your token only to a server you name"):
        pr.open_or_update(None, url, "djfix/x", "main", "t", "b", "ghp_" + "x" * 36)


def test_clone_failure_shows_gits_reason_with_credentials_masked(tmp_path):
    listing = tmp_path / "repos.txt"
    token = "tok/en?x#y@z:1"
    listing.write_text(f"https://user:{token}@127.0.0.1:1/acme/shop.git\n")
    done = invoke("apply", "--repos", str(listing), "--workdir", str(tmp_path / "w"))
    assert token not in done.output and "tok/en" not in done.output
    assert "***@127.0.0.1:1" in done.output
    assert "git clone failed: fatal: unable to access" in done.output, done.output  # git's reason


def test_tokens_inside_clone_urls_are_masked_in_any_position():
    text = (
        "fatal: unable to access 'https://oauth2:glpat-abcdefghijklmnopqrst@gitlab.com/g/p.git/'"
        " and ssh://git:pw/x?y@host.example/r.git and http://x-access-token:ab@cd@github.com/r"
    )
    masked = redaction.mask_text(text)
    for secret in ("glpat-", "pw/x?y", "ab@cd"):
        assert secret not in masked, masked


def test_git_redact_and_pr_mask_use_the_same_rules():
    from fixer import git as git_module

    url = f"https://user:{BROKER_PASSWORD}@github.com/acme/shop.git"
    assert BROKER_PASSWORD not in git_module.redact(url)
    assert BROKER_PASSWORD not in pr.mask_url(url)
    assert subprocess.run(["true"]).returncode == 0


def test_masking_json_output_keeps_each_line_s_url_apart():
    # SARIF and JSON escape line breaks as `\n`: a URL on one line must not run into the next
    # line's URL (a placeholder was masked together with the text between them)
    from fixer.redaction import mask_text

    text = r'"(scheme://user:password@host/name).\nURL=postgres://app:change-me@db/app\nR=redis://:s3cret-pw@r:6379"'
    assert mask_text(text) == (
        r'"(scheme://user:password@host/name).\nURL=postgres://app:change-me@db/app\nR=redis://***@r:6379"'
    )
