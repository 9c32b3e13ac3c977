"""Step 8 of `djfix verify --image`: build the api and static images of the root Dockerfile and
boot the api image as step 3 boots the server (empty database, /health and /common/health).

The builder is buildah, else podman, else docker, whichever is on PATH. buildah and podman take
their storage driver from STORAGE_DRIVER and buildah its isolation from BUILDAH_ISOLATION when
those are set; `--build-arg NAME=VALUE` reaches every build (a local base image, say). The image
runs on the host network with the server bound to 127.0.0.1; the images and the container are
removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import subprocess
import time

from fixer import verify_env
from fixer.errors import DjfixError
from fixer.verify_process import (
    Process,
    free_port,
    http_get,
    kill_group,
    last_error,
    listening,
    run_command,
)
from fixer.verify_run import (
    FIRST_REQUEST_TIMEOUT,
    REQUEST_TIMEOUT,
    START_TIMEOUT,
    Run,
    Step,
    host_refused,
    serving_overrides,
)

BUILD_TIMEOUT = 1800


def builder() -> str | None:
    for name in ("buildah", "podman", "docker"):
        if shutil.which(name):
            return name
    return None


def _global(tool: str) -> list[str]:
    driver = os.environ.get("STORAGE_DRIVER")
    return ["--storage-driver", driver] if driver and tool in ("buildah", "podman") else []


def _isolation(tool: str) -> list[str]:
    isolation = os.environ.get("BUILDAH_ISOLATION")
    return ["--isolation", isolation] if isolation and tool == "buildah" else []


def _targets(run: Run) -> tuple[str | None, str | None]:
    """(api target, static target): the stages named so, else the final stage and the one
    built on nginx."""
    dockerfile = run.project.root_dockerfile
    if dockerfile is None:
        return None, None
    api = "api" if dockerfile.stage("api") else None
    static = "static" if dockerfile.stage("static") else None
    if static is None:
        static = next(
            (s.name for s in dockerfile.stages if s.name and "nginx" in s.base.lower()), None
        )
    return api, static


#: what the builder itself is configured by (its storage and registries, rootless podman's runtime
#: folder, a remote Docker engine), passed to the build with the basics; the project's own
#: variables are not
_BUILDER_PREFIXES = ("CONTAINERS_", "BUILDAH_", "DOCKER_", "REGISTRY_AUTH_FILE")
_BUILDER_BASICS = ("PATH", "HOME", "TMPDIR", "LANG", "XDG_RUNTIME_DIR", "STORAGE_DRIVER")


def builder_variable(name: str) -> bool:
    return name in _BUILDER_BASICS or name.startswith(_BUILDER_PREFIXES)


def _builder_env() -> dict[str, str]:
    """This process's environment as the builder gets it (`builder_variable`)."""
    return {k: v for k, v in os.environ.items() if builder_variable(k)}


def _build(
    run: Run, tool: str, target: str | None, tag: str, build_args: dict[str, str]
) -> tuple[int | None, str, str]:
    verb = ["bud"] if tool == "buildah" else ["build"]
    argv = [tool, *_global(tool), *verb, *_isolation(tool), "--network", "host", "-t", tag]
    for name, value in build_args.items():
        argv += ["--build-arg", f"{name}={value}"]
    if target:
        argv += ["--target", target]
    argv.append(str(run.tree))
    env = _builder_env()
    code, output = run_command(argv, run.tree, env, BUILD_TIMEOUT)
    return code, output, " ".join([*argv[:-1], "."])


def review_builds(run: Run, root: str = ".") -> list[str]:
    """The builds of the image step as a reviewer runs them with docker from `root` (the
    repository root, relative to where the commands stand)."""
    api, static = _targets(run)
    lines = []
    for target, tag in ((api, "djfix-review-api"), (static, "djfix-review-static")):
        if target is None and tag.endswith("static"):
            continue
        argv = ["docker", "build", "-t", tag]
        for name, value in run.build_args.items():
            argv += ["--build-arg", f"{name}={value}"]
        if target:
            argv += ["--target", target]
        lines.append(shlex.join([*argv, root]))
    return lines


def _remove(tool: str, *what: str, image: bool = True) -> None:
    verb = ("rmi" if tool == "buildah" else "image") if image else "rm"
    argv = [tool, *_global(tool), verb]
    if verb == "image":
        argv.append("rm")
    subprocess.run(
        [*argv, *what], capture_output=True, timeout=300, check=False, stdin=subprocess.DEVNULL
    )


#: a base image the builder could not fetch (buildah/podman, docker's BuildKit), then why
_UNPULLED = re.compile(
    r"(?:initializing source docker://|failed to resolve source metadata for "
    r"|failed to pull |pull access denied for )(?P<image>[^\s,:]+(?::[^\s,:]+)?)"
)
#: why, when the registry was out of reach rather than the name wrong
_UNREACHABLE = re.compile(
    r"no such host|dial tcp|i/o timeout|connection refused|network is unreachable|"
    r"TLS handshake timeout|temporary failure in name resolution",
    re.I,
)


def unpulled_base(output: str) -> str | None:
    """The base image a build stopped on because its registry could not be reached (a name
    lookup, a refused or timed-out connection), else None: a wrong name or a failing step of
    the Dockerfile is the Dockerfile's own failure."""
    for line in output.splitlines():
        found = _UNPULLED.search(line)
        if found is not None and _UNREACHABLE.search(line):
            return found.group("image")
    return None


def image_step(run: Run, step: Step) -> Step:
    tool = builder()
    if tool is None:
        step.reason = "no container builder (docker, podman or buildah) on PATH"
        return step
    api, static = _targets(run)
    if run.project.root_dockerfile is None:
        step.reason = "no Dockerfile at the root"
        return step
    if run.server.problem or not run.server.server:
        step.status, step.reason = "fail", run.server.problem or "no app server"
        return step
    suffix = secrets.token_hex(4)
    api_tag = f"localhost/djfix-verify-api:{suffix}"
    static_tag = f"localhost/djfix-verify-static:{suffix}"
    built: list[str] = []
    try:
        for target, tag in ((api, api_tag), (static, static_tag)):
            if target is None and tag == static_tag:
                continue
            code, output, shown = _build(run, tool, target, tag, run.build_args)
            step.command = shown
            if code != 0:
                unreachable = unpulled_base(output)
                step.output = run.tail(output)
                if unreachable is not None:
                    # nothing of the Dockerfile ran: no verdict on it either way
                    step.status = "skipped"
                    step.reason = (
                        f"the base image {unreachable} could not be pulled (the registry is "
                        "out of reach from here): the build never reached the Dockerfile's own "
                        "steps"
                    )
                    return step
                step.status = "fail"
                step.reason = f"the {target or 'final'} image does not build: " + run.mask(
                    last_error(output)
                )
                return step
            built.append(tag)
        # step 3 in the api image: its own interpreter, an empty database, loopback only
        port = free_port()
        database = run.work / "image-db"
        empty = ""
        database.mkdir(exist_ok=True)
        database.chmod(0o777)  # the image runs as its own (non-root) user
        env = run.environ(**serving_overrides(run)[0])
        values = {k: v for k, v in env.items() if k in run.env.values or k.startswith("STARTUP")}
        values["DJANGO_SETTINGS_MODULE"] = run.project.production_module
        if run.env.database.kind == "url" and not run.database_url and run.env.database.variable:
            values[run.env.database.variable] = f"sqlite:///{database}/verify.sqlite3"
        # an empty database of its own on the run's server (steps 3-5 migrated theirs)
        with contextlib.ExitStack() as stack:
            if run.fresh_database is not None:
                try:
                    fresh = stack.enter_context(run.fresh_database())
                except DjfixError as exc:
                    empty = f"on the database steps 3-5 used, not an empty one ({exc})"
                else:
                    values.update(
                        verify_env.database_values(
                            run.env.database, database / "verify.sqlite3", fresh
                        )[0]
                    )
                    empty = "on a new, empty database"
            argv = run.server.argv("python", None, port)
            if tool == "buildah":
                container = subprocess.run(
                    [tool, *_global(tool), "from", "--quiet", api_tag],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                ).stdout.strip()
                if not container:
                    step.status, step.reason = "fail", "buildah from the api image failed"
                    return step
                command = [tool, *_global(tool), "run", *_isolation(tool), "--network", "host"]
                command += ["-v", f"{database}:{database}"]
                for name, value in values.items():
                    command += ["-e", f"{name}={value}"]
                command += [container, "--", *argv]
            else:
                container = ""
                command = [tool, *_global(tool), "run", "--rm", "--network", "host"]
                command += ["-v", f"{database}:{database}"]
                for name, value in values.items():
                    command += ["-e", f"{name}={value}"]
                command += [api_tag, *argv]
            process = Process(command, run.tree, _builder_env())
            why = ""
            deadline = time.monotonic() + START_TIMEOUT * 2
            while time.monotonic() < deadline:
                if process.proc.poll() is not None:
                    why = f"the server exited with status {process.proc.returncode}"
                    break
                if listening(port):
                    break
                time.sleep(0.3)
            else:
                why = f"the server did not listen within {START_TIMEOUT * 2} s"
            failures = []
            statuses: list[int] = []
            if not why:
                for index, path in enumerate(("/health", "/common/health")):
                    # the first request loads the URLconf and the views in the worker
                    limit = FIRST_REQUEST_TIMEOUT if index == 0 else REQUEST_TIMEOUT
                    status, error = http_get(port, path, limit, host=run.host)
                    statuses += [status] if status else []
                    if status != 200:
                        failures.append(
                            f"{path} answered {status}" if status else f"{path}: {error}"
                        )
            kill_group(process.proc)
            output = process.stop()
            refused = host_refused(run, statuses, output)
            if refused:
                failures = [refused]
            if container:
                _remove(tool, container, image=False)
        step.output = run.tail(output)
        step.note = f"{tool}: {api or 'final'} and {static or 'no static'} images built"
        if empty:
            step.note += f"; the api image booted {empty}"
        if why or failures:
            step.status = "fail"
            step.reason = "the api image: " + "; ".join(
                [why + (": " + run.mask(last_error(output)) if why else "")] if why else failures
            )
        else:
            step.status = "pass"
        return step
    finally:
        if built:
            _remove(tool, *built)
