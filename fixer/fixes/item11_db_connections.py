"""Item 11's plan: persistent, health-checked database connections (CONN_MAX_AGE from the
environment, CONN_HEALTH_CHECKS where Django has it)."""

from __future__ import annotations

from codemods import conn_max_age
from fixer.fix_context import EnvVar, FixContext


def fix(ctx: FixContext) -> None:
    """Item 11: persistent, health-checked database connections."""

    rel = ctx.defining_module("DATABASES")
    if rel is None:
        ctx.leave(11, None, "DATABASES is not defined in a module djfix can read")
        return
    source = ctx.changeset.read(rel)
    if source is None:
        return
    version = ctx.project.django_version
    result = conn_max_age.transform(
        source,
        conn_max_age=int(ctx.options["conn-max-age"]),
        health_checks=version is None or version >= (4, 1),
    )
    # a partial rewrite (one branch of `if ...: DATABASES = ... else: ...`) says what it did
    done = " (djfix set it where DATABASES is written out)" if result.code != source else ""
    for setting, line, reason in result.left:
        ctx.leave(11, rel, f"{setting} (line {line}): {reason}{done}")
    if result.reads_variable:
        ctx.add_env(
            EnvVar(
                "CONN_MAX_AGE",
                "Seconds a database connection is kept open (0: close after each request).",
                str(ctx.options["conn-max-age"]),
            )
        )
    written = result.code != source and ctx.write(rel, result.code, 11)
    if written and not result.left:
        # every entry was within reach: a finding left on DATABASES is a djfix bug, reported
        # so (where the codemod left an entry, its reason says why the finding stays)
        ctx.rewritten.add((11, rel, "DATABASES"))
