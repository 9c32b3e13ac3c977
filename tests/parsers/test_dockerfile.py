from __future__ import annotations

from fixer.parsers.commands import manage_py_commands, server_invocations
from fixer.parsers.dockerfile import parse_dockerfile
from fixer.parsers.shell import split_shell

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG PYTHON_IMAGE=python:3.12-slim
ARG VARIANT
ARG DISTRO=${DISTRO_OVERRIDE:-bookworm}

FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE} AS Builder
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "manage.py", "runserver"]

FROM builder AS test
RUN python -m pip install pytest

FROM python:${VARIANT}-slim AS unresolved
FROM debian:${DISTRO}

FROM scratch AS final
COPY --from=Builder --chown=app:app /app /app
COPY --from=0 /etc/passwd /etc/passwd
"""


def test_multi_stage_with_arg_based_from() -> None:
    df = parse_dockerfile(MULTI_STAGE, "Dockerfile")
    assert df.problems == []
    assert df.global_args == {
        "PYTHON_IMAGE": "python:3.12-slim",
        "VARIANT": None,
        "DISTRO": "bookworm",
    }
    assert [(s.index, s.base, s.name, s.line) for s in df.stages] == [
        (0, "python:3.12-slim", "builder", 6),
        (1, "builder", "test", 10),
        (2, "python:${VARIANT}-slim", "unresolved", 13),
        (3, "debian:bookworm", None, 14),
        (4, "scratch", "final", 16),
    ]
    assert df.stages[0].instructions[0].flags == {"platform": "$BUILDPLATFORM"}
    assert df.final_stage is df.stages[4]
    assert df.final_stage.copies_from() == ["builder", "0"]
    copy = df.final_stage.instructions[1]
    assert copy.flags == {"from": "Builder", "chown": "app:app"}
    assert copy.value == "/app /app"
    assert df.parent(df.stages[1]) is df.stages[0]
    assert df.parent(df.stages[3]) is None
    assert df.stage("BUILDER") is df.stages[0]
    assert df.stage(4) is df.stages[4]


def test_pip_installs_in_several_forms() -> None:
    df = parse_dockerfile(
        "FROM python:3.12\n"
        "RUN pip install -U pip && pip3 --no-cache-dir install -r req.txt\n"
        "RUN python3 -m pip install django && /venv/bin/pip list\n"
        "RUN uv pip install --system -r req.txt; uv sync --frozen\n"
        "RUN poetry install --no-root && pipenv install --deploy\n"
        "RUN pip download x && python -m pip --version && poetry run pytest\n",
        "Dockerfile",
    )
    assert df.final_stage is not None
    assert df.final_stage.pip_installs() == [
        (2, "pip install -U pip"),
        (2, "pip3 --no-cache-dir install -r req.txt"),
        (3, "python3 -m pip install django"),
        (4, "uv pip install --system -r req.txt"),
        (4, "uv sync --frozen"),
        (5, "poetry install --no-root"),
        (5, "pipenv install --deploy"),
    ]


def test_continuation_lines_with_interleaved_comments() -> None:
    df = parse_dockerfile(
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "    # build tools for psycopg\n"
        "    && apt-get install -y gcc \\\n"
        "\n"
        "  #another comment\n"
        "    libpq-dev\n"
        "USER app\n",
        "Dockerfile",
    )
    assert df.problems == []
    run, user = df.stages[0].instructions[1:]
    assert run.keyword == "RUN"
    assert run.line == 2
    assert run.value == "apt-get update && apt-get install -y gcc libpq-dev"
    assert (user.keyword, user.value, user.line) == ("USER", "app", 8)


def test_apt_get_install_with_pins_over_continuations() -> None:
    df = parse_dockerfile(
        "FROM python:3.12-slim\n"
        'ENV BUILD_DEPS="gcc build-essential"\n'
        "RUN set -eux; \\\n"
        "    apt-get update; \\\n"
        "    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n"
        "        -o Dpkg::Options::=--force-confnew \\\n"
        "        libpq-dev=15.4-0+deb12u1 \\\n"
        "        curl/bookworm-backports \\\n"
        "        $BUILD_DEPS \\\n"
        "    && apt-get -y install git >/dev/null 2>&1 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "RUN LOCAL_DEPS='make cmake' && sudo apt install -qq $LOCAL_DEPS ./local.deb\n"
        "RUN apt-get purge -y gcc && apt-get update\n",
        "Dockerfile",
    )
    assert df.problems == []
    assert df.stages[0].installed_system_packages() == [
        (3, "libpq-dev"),
        (3, "curl"),
        (3, "gcc"),
        (3, "build-essential"),
        (3, "git"),
        (12, "make"),
        (12, "cmake"),
        (12, "./local.deb"),
    ]


def test_apk_yum_dnf_and_microdnf_installs() -> None:
    df = parse_dockerfile(
        "FROM alpine:3.20\n"
        "RUN apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.4-r2 "
        "postgresql-dev>15 && apk add libjpeg@edge\n"
        "RUN yum -y install gcc && dnf install -y --setopt=tsflags=nodocs make "
        "&& microdnf install -y shadow-utils\n"
        "RUN apk del .build-deps && apk update\n",
        "Dockerfile",
    )
    assert df.stages[0].installed_system_packages() == [
        (2, "gcc"),
        (2, "musl-dev"),
        (2, "postgresql-dev"),
        (2, "libjpeg"),
        (3, "gcc"),
        (3, "make"),
        (3, "shadow-utils"),
    ]


def test_exec_and_shell_form_cmd() -> None:
    df = parse_dockerfile(
        "FROM python:3.12\n"
        'ENTRYPOINT ["/entrypoint.sh"]\n'
        'CMD ["gunicorn", "app.wsgi", "--bind", "0.0.0.0:8000"]\n'
        "FROM python:3.12\n"
        "cmd gunicorn app.wsgi --workers 3\n",
        "Dockerfile",
    )
    first, second = df.stages
    assert df.cmd(first) is not None
    assert df.cmd(first).exec_form == ["gunicorn", "app.wsgi", "--bind", "0.0.0.0:8000"]
    assert df.entrypoint(first) is not None
    assert df.entrypoint(first).exec_form == ["/entrypoint.sh"]
    assert first.commands() == [
        (2, "/entrypoint.sh"),
        (3, "gunicorn app.wsgi --bind 0.0.0.0:8000"),
    ]
    final_cmd = df.cmd()
    assert final_cmd is not None
    assert (final_cmd.keyword, final_cmd.value, final_cmd.exec_form) == (
        "CMD",
        "gunicorn app.wsgi --workers 3",
        None,
    )
    assert df.entrypoint() is None
    assert second.commands() == [(5, "gunicorn app.wsgi --workers 3")]


def test_cmd_inherited_from_parent_stage() -> None:
    df = parse_dockerfile(
        "FROM python:3.12 AS base\n"
        'CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
        'ENTRYPOINT ["tini", "--"]\n'
        "FROM base AS prod\n"
        "RUN echo prod\n"
        "FROM prod AS reset\n"
        'ENTRYPOINT ["/docker-entrypoint.sh"]\n'
        "FROM python:3.12 AS fresh\n",
        "Dockerfile",
    )
    base, prod, reset, fresh = df.stages
    assert df.cmd(prod) is base.instructions[1]
    assert df.entrypoint(prod) is base.instructions[2]
    # An ENTRYPOINT in a stage with no CMD of its own drops the inherited CMD.
    assert df.cmd(reset) is None
    assert df.entrypoint(reset) is reset.instructions[1]
    assert df.cmd(fresh) is None
    assert df.cmd() is None


def test_heredoc_run() -> None:
    df = parse_dockerfile(
        "# syntax=docker/dockerfile:1.7\n"
        "FROM debian:12\n"
        "RUN --mount=type=cache,target=/var/cache/apt <<EOF\n"
        "set -e\n"
        "apt-get update\n"
        "apt-get install -y nginx   # the proxy\n"
        "EOF\n"
        "RUN cat <<'CONF' > /etc/app.conf && apt-get install -y vim\n"
        "apt-get install -y not-a-command\n"
        "CONF\n"
        "RUN python3 <<-PY\n"
        "\timport os\n"
        "\tPY\n"
        'CMD ["nginx"]\n',
        "Dockerfile",
    )
    assert df.problems == []
    stage = df.stages[0]
    run = stage.instructions[1]
    assert run.flags == {"mount": "type=cache,target=/var/cache/apt"}
    assert run.value == "<<EOF\nset -e\napt-get update\napt-get install -y nginx   # the proxy\nEOF"
    assert [(h.name, h.line) for h in run.heredocs] == [("EOF", 4)]
    assert stage.instructions[3].heredocs[0].body == "import os"
    assert [(i.keyword, i.line) for i in stage.instructions] == [
        ("FROM", 2),
        ("RUN", 3),
        ("RUN", 8),
        ("RUN", 11),
        ("CMD", 14),
    ]
    assert stage.installed_system_packages() == [(6, "nginx"), (8, "vim")]


def test_unterminated_heredoc_is_a_problem() -> None:
    df = parse_dockerfile("FROM debian:12\nRUN <<EOF\necho hi\n", "Dockerfile")
    assert df.problems == ["line 2: here-document 'EOF' is never terminated"]
    assert df.stages[0].instructions[1].heredocs[0].body == "echo hi\n"


def test_escape_directive_backtick() -> None:
    df = parse_dockerfile(
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "COPY app C:\\app\\\n"
        "RUN powershell -Command `\n"
        "    $ErrorActionPreference = 'Stop'; `\n"
        "    Write-Host hi\n",
        "Dockerfile",
    )
    assert df.problems == []
    copy, run = df.stages[0].instructions[1:]
    assert (copy.value, copy.line) == ("app C:\\app\\", 3)
    assert (run.value, run.line) == (
        "powershell -Command $ErrorActionPreference = 'Stop'; Write-Host hi",
        4,
    )


def test_directive_after_comment_is_only_a_comment() -> None:
    df = parse_dockerfile(
        "# a comment\n# escape=`\nFROM alpine\nRUN echo a \\\n  b\n", "Dockerfile"
    )
    assert df.stages[0].instructions[1].value == "echo a b"


def test_crlf_and_bom() -> None:
    df = parse_dockerfile(
        "\ufeffFROM python:3.12 AS app\r\nRUN apt-get install -y \\\r\n    gcc\r\n"
        'CMD ["gunicorn", "x.wsgi"]\r\n',
        "Dockerfile",
    )
    assert df.problems == []
    stage = df.stages[0]
    assert (stage.base, stage.name) == ("python:3.12", "app")
    assert stage.installed_system_packages() == [(2, "gcc")]
    assert df.cmd() is not None
    assert df.cmd().exec_form == ["gunicorn", "x.wsgi"]


def test_malformed_json_exec_form_runs_as_shell_form() -> None:
    df = parse_dockerfile(
        "FROM python:3.12\nCMD ['gunicorn', 'app.wsgi']\nRUN [ -f /app/x ] && echo yes\n",
        "Dockerfile",
    )
    cmd = df.cmd()
    assert cmd is not None
    assert cmd.exec_form is None
    assert cmd.value == "['gunicorn', 'app.wsgi']"
    assert df.stages[0].instructions[2].exec_form is None
    assert df.problems == [
        "line 2: CMD looks like exec form but is not a JSON array of strings, "
        "so it runs as a shell command"
    ]


def test_empty_dockerfile() -> None:
    df = parse_dockerfile("", "Dockerfile")
    assert df.stages == []
    assert df.final_stage is None
    assert df.cmd() is None
    assert df.problems == ["no FROM instruction"]


def test_dockerfile_structural_problems() -> None:
    df = parse_dockerfile(
        "RUN echo early\nFROM\nFROM a AS b\nFROMM x\nFROM c AS B\nFROM d AS e extra\n",
        "docker/Dockerfile",
    )
    assert df.path == "docker/Dockerfile"
    assert df.problems == [
        "line 4: unknown instruction 'FROMM'",
        "line 1: RUN before the first FROM",
        "line 2: FROM without an image",
        "line 5: stage name 'b' is used twice",
        "line 6: expected 'FROM image [AS name]', got 'FROM d AS e extra'",
    ]
    assert [(s.base, s.name) for s in df.stages] == [
        ("", None),
        ("a", "b"),
        ("c", "b"),
        ("d", None),
    ]
    assert df.stages[1].instructions[-1].keyword == "FROMM"


def test_commands_of_stage() -> None:
    df = parse_dockerfile(
        "FROM python:3.12\n"
        'RUN ["pip", "install", "-r", "r.txt"]\n'
        "RUN bash <<EOF\n"
        "python manage.py collectstatic --noinput\n"
        "EOF\n"
        'ENTRYPOINT ["sh", "-c", "python manage.py migrate && gunicorn x.wsgi"]\n',
        "Dockerfile",
    )
    stage = df.stages[0]
    assert stage.commands() == [
        (2, "pip install -r r.txt"),
        (4, "python manage.py collectstatic --noinput"),
        (6, "sh -c python manage.py migrate && gunicorn x.wsgi"),
    ]
    commands = [c for line, text in stage.commands() for c in split_shell(text, line)]
    assert [(c.line, sub) for c, sub, _ in manage_py_commands(commands)] == [
        (4, "collectstatic"),
        (6, "migrate"),
    ]
    assert [(c.text, s) for c, s in server_invocations(commands)] == [
        ("gunicorn x.wsgi", "gunicorn")
    ]
