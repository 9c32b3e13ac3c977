from __future__ import annotations

import ast
from textwrap import dedent

from codemods.ready_writes import NOT_A_STATEMENT, USED_RESULT, Result, transform
from fixer.checks import item12_initial_data as item12
from tests.conftest import MINIMAL_MANAGE, findings_of, write_tree

SETTINGS = 'SECRET_KEY = "x"\nINSTALLED_APPS = ["shop"]\n'
MODELS = """\
from django.db import models


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=20)
"""


def calls_in(source: str) -> list[tuple[int, int]]:
    """Positions of every get_or_create / create call, as the fix passes them."""
    return [
        (n.lineno, n.col_offset)
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("create", "get_or_create", "update_or_create")
    ]


def check(before: str, after: str, tmp_path, handlers=()) -> Result:
    """`before` becomes exactly `after`; the output parses, a second run changes nothing, and
    the item 12 detector reports nothing on the result."""
    before, after = dedent(before), dedent(after)
    result = transform(before, calls_in(before), handlers)
    assert result.code == after
    ast.parse(result.code)
    again = transform(result.code, calls_in(result.code), handlers)
    assert (again.code, again.removed) == (after, [])
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/apps.py": after,
        },
    )
    from fixer.discovery import discover

    assert findings_of(item12, discover(tmp_path)) == []
    return result


# -- nothing to remove ---------------------------------------------------------------------------


def test_no_positions_changes_nothing():
    source = "def ready(self):\n    Category.objects.get_or_create(slug='a')\n"
    assert transform(source, []).code == source


def test_result_used_later_is_left():
    source = dedent(
        """\
        class ShopConfig(AppConfig):
            def ready(self):
                default, _ = Category.objects.get_or_create(slug="a")
                self.default = default
        """
    )
    result = transform(source, calls_in(source))
    assert result.code == source
    assert result.left == [(3, USED_RESULT)]


def test_call_inside_a_larger_statement_is_left():
    source = dedent(
        """\
        class ShopConfig(AppConfig):
            def ready(self):
                log(Category.objects.get_or_create(slug="a"))
        """
    )
    result = transform(source, calls_in(source))
    assert result.code == source
    assert result.left == [(3, NOT_A_STATEMENT)]


# -- removals ------------------------------------------------------------------------------------


def test_write_in_a_try_keeps_the_read(tmp_path):
    result = check(
        """\
        import logging

        from django.apps import AppConfig
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = 'shop'

            def ready(self):
                from shop.models import Category

                try:
                    logger.info('shop: %d categories', Category.objects.count())
                    # the fallback category
                    Category.objects.get_or_create(
                        slug='uncategorized',
                        defaults={'name': 'Uncategorized'},
                    )
                except (OperationalError, ProgrammingError):
                    # tables are not there yet
                    pass
        """,
        """\
        import logging

        from django.apps import AppConfig
        from django.db.utils import OperationalError, ProgrammingError

        logger = logging.getLogger(__name__)


        class ShopConfig(AppConfig):
            name = 'shop'

            def ready(self):
                from shop.models import Category

                try:
                    logger.info('shop: %d categories', Category.objects.count())
                except (OperationalError, ProgrammingError):
                    # tables are not there yet
                    pass
        """,
        tmp_path,
    )
    assert result.removed == [18]
    assert result.removed_functions == []


def test_ready_left_empty_goes_with_its_imports(tmp_path):
    result = check(
        """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                from .models import Category

                Category.objects.get_or_create(slug="a", defaults={"name": "A"})
                _, created = Category.objects.update_or_create(slug="b")
        """,
        """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"
        """,
        tmp_path,
    )
    assert result.removed == [10, 11]
    assert result.removed_functions == ["ready"]


def test_post_migrate_handler_goes_with_its_connect(tmp_path):
    result = check(
        """\
        from django.apps import AppConfig
        from django.db.models.signals import post_migrate

        DEFAULTS = [("a", "A"), ("b", "B")]


        def create_defaults(sender, **kwargs):
            from .models import Category

            for slug, name in DEFAULTS:
                Category.objects.get_or_create(slug=slug, defaults={"name": name})


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                post_migrate.connect(create_defaults, sender=self)
        """,
        """\
        from django.apps import AppConfig

        DEFAULTS = [("a", "A"), ("b", "B")]


        class ShopConfig(AppConfig):
            name = "shop"
        """,
        tmp_path,
        handlers={"create_defaults"},
    )
    assert result.removed_functions == ["create_defaults", "ready"]


def test_decorated_handler_goes_and_other_code_stays(tmp_path):
    check(
        """\
        from django.apps import AppConfig
        from django.db.models.signals import post_migrate
        from django.dispatch import receiver

        from .models import Category


        @receiver(post_migrate)
        def create_defaults(sender, **kwargs):
            if sender.name == "shop":
                Category.objects.create(slug="a", name="A")


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                super().ready()
        """,
        """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"

            def ready(self):
                super().ready()
        """,
        tmp_path,
        handlers={"create_defaults"},
    )
