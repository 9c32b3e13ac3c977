"""What `fixer.redaction` takes for a secret in a settings module's source."""

from __future__ import annotations

import ast

from fixer import redaction


def test_an_attribute_name_read_with_getattr_is_no_secret():
    # settings that read each value from a configuration module by name: the name is not the
    # secret (masking "SECRET_KEY" turned every message about it into "***"); the default is
    tree = ast.parse(
        "SECRET_KEY = getattr(configuration, 'SECRET_KEY')\n"
        "API_TOKEN_PEPPERS = getattr(configuration, 'API_TOKEN_PEPPERS', {})\n"
        "EMAIL_PASSWORD = getattr(configuration, 'EMAIL_PASSWORD', 'x7!default-pw')\n"
    )
    assert redaction.secrets_in_source(tree) == {"x7!default-pw"}


def test_a_read_by_variable_name_keeps_its_default_a_secret():
    tree = ast.parse("SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'dev-k3y-123456')\n")
    assert redaction.secrets_in_source(tree) == {"dev-k3y-123456"}
