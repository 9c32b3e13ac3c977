"""Item 5's fix of DJ057 on whole projects: settings importing the git-ignored module each
installation writes from a committed template (tests/projects/local_config/)."""

from __future__ import annotations

from textwrap import dedent

from fixer.apply import plan
from fixer.checks import Selection, all_rules
from fixer.config import Config, effective_options
from fixer.discovery import discover
from tests.conftest import PROJECTS
from tests.test_apply_projects import copy_into_git

TEMPLATE_IMPORT = "local_config/template_import"
OPTIONAL_OVERRIDE = "local_config/optional_override"


def _plan(repo):
    return plan(discover(repo), Selection(), effective_options(Config()))


def _dj057(findings):
    return [f for f in findings if f.code == "DJ057"]


def test_an_optional_override_is_not_reported_and_its_import_stays(tmp_path):
    repo = copy_into_git(OPTIONAL_OVERRIDE, tmp_path)
    result = _plan(repo)
    assert _dj057(result.before.findings) == []
    settings = result.changeset.read("shop/settings.py")
    assert settings is not None
    assert settings.endswith(
        "try:\n"
        "    from .local_settings import *  # noqa: E402,F401,F403\n"
        "except ImportError:\n"
        "    pass\n"
    )
    assert result.changeset.read("shop/local_settings_env.py") is None


def test_the_template_import_is_reported_with_a_fix(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    (found,) = _dj057(_plan(repo).before.findings)
    assert (found.path, found.line) == ("shop/settings.py", 38)
    assert found.effective_fix.safety.value == "unsafe"


def test_the_template_becomes_a_committed_module_reading_the_environment(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    result = _plan(repo)
    changeset = result.changeset
    assert changeset.read("shop/local_settings_env.py") == dedent(
        """\
        # Made by djfix from local_settings.py.example: the same settings, each read from the
        # environment (.env.example lists the variables). An installation's own
        # local_settings.py, which git ignores, is still imported in its place when it is there.
        # Copy this file to local_settings.py and fill in the values of your installation.

        import environ
        from pathlib import Path

        env = environ.Env()
        # A local .env is read when there is one (keep it out of git); in production the
        # settings come from real environment variables.
        _parents = Path(__file__).resolve().parents
        _env_file = _parents[min(1, len(_parents) - 1)] / ".env"
        if _env_file.is_file():
            environ.Env.read_env(str(_env_file))

        DEBUG = env.bool("DEBUG", default=False)

        # The names this site answers to
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["shop.example.com"])

        # At least 50 random characters
        SECRET_KEY = env("SECRET_KEY")

        DATABASES = {
            "default": {
                **env.db("DATABASE_URL", default="sqlite:///shop.sqlite3"),
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            }
        }

        EMAIL_HOST = "smtp.example.com"
        """
    )
    settings = changeset.read("shop/settings.py")
    assert settings is not None
    assert settings.endswith(
        dedent(
            """\
            # The installation's own values (secret key, database, hosts): copy
            # local_settings.py.example to local_settings.py and fill it in.
            try:
                from .local_settings import *  # noqa: E402,F401,F403
            except ModuleNotFoundError as exc:
                if exc.name != f"{__package__}.local_settings":
                    raise  # an import inside local_settings.py failed: that error is its own
                # no local_settings.py in this installation: the same settings, read from the
                # environment by local_settings_env.py
                from .local_settings_env import *
            """
        )
    )
    # its variables are listed, the committed placeholder key is not a secret to rotate
    example = changeset.read(".env.example") or ""
    for line in ("DEBUG=False", "SECRET_KEY=", "DATABASE_URL=sqlite:///shop.sqlite3"):
        assert line in example, example
    assert "ALLOWED_HOSTS=" in example
    assert "django-environ" in (changeset.read("requirements.txt") or "")
    # the installation's own file stays out of the image
    assert "shop/local_settings.py" in (changeset.read(".dockerignore") or "").splitlines()
    # the summary says what happened, and the re-check on the planned files finds DJ057 gone
    assert result.context.notes[0] == (
        "shop/settings.py: imports shop/local_settings.py (git-ignored) where an installation "
        "has one, else shop/local_settings_env.py, made from shop/local_settings.py.example "
        "with each secret and each setting of the deployment read from the environment"
    )
    assert _dj057(result.after.findings) == []
    item5 = next(i for i in result.items if i.item == 5)
    assert item5.status == "fixed"
    assert [f.code for f in item5.fixed] == ["DJ057"]
    assert result.bugs == []


def test_a_template_reading_a_name_it_does_not_define_is_left_with_the_reason(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    (repo / "shop/local_settings.py.example").write_text(
        'SECRET_KEY = "change-me"\nMEDIA_ROOT = BASE_DIR / "media"\n'
    )
    result = _plan(repo)
    reason = (
        "the template shop/local_settings.py.example reads BASE_DIR, which it does not define: "
        "a module made from it would not load"
    )
    (found,) = _dj057(result.before.findings)
    assert (found.effective_fix.safety.value, found.effective_fix.reason) == ("none", reason)
    item5 = next(i for i in result.items if i.item == 5)
    assert dict((f.code, why) for f, why in item5.open)["DJ057"] == reason
    assert result.changeset.read("shop/local_settings_env.py") is None
    assert "from .local_settings import *  # noqa: E402,F401,F403\n" in (
        result.changeset.read("shop/settings.py") or ""
    )


def test_the_test_projects_are_laid_out_as_repositories():
    # not at the top of tests/projects/: the template project does not load as committed,
    # which every project there must
    for name in (TEMPLATE_IMPORT, OPTIONAL_OVERRIDE):
        assert (PROJECTS / name / ".gitignore").is_file()
    assert not (PROJECTS / "local_config" / ".gitignore").exists()


def _left_reason(repo) -> str:
    result = _plan(repo)
    (found,) = _dj057(result.before.findings)
    assert found.effective_fix.safety.value == "none"
    item5 = next(i for i in result.items if i.item == 5)
    assert dict((f.code, why) for f, why in item5.open)["DJ057"] == found.effective_fix.reason
    assert result.changeset.read("shop/local_settings_env.py") is None
    return found.effective_fix.reason or ""


def test_a_stand_in_git_would_ignore_is_left_with_the_reason(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    gitignore = repo / ".gitignore"
    gitignore.write_text(
        gitignore.read_text().replace("shop/local_settings.py", "shop/local_settings*.py")
    )
    assert _left_reason(repo) == (
        ".gitignore keeps shop/local_settings_env.py out of the repository, so djfix cannot "
        "commit it there"
    )


def test_a_template_binding_env_itself_is_left_with_the_reason(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    (repo / "shop/local_settings.py.example").write_text(
        'import os\n\nenv = os.environ\nSECRET_KEY = env.get("SECRET_KEY", "change-me")\n'
    )
    assert _left_reason(repo) == (
        "the template shop/local_settings.py.example holds what djfix cannot read from the "
        "environment: line 3: the module binds the name `env` itself, and djfix reads the "
        "environment through django-environ's `env`: rename yours to have djfix rewrite it"
    )


def test_the_installations_own_file_on_disk_is_not_item_5s_to_rewrite(tmp_path):
    # a developer's local_settings.py (git-ignored) beside the template: item 5 commits the
    # stand-in and leaves the installation's file; its key was never in the repository, so it
    # is no secret to rotate
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    own = 'DEBUG = True\nSECRET_KEY = "a-local-key-of-more-than-fifty-characters-for-this-site"\n'
    (repo / "shop/local_settings.py").write_text(own)
    item5 = {r.code for r in all_rules() if r.item == 5}
    result = plan(discover(repo), Selection(select=item5), effective_options(Config()))
    assert result.changeset.read("shop/local_settings_env.py") is not None
    assert result.changeset.read("shop/local_settings.py") == own
    assert result.context.secrets == []
    assert _dj057(result.after.findings) == []


def test_a_second_apply_leaves_the_stand_in_and_the_guard_as_they_are(tmp_path):
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    item5 = Selection(select={r.code for r in all_rules() if r.item == 5})
    first = plan(discover(repo), item5, effective_options(Config()))
    first.changeset.write_to(repo, untracked=True)
    second = plan(discover(repo), item5, effective_options(Config()))
    assert _dj057(second.before.findings) == []
    changed = {c.rel for c in second.changeset.changes()}
    assert not changed & {"shop/settings.py", "shop/local_settings_env.py"}, changed


def test_an_item_that_applies_only_to_the_stand_in_is_planned_on_it(tmp_path):
    # DATABASES comes from the git-ignored module: item 11 is n/a before, and applies to the
    # stand-in djfix writes from the template; its plan runs on the stand-in, in the same run
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    result = _plan(repo)
    (item11,) = [i for i in result.items if i.item == 11]
    assert (result.before.items[11], item11.label) == ("n/a", "fixed, applies now")
    assert [(f.code, f.path) for f in item11.fixed] == [
        ("DJ110", "shop/local_settings_env.py"),
        ("DJ111", "shop/local_settings_env.py"),
    ]
    assert (item11.open, item11.changed) == ([], ["shop/local_settings_env.py"])
    stand_in = result.changeset.read("shop/local_settings_env.py") or ""
    assert '"CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),' in stand_in
    assert "CONN_MAX_AGE=60" in (result.changeset.read(".env.example") or "")
    assert result.bugs == []


def test_an_item_whose_plan_did_not_run_does_not_claim_it_could_not_rewrite(tmp_path, monkeypatch):
    # were item 11 not planned on the stand-in, the summary says why its findings stay: its
    # plan did not run (not "djfix could not rewrite this shape"), and a second apply plans it
    from fixer import apply

    monkeypatch.setattr(apply, "_late_findings", lambda ctx, mod, selection: [])
    repo = copy_into_git(TEMPLATE_IMPORT, tmp_path)
    result = _plan(repo)
    (item11,) = [i for i in result.items if i.item == 11]
    assert (item11.label, item11.changed) == ("open, applies now", [])
    for _, reason in item11.open:
        assert reason.endswith(
            "(in shop/local_settings_env.py, a file djfix writes: item 11 had nothing to fix "
            "before djfix's changes, so its fix did not run; a second `djfix apply` on the "
            "result plans it)"
        )
    for change in result.changeset.changes():
        path = repo / change.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change.new, encoding="utf-8")
    (again,) = [i for i in _plan(repo).items if i.item == 11]
    assert (again.status, [f.code for f in again.fixed]) == ("fixed", ["DJ110", "DJ111"])
