# syntax=docker/dockerfile:1
# The api image of tests/projects/deploy_ready, written by hand the way cookiecutter-django's
# production Dockerfile builds one: the dependencies are built as wheels in one stage and installed
# into a virtualenv in the final stage, which also installs the database headers and gettext
# with apt and keeps pip and setuptools. benchmarks/image_size.py builds it next to djfix's.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS python-build-stage

RUN apt-get update \
    && apt-get install --no-install-recommends -y build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /usr/src/app
COPY pyproject.toml README.md ./
COPY shipit ./shipit
COPY common ./common
COPY catalog ./catalog
RUN python -m venv /opt/build \
    && /opt/build/bin/pip wheel --no-cache-dir --wheel-dir /usr/src/app/wheels .

FROM ${PYTHON_IMAGE} AS python-run-stage

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

WORKDIR /app

RUN groupadd --system django \
    && useradd --system --gid django django

RUN apt-get update \
    && apt-get install --no-install-recommends -y libpq-dev gettext \
    && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false \
    && rm -rf /var/lib/apt/lists/*

COPY --from=python-build-stage /usr/src/app/wheels /wheels/
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --no-index --find-links=/wheels/ /wheels/* \
    && rm -rf /wheels/

COPY --chown=django:django . /app

# hadolint ignore=DL3066
USER django
EXPOSE 8000

CMD ["gunicorn", "shipit.wsgi:application", "--bind", "0.0.0.0:8000"]
