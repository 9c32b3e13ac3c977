"""The static files storage the production settings configure, as the checks of item 4 and the
container plan read it: its backend, and whether it keeps the files off the server."""

from __future__ import annotations

import json
import re

from fixer.project import ProjectModel

#: the manifest of Django's manifest storages (WhiteNoise's included), in STATIC_ROOT
MANIFEST = "staticfiles.json"

_REMOTE_STORAGE = re.compile(
    r"storages\.backends|s3|gcloud|google|azure|cloudinary|dropbox|bunny|cdn", re.I
)


def static_backend(project: ProjectModel) -> tuple[str, str] | None:
    """(setting name, backend) of the static files storage, where set to a string."""
    storages = project.settings.get("STORAGES")
    if isinstance(storages, dict):
        conf = storages.get("staticfiles")
        backend = conf.get("BACKEND") if isinstance(conf, dict) else None
        if isinstance(backend, str):
            return 'STORAGES["staticfiles"]', backend
    legacy = project.settings.get("STATICFILES_STORAGE")
    if isinstance(legacy, str):
        return "STATICFILES_STORAGE", legacy
    return None


def remote_storage(project: ProjectModel) -> bool:
    """True when the static storage is remote (S3, Google Cloud, Azure, a CDN, ...): the files
    are served from there, and no local folder or static image is needed."""
    backend = static_backend(project)
    if backend is None or "whitenoise" in backend[1].lower():
        return False
    if backend[1].startswith("django.contrib.staticfiles.") or backend[1].startswith(
        "django.core.files."
    ):
        return False
    return bool(_REMOTE_STORAGE.search(backend[1]))


def merged_manifest(committed: str, collected: str) -> str | None:
    """The manifest collectstatic wrote (`collected`) with the entries of the committed one it
    did not write again: collectstatic's manifest lists only what the finders found, so files
    only a committed STATIC_ROOT holds (a front-end build's output) would have none. None when
    either is not a manifest. The generated Dockerfile's collectstatic stage does the same."""
    try:
        old, new = json.loads(committed), json.loads(collected)
    except ValueError:
        return None
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    old_paths, new_paths = old.get("paths"), new.get("paths")
    if not isinstance(old_paths, dict) or not isinstance(new_paths, dict):
        return None
    return json.dumps({**new, "paths": {**old_paths, **new_paths}})
