from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest

from codemods.lazy_queries import CLASS_BODY, MODEL_CHOICES, MODULE_CODE, MODULE_VALUE, OLD_DJANGO
from codemods.ready_guard import (
    ALREADY_GUARDED,
    CHANGES,
    COMMAND,
    CREATES,
    RAW_SQL,
    Result,
    transform,
)
from fixer.checks import item10_startup_queries as item10
from tests.conftest import MINIMAL_MANAGE, findings_of, write_tree

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["shop"]
"""
MODELS = """\
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=20)
    active = models.BooleanField(default=True)


class Tag(models.Model):
    name = models.CharField(max_length=20)
"""
#: how the detector words a query that an except clause guards
GUARDED = "the except clause hides the error"


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def check(before: str, after: str, *, module_kind: str, **options: object) -> Result:
    """`before` becomes exactly `after`; the output parses, keeps every comment, and a second run
    changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, module_kind=module_kind, **options)  # type: ignore[arg-type]
    assert result.code == after
    ast.parse(result.code)
    cst.parse_module(result.code)
    assert not comments(before) - comments(result.code)
    again = transform(result.code, module_kind=module_kind, **options)  # type: ignore[arg-type]
    assert again.code == result.code
    assert again.rewritten == []
    return result


def unchanged(source: str, *, module_kind: str, **options: object) -> Result:
    source = dedent(source)
    result = transform(source, module_kind=module_kind, **options)  # type: ignore[arg-type]
    assert result.code == source
    assert result.rewritten == []
    return result


def detect(make_project, module: str, code: str, extra: dict[str, str] | None = None) -> list:
    """The item-10 findings in `shop/<module>` of a small project (app `shop` installed)."""
    files = {
        "mysite/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/migrations/__init__.py": "",
        f"shop/{module}": dedent(code),
        **(extra or {}),
    }
    project = make_project(files)
    return [f for f in findings_of(item10, project) if f.path == f"shop/{module}"]


def shape(findings) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in findings]


def guarded(findings) -> list[tuple[str, int, bool]]:
    """(code, line, reported as guarded by an except clause) of each finding."""
    return [(f.code, f.line, GUARDED in f.message) for f in findings]


# -- nothing to change ---------------------------------------------------------------------------


def test_lazy_queryset_in_model_choice_field(make_project) -> None:
    source = """\
        from django import forms

        from .models import Category


        class ProductFilterForm(forms.Form):
            category = forms.ModelChoiceField(queryset=Category.objects.all())
        """
    result = unchanged(source, module_kind="module")
    assert result.left == []
    assert detect(make_project, "forms.py", source) == []


def test_query_inside_a_function_body(make_project) -> None:
    source = """\
        from django import forms

        from .models import Category


        def category_choices():
            return [(c.pk, c.name) for c in Category.objects.all()]


        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(choices=category_choices)

            def clean_category(self):
                if not Category.objects.filter(pk=self.cleaned_data["category"]).exists():
                    raise forms.ValidationError("gone")
                return self.cleaned_data["category"]
        """
    result = unchanged(source, module_kind="module")
    assert result.left == []
    assert detect(make_project, "forms.py", source) == []


def test_ready_without_queries(make_project) -> None:
    source = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from . import signals  # noqa: F401

                def later():
                    return Category.objects.count()

                register(later)
        """
    result = unchanged(source, module_kind="apps")
    assert result.left == []
    assert detect(make_project, "apps.py", source) == []


def test_already_guarded_read(make_project) -> None:
    source = """\
        import logging

        from django.apps import AppConfig
        from django.db import DatabaseError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                try:
                    register(list(Category.objects.all()))
                except DatabaseError:
                    logger.warning("no categories yet")
        """
    result = unchanged(source, module_kind="apps")
    assert result.left == [("Category.objects.all()", 16, ALREADY_GUARDED)]
    # guarded against the missing table, the read lets the app start: not a finding
    assert detect(make_project, "apps.py", source) == []


def test_ready_left_alone_in_other_modules() -> None:
    source = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                print(Category.objects.count())
        """
    result = unchanged(source, module_kind="module")
    assert result.left == []


def test_module_that_does_not_parse() -> None:
    result = unchanged("def ready(:\n", module_kind="apps")
    assert len(result.left) == 1
    assert result.left[0][0] == "module"
    assert result.left[0][2].startswith("does not parse")


# -- left, with the reason -----------------------------------------------------------------------


def test_writes_in_ready_belong_in_a_data_migration(make_project) -> None:
    source = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category, Tag

                Category.objects.get_or_create(name="Other")
                Tag.objects.filter(name="").delete()
                try:
                    Tag.objects.bulk_create([Tag(name="new")])
                except Exception:
                    pass
        """
    result = unchanged(source, module_kind="apps")
    assert result.left == [
        ("Category.objects.get_or_create(name='Other')", 10, CREATES),
        ("Tag.objects.filter(name='').delete()", 11, CHANGES),
        ("Tag.objects.bulk_create([Tag(name='new')])", 13, CREATES),
    ]
    assert shape(detect(make_project, "apps.py", source)) == [
        ("DJ100", 10),
        ("DJ100", 11),
        ("DJ100", 13),
    ]


def test_raw_sql_commands_and_unknown_manager_methods() -> None:
    source = """\
        from django.apps import AppConfig
        from django.core.management import call_command
        from django.db import connection


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                call_command("loaddata", "initial")
                Category.objects.rebuild_tree()
        """
    result = unchanged(source, module_kind="apps")
    assert result.left == [
        ("connection.cursor()", 10, RAW_SQL),
        ("call_command('loaddata', 'initial')", 12, COMMAND),
        (
            "Category.objects.rebuild_tree()",
            13,
            "calls `rebuild_tree()`, which djfix cannot tell from a write: move it out of ready()",
        ),
    ]


def test_result_kept_for_later_without_an_empty_value(make_project) -> None:
    source = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                self.default_name = Category.objects.first().name
                default = Category.objects.get(name="Other")

                def handler(sender, **kwargs):
                    print(default)

                connect(handler)
        """
    result = unchanged(source, module_kind="apps")
    assert result.left == [
        (
            "Category.objects.first()",
            10,
            "stores its result in `self.default_name`, and djfix cannot tell which empty value "
            "stands for it: compute it where it is used",
        ),
        (
            "Category.objects.get(name='Other')",
            11,
            "its result `default` is used by a function defined in ready() (line 14)",
        ),
    ]
    assert shape(detect(make_project, "apps.py", source)) == [("DJ100", 10), ("DJ100", 11)]


def test_results_kept_for_later_get_an_empty_value_of_their_shape(make_project) -> None:
    before = """\
        from django.apps import AppConfig

        from . import registry

        NAMES = []


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                global NAMES
                from .models import Category, Tag

                self.count = Category.objects.count()
                NAMES = list(Category.objects.values_list("name", flat=True))
                registry.TAGS = {t.pk: t.name for t in Tag.objects.all()}
                self.default = Category.objects.filter(active=True).first()
                connect_signals()
        """
    after = """\
        from django.apps import AppConfig

        from . import registry
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)

        NAMES = []


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                global NAMES
                from .models import Category, Tag

                try:
                    self.count = Category.objects.count()
                    NAMES = list(Category.objects.values_list("name", flat=True))
                    registry.TAGS = {t.pk: t.name for t in Tag.objects.all()}
                    self.default = Category.objects.filter(active=True).first()
                except (OperationalError, ProgrammingError) as exc:
                    # The tables do not exist yet (before `migrate`): start with empty values.
                    logger.warning("Skipped reading Category and Tag at startup: %s", exc)
                    self.count = 0
                    NAMES = []
                    registry.TAGS = {}
                    self.default = None
                connect_signals()
        """
    result = check(before, after, module_kind="apps")
    assert [line for _, line in result.rewritten] == [15, 16, 17, 18]
    assert result.left == []
    assert shape(detect(make_project, "apps.py", before)) == [
        ("DJ100", n) for n in (15, 16, 17, 18)
    ]
    assert detect(make_project, "apps.py", dedent(after)) == []


def test_model_field_choices(make_project) -> None:
    source = """\
        from django.db import models


        class Category(models.Model):
            name = models.CharField(max_length=20)


        class Product(models.Model):
            kind = models.CharField(
                max_length=20, choices=[(c.name, c.name) for c in Category.objects.all()]
            )
        """
    result = unchanged(source, module_kind="module", django_version=(5, 2))
    assert result.left == [
        ("[(c.name, c.name) for c in Category.objects.all()]", 10, MODEL_CHOICES),
    ]
    assert shape(detect(make_project, "models.py", source)) == [("DJ101", 10)]


def test_choices_of_fields_djfix_does_not_know() -> None:
    source = """\
        from rest_framework import serializers

        from .models import Category


        class ProductSerializer(serializers.Serializer):
            kind = serializers.ChoiceField(choices=[(c.pk, c.name) for c in Category.objects.all()])
            default = Category.objects.first()


        for category in Category.objects.all():
            print(category)
        """
    result = unchanged(source, module_kind="module")
    assert result.left == [
        (
            "[(c.pk, c.name) for c in Category.objects.all()]",
            7,
            "`serializers.ChoiceField` is not a Django form field known to take a callable "
            "`choices`",
        ),
        ("Category.objects.first()", 8, CLASS_BODY),
        ("Category.objects.all()", 11, MODULE_CODE),
    ]


def test_form_choices_before_django_1_8() -> None:
    source = """\
        from django import forms


        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(choices=list(Category.objects.values_list("pk", "name")))
        """
    result = unchanged(source, module_kind="module", django_version=(1, 7))
    assert result.left == [
        ("list(Category.objects.values_list('pk', 'name'))", 5, OLD_DJANGO),
    ]


def test_module_value_other_modules_may_import(make_project) -> None:
    source = """\
        from .models import Category

        CATEGORY_NAMES = list(Category.objects.values_list("name", flat=True))


        def names():
            return CATEGORY_NAMES
        """
    result = unchanged(source, module_kind="module")
    assert result.left == [
        (
            "list(Category.objects.values_list('name', flat=True))",
            3,
            f"{MODULE_VALUE} (other modules may import `CATEGORY_NAMES`)",
        )
    ]
    result = unchanged(source, module_kind="module", imported_elsewhere={"CATEGORY_NAMES"})
    assert result.left[0][2] == f"{MODULE_VALUE} (another module imports `CATEGORY_NAMES`)"
    assert shape(detect(make_project, "utils.py", source)) == [("DJ101", 3)]


@pytest.mark.parametrize(
    ("use", "problem"),
    [
        ("for name in CATEGORY_NAMES:\n    print(name)\n", "it is used at import, line 6"),
        (
            "def add(name):\n    CATEGORY_NAMES.append(name)\n",
            "line 7 uses `CATEGORY_NAMES.append`",
        ),
        (
            "def clear():\n    global CATEGORY_NAMES\n    CATEGORY_NAMES = []\n",
            "line 8 assigns `CATEGORY_NAMES`",
        ),
        ("__all__ = ['CATEGORY_NAMES']\n", "`CATEGORY_NAMES` is in `__all__`"),
    ],
)
def test_module_value_with_uses_djfix_cannot_rewrite(use: str, problem: str) -> None:
    source = (
        "from .models import Category\n\n"
        'CATEGORY_NAMES = list(Category.objects.values_list("name", flat=True))\n\n\n' + use
    )
    result = unchanged(source, module_kind="module", imported_elsewhere=())
    ((_text, line, reason),) = result.left
    assert (line, reason) == (3, f"{MODULE_VALUE} ({problem})")


def test_module_value_assigned_in_a_try() -> None:
    source = """\
        from .models import Category

        try:
            CATEGORY_NAMES = list(Category.objects.values_list("name", flat=True))
        except Exception:
            CATEGORY_NAMES = []
        """
    result = unchanged(source, module_kind="module", imported_elsewhere=())
    assert result.left == [
        ("list(Category.objects.values_list('name', flat=True))", 4, MODULE_VALUE)
    ]


# -- rewrites: ready() ---------------------------------------------------------------------------


def test_guard_read_in_ready(make_project) -> None:
    before = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                # The menu lists every active category.
                names = [c.name for c in Category.objects.filter(active=True)]
                register_menu(names)  # once per process
                connect_signals()
        """
    after = """\
        from django.apps import AppConfig
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                try:
                    # The menu lists every active category.
                    names = [c.name for c in Category.objects.filter(active=True)]
                    register_menu(names)  # once per process
                except (OperationalError, ProgrammingError) as exc:
                    # The tables do not exist yet (before `migrate`): start anyway.
                    logger.warning("Skipped reading Category at startup: %s", exc)
                connect_signals()
        """
    result = check(before, after, module_kind="apps")
    assert result.rewritten == [("Category.objects.filter(active=True)", 11)]
    assert result.left == []
    # before: reported as a query that stops the start; after: silent (guarded), and the
    # second run leaves it with the reason
    (finding,) = detect(make_project, "apps.py", before)
    assert GUARDED not in finding.message
    assert detect(make_project, "apps.py", dedent(after)) == []
    again = transform(dedent(after), module_kind="apps")
    assert again.left == [("Category.objects.filter(active=True)", 16, ALREADY_GUARDED)]


def test_guard_consecutive_reads_in_one_try(make_project) -> None:
    result = check(
        """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = 'shop'

            def ready(self):
                from .models import Category, Tag
                print(Category.objects.count())
                print(Tag.objects.count())
                print('100%')
        """,
        """\
        from django.apps import AppConfig
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = 'shop'

            def ready(self):
                from .models import Category, Tag
                try:
                    print(Category.objects.count())
                    print(Tag.objects.count())
                except (OperationalError, ProgrammingError) as exc:
                    # The tables do not exist yet (before `migrate`): start anyway.
                    logger.warning('Skipped reading Category and Tag at startup: %s', exc)
                print('100%')
        """,
        module_kind="apps",
    )
    assert result.rewritten == [("Category.objects.count()", 9), ("Tag.objects.count()", 10)]
    findings = detect(make_project, "apps.py", result.code)
    assert guarded(findings) == []


def test_guard_helper_with_the_module_logger_and_imports(make_project) -> None:
    before = """\
        \"\"\"Shop application.\"\"\"

        import logging

        from django.apps import AppConfig
        from django.db import OperationalError, ProgrammingError

        log = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                self._register_categories()

            def _register_categories(self):
                from .models import Category

                for category in Category.objects.filter(active=True):
                    register(category.name)
        """
    after = """\
        \"\"\"Shop application.\"\"\"

        import logging

        from django.apps import AppConfig
        from django.db import OperationalError, ProgrammingError

        log = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                try:
                    self._register_categories()
                except (OperationalError, ProgrammingError) as exc:
                    # The tables do not exist yet (before `migrate`): start anyway.
                    log.warning("Skipped _register_categories() at startup: %s", exc)

            def _register_categories(self):
                from .models import Category

                for category in Category.objects.filter(active=True):
                    register(category.name)
        """
    result = check(before, after, module_kind="apps")
    assert result.rewritten == [("Category.objects.filter(active=True)", 15)]
    assert detect(make_project, "apps.py", dedent(after)) == []


def test_guard_inside_a_branch_that_also_writes(make_project) -> None:
    before = """\
        from django.apps import AppConfig
        from django.conf import settings


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                if settings.SHOP_MENU:  # only with a menu
                    menu = list(Category.objects.order_by("name"))
                    build_menu(menu)
                    Category.objects.filter(active=False).update(active=True)
        """
    after = """\
        from django.apps import AppConfig
        from django.conf import settings
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                if settings.SHOP_MENU:  # only with a menu
                    try:
                        menu = list(Category.objects.order_by("name"))
                        build_menu(menu)
                    except (OperationalError, ProgrammingError) as exc:
                        # The tables do not exist yet (before `migrate`): start anyway.
                        logger.warning("Skipped reading Category at startup: %s", exc)
                    Category.objects.filter(active=False).update(active=True)
        """
    result = check(before, after, module_kind="apps")
    assert result.rewritten == [("Category.objects.order_by('name')", 12)]
    assert result.left == [
        ("Category.objects.filter(active=False).update(active=True)", 14, CHANGES)
    ]
    # the read is now guarded (silent); the write it left is still reported as it was
    assert guarded(detect(make_project, "apps.py", before)) == [
        ("DJ100", 12, False),
        ("DJ100", 14, False),
    ]
    assert guarded(detect(make_project, "apps.py", after)) == [("DJ100", 22, False)]


def test_guard_extends_to_the_loop_that_uses_the_result(make_project) -> None:
    result = check(
        """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Tag

                tags = Tag.objects.values_list("name", flat=True)
                register("start")
                for tag in tags:
                    register(tag)
                register("end")
        """,
        """\
        from django.apps import AppConfig
        import logging
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Tag

                try:
                    tags = Tag.objects.values_list("name", flat=True)
                    register("start")
                    for tag in tags:
                        register(tag)
                except (OperationalError, ProgrammingError) as exc:
                    # The tables do not exist yet (before `migrate`): start anyway.
                    logger.warning("Skipped reading Tag at startup: %s", exc)
                register("end")
        """,
        module_kind="apps",
    )
    assert result.rewritten == [("Tag.objects.values_list('name', flat=True)", 10)]
    assert guarded(detect(make_project, "apps.py", result.code)) == []


# -- rewrites: import time -----------------------------------------------------------------------


def test_form_choices_become_a_callable(make_project) -> None:
    before = """\
        from django import forms

        from .models import Category


        # Filters on the product list.
        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(
                choices=[
                    # every category
                    (c.pk, c.name) for c in Category.objects.all()
                ],
                required=False,
            )
            tag = forms.MultipleChoiceField(choices=list(Tag.objects.values_list("pk", "name")))
        """
    after = """\
        from django import forms

        from .models import Category


        def _category_choices():
            return [
                # every category
                (c.pk, c.name) for c in Category.objects.all()
            ]


        def _tag_choices():
            return list(Tag.objects.values_list("pk", "name"))


        # Filters on the product list.
        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(
                choices=_category_choices,
                required=False,
            )
            tag = forms.MultipleChoiceField(choices=_tag_choices)
        """
    result = check(before, after, module_kind="module", django_version=(3, 2))
    assert result.rewritten == [
        ("[(c.pk, c.name) for c in Category.objects.all()]", 9),
        ("list(Tag.objects.values_list('pk', 'name'))", 15),
    ]
    assert shape(detect(make_project, "forms.py", before)) == [("DJ101", 9), ("DJ101", 15)]
    assert detect(make_project, "forms.py", after) == []


def test_form_choices_function_name_taken(make_project) -> None:
    before = """\
        from django import forms
        from django.forms import ChoiceField

        from .models import Category

        _category_choices = None


        class A(forms.Form):
            category = ChoiceField(choices=tuple((c.pk, c.name) for c in Category.objects.all()))


        class B(forms.Form):
            category = forms.TypedChoiceField(
                coerce=int, choices=[(c.pk, c.name) for c in Category.objects.all()]
            )
        """
    after = """\
        from django import forms
        from django.forms import ChoiceField

        from .models import Category

        _category_choices = None


        def _a_category_choices():
            return tuple((c.pk, c.name) for c in Category.objects.all())


        class A(forms.Form):
            category = ChoiceField(choices=_a_category_choices)


        def _b_category_choices():
            return [(c.pk, c.name) for c in Category.objects.all()]


        class B(forms.Form):
            category = forms.TypedChoiceField(
                coerce=int, choices=_b_category_choices
            )
        """
    result = check(before, after, module_kind="module")
    assert [line for _, line in result.rewritten] == [10, 15]
    assert shape(detect(make_project, "forms.py", before)) == [("DJ101", 10), ("DJ101", 15)]
    assert detect(make_project, "forms.py", after) == []


def test_module_value_becomes_a_function(make_project) -> None:
    before = """\
        from django import forms

        from .models import Category

        # Every category, for the filters.
        CATEGORY_CHOICES = [
            (c.pk, c.name) for c in Category.objects.all()
        ]  # pk, name


        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(choices=CATEGORY_CHOICES)


        def category_names(CATEGORY=None):
            return [name for _, name in CATEGORY_CHOICES]


        def shadowed(CATEGORY_CHOICES):
            return CATEGORY_CHOICES
        """
    after = """\
        from django import forms

        from .models import Category


        # Every category, for the filters.
        def CATEGORY_CHOICES():  # pk, name
            return [
                (c.pk, c.name) for c in Category.objects.all()
            ]


        class ProductFilterForm(forms.Form):
            category = forms.ChoiceField(choices=CATEGORY_CHOICES)


        def category_names(CATEGORY=None):
            return [name for _, name in CATEGORY_CHOICES()]


        def shadowed(CATEGORY_CHOICES):
            return CATEGORY_CHOICES
        """
    result = check(before, after, module_kind="module", imported_elsewhere=())
    assert result.rewritten == [("[(c.pk, c.name) for c in Category.objects.all()]", 6)]
    assert shape(detect(make_project, "forms.py", before)) == [("DJ101", 6)]
    assert detect(make_project, "forms.py", after) == []


# -- real Django ---------------------------------------------------------------------------------

APPS_READING_A_TABLE = """\
from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from .models import Category

        names = sorted(c.name for c in Category.objects.all())
        print("categories:", names)
"""


def _manage(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_and_migrate_run_on_an_empty_database(tmp_path: Path) -> None:
    pytest.importorskip("django")
    settings = (
        'SECRET_KEY = "x"\n'
        'INSTALLED_APPS = ["shop"]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",'
        ' "NAME": "db.sqlite3"}}\n'
    )
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": settings,
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/apps.py": APPS_READING_A_TABLE,
        },
    )
    broken = _manage(tmp_path, "check")
    assert broken.returncode != 0
    assert "no such table: shop_category" in broken.stderr

    result = transform(APPS_READING_A_TABLE, module_kind="apps", django_version=(5, 2))
    assert result.rewritten == [("Category.objects.all()", 11)]
    (tmp_path / "shop" / "apps.py").write_text(result.code, encoding="utf-8")
    (tmp_path / "db.sqlite3").unlink(missing_ok=True)

    fixed = _manage(tmp_path, "check")
    assert fixed.returncode == 0, fixed.stderr
    assert "System check identified no issues" in fixed.stdout
    assert "Skipped reading Category at startup: no such table: shop_category" in fixed.stderr
    assert "categories:" not in fixed.stdout

    # the tables exist after makemigrations + migrate, and ready() reads them again
    assert _manage(tmp_path, "makemigrations", "shop").returncode == 0
    migrated = _manage(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    after = _manage(tmp_path, "check")
    assert after.returncode == 0
    assert "categories: []" in after.stdout
    assert "Skipped" not in after.stderr
