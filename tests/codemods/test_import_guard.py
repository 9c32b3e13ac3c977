from __future__ import annotations

import ast
import subprocess
import sys
from textwrap import dedent

import libcst as cst

import fixer.checks.item10_startup_queries as item10
from codemods.import_guard import transform
from tests.conftest import findings_of

SETTINGS = """\
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""
MODELS = """\
    from django.db import models


    class Status(models.Model):
        name = models.CharField(max_length=20)
"""


def test_lines_without_a_known_empty_value_are_left() -> None:
    source = "from shop.models import Status\nFIRST = Status.objects.all()[0]\n"
    result = transform(source, {2})
    assert result.code == source
    assert result.left == [
        ("FIRST", 2, "djfix cannot tell what empty value stands for it: make it lazy")
    ]


def test_other_lines_are_not_touched() -> None:
    source = "from shop.models import Status\nNAMES = list(Status.objects.all())\n"
    assert transform(source, {1}).code == source


def test_evaluated_query_is_guarded_with_an_empty_value(make_project) -> None:
    before = dedent(
        """\
        from shop.models import Status

        # every status name, for the filter form
        NAMES = list(Status.objects.values_list("name", flat=True))  # cached for the process
        TOTAL = Status.objects.count()
        """
    )
    result = transform(before, {4, 5})
    assert result.code == dedent(
        """\
        from shop.models import Status
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)

        # every status name, for the filter form
        try:
            NAMES = list(Status.objects.values_list("name", flat=True))  # cached for the process
        except (OperationalError, ProgrammingError) as exc:
            # The table does not exist yet (before `migrate`): start with an empty value.
            logger.warning("Could not compute NAMES at import: %s", exc)
            NAMES = []
        try:
            TOTAL = Status.objects.count()
        except (OperationalError, ProgrammingError) as exc:
            # The table does not exist yet (before `migrate`): start with an empty value.
            logger.warning("Could not compute TOTAL at import: %s", exc)
            TOTAL = 0
        """
    )
    assert result.rewritten == [("NAMES", 4), ("TOTAL", 5)]
    ast.parse(result.code)
    cst.parse_module(result.code)
    # the detector reports the queries before and not after
    files = {"mysite/settings.py": SETTINGS, "shop/__init__.py": "", "shop/models.py": MODELS}
    project = make_project({**files, "shop/constants.py": before})
    assert [f.code for f in findings_of(item10, project)] == ["DJ101", "DJ101"]


def test_detector_is_silent_on_the_guarded_module(make_project) -> None:
    guarded = transform(
        "from shop.models import Status\nNAMES = list(Status.objects.all())\n", {2}
    ).code
    files = {"mysite/settings.py": SETTINGS, "shop/__init__.py": "", "shop/models.py": MODELS}
    project = make_project({**files, "shop/constants.py": guarded})
    assert findings_of(item10, project) == []


def test_guarded_module_imports_on_an_empty_database(tmp_path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop/__init__.py").write_text("")
    (tmp_path / "shop/models.py").write_text(dedent(MODELS))
    (tmp_path / "settings.py").write_text(
        dedent(SETTINGS).replace("db.sqlite3", str(tmp_path / "db"))
    )
    source = "from shop.models import Status\nNAMES = list(Status.objects.all())\n"
    (tmp_path / "shop/constants.py").write_text(transform(source, {2}).code)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'settings'; django.setup();"
        "from shop.constants import NAMES; print(NAMES)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert "Could not compute NAMES at import" in proc.stderr
