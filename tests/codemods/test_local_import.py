"""codemods.local_import: the settings' import of the module each installation writes becomes
"its own file when there is one, else the committed module reading the environment"."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from codemods.local_import import transform

ENV = "local_settings_env"


def _guard(source: str, package: str = "mysite") -> str:
    result = transform(dedent(source), "local_settings", ENV, package)
    assert result.reason is None, result.reason
    ast.parse(result.code)
    # a second run finds the import already guarded (inside a try, beside the fallback)
    assert transform(result.code, "local_settings", ENV, package).code == result.code
    return result.code


# -- no-op cases ---------------------------------------------------------------------------------


def test_an_import_inside_a_block_is_left_with_the_reason():
    source = "import sys\nif 'runserver' in sys.argv:\n    from .local_settings import *\n"
    result = transform(source, "local_settings", ENV, "mysite")
    assert result.code == source
    assert result.reason == (
        "the import of local_settings (line 3) is inside a block, not at the module's top "
        "level: djfix does not rewrite it"
    )


def test_two_imports_of_the_module_are_left_with_the_reason():
    source = "from .local_settings import *\nfrom .local_settings import EXTRA\n"
    result = transform(source, "local_settings", ENV, "mysite")
    assert result.code == source
    assert result.reason == "the settings import local_settings more than once (lines 1, 2)"


def test_other_names_on_the_same_import_are_left_with_the_reason():
    source = "from . import local_settings, urls\n"
    result = transform(source, "local_settings", ENV, "mysite")
    assert result.code == source
    assert result.reason == (
        "the import of local_settings (line 1): it imports other names on the same line"
    )


def test_a_settings_without_the_import_is_left():
    source = "DEBUG = False\n"
    result = transform(source, "local_settings", ENV, "mysite")
    assert (result.code, result.line) == (source, 0)


# -- rewrites ------------------------------------------------------------------------------------


def test_relative_star_import_keeps_its_comments():
    assert _guard(
        """\
        DEBUG = False

        # the installation's own values
        from .local_settings import *  # noqa: F401,F403
        TIME_ZONE = 'UTC'
        """
    ) == dedent(
        """\
        DEBUG = False

        # the installation's own values
        try:
            from .local_settings import *  # noqa: F401,F403
        except ModuleNotFoundError as exc:
            if exc.name != f'{__package__}.local_settings':
                raise  # an import inside local_settings.py failed: that error is its own
            # no local_settings.py in this installation: the same settings, read from the
            # environment by local_settings_env.py
            from .local_settings_env import *
        TIME_ZONE = 'UTC'
        """
    )


def test_top_level_import_of_the_module():
    assert _guard("import local_settings\n\nDEBUG = local_settings.DEBUG\n", package="") == (
        dedent(
            """\
            try:
                import local_settings
            except ModuleNotFoundError as exc:
                if exc.name != "local_settings":
                    raise  # an import inside local_settings.py failed: that error is its own
                # no local_settings.py in this installation: the same settings, read from the
                # environment by local_settings_env.py
                import local_settings_env as local_settings

            DEBUG = local_settings.DEBUG
            """
        )
    )


def test_absolute_import_of_names():
    assert _guard("from mysite.local_settings import DEBUG, SECRET_KEY as KEY\n") == dedent(
        """\
        try:
            from mysite.local_settings import DEBUG, SECRET_KEY as KEY
        except ModuleNotFoundError as exc:
            if exc.name != "mysite.local_settings":
                raise  # an import inside local_settings.py failed: that error is its own
            # no local_settings.py in this installation: the same settings, read from the
            # environment by local_settings_env.py
            from mysite.local_settings_env import DEBUG, SECRET_KEY as KEY
        """
    )


def test_module_imported_from_its_package():
    # `from . import x` of a missing module raises ImportError naming the package, not the
    # module: the handler asks whether the module is there instead
    assert _guard("from . import local_settings as conf\n") == dedent(
        """\
        try:
            from . import local_settings as conf
        except ImportError:
            import importlib.util

            if importlib.util.find_spec(f"{__package__}.local_settings") is not None:
                raise  # local_settings.py is there: the error is raised inside it
            # no local_settings.py in this installation: the same settings, read from the
            # environment by local_settings_env.py
            from . import local_settings_env as conf
        """
    )


# -- what the guarded import does when it runs ---------------------------------------------------


def _run(tmp_path: Path, settings: str, local: str | None) -> subprocess.CompletedProcess:
    package = tmp_path / "mysite"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(settings)
    (package / "local_settings_env.py").write_text("WHERE = 'environment'\n")
    if local is not None:
        (package / "local_settings.py").write_text(local)
    return subprocess.run(
        [sys.executable, "-c", "from mysite import settings; print(settings.WHERE)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_guarded_import_runs_each_way(tmp_path):
    for source in ("from .local_settings import *\n", "from . import local_settings as conf\n"):
        settings = _guard(source)
        if "conf" in source:
            settings += "WHERE = conf.WHERE\n"
        # a fresh clone: no local_settings.py, the environment module stands in
        done = _run(tmp_path, settings, None)
        assert done.stdout == "environment\n", done.stderr
        # an installation's own file still wins
        done = _run(tmp_path, settings, "WHERE = 'local'\n")
        assert done.stdout == "local\n", done.stderr
        # an ImportError inside the installation's file is its own, never swallowed
        done = _run(tmp_path, settings, "import not_installed_anywhere\nWHERE = 'local'\n")
        assert done.returncode == 1
        assert "No module named 'not_installed_anywhere'" in done.stderr
        (tmp_path / "mysite" / "local_settings.py").unlink()
