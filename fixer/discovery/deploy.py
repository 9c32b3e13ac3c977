"""The deploy files discovery reads: Dockerfiles, compose files, Procfiles, shell scripts,
Makefiles and the CI steps that run manage.py."""

from __future__ import annotations

from fixer.discovery.walk import Walk
from fixer.parsers.compose import parse_compose
from fixer.parsers.dockerfile import parse_dockerfile
from fixer.parsers.makefile import parse_makefile
from fixer.parsers.procfile import parse_procfile
from fixer.parsers.shell import ScriptCommand, parse_shell_script, split_shell
from fixer.project import ProjectModel


def read_deploy_files(model: ProjectModel, walk: Walk) -> None:
    for path in walk.dockerfiles:
        f = model.cache.text(path)
        if f.text is None:
            model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
            continue
        # read once per text in a run: nothing changes a parsed Dockerfile or compose file
        df = f.memo("dockerfile", lambda f=f: parse_dockerfile(f.text or "", f.rel))
        model.dockerfiles.append(df)
        model.deploy_problems.extend((f.rel, p) for p in df.problems)
    for path in walk.compose:
        f = model.cache.text(path)
        if f.text is None:
            model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
            continue
        cf = f.memo("compose", lambda f=f: parse_compose(f.text or "", f.rel))
        model.compose_files.append(cf)
        model.deploy_problems.extend((f.rel, p) for p in cf.problems)
    for path in walk.procfiles:
        f = model.cache.text(path)
        if f.text is not None:
            entries, problems = parse_procfile(f.text)
            model.procfiles[f.rel] = entries
            model.deploy_problems.extend((f.rel, p) for p in problems)
    for path in walk.scripts[:200]:
        f = model.cache.text(path)
        if f.text is not None:
            commands, problems = parse_shell_script(f.text)
            model.scripts[f.rel] = commands
            model.deploy_problems.extend((f.rel, p) for p in problems)
    for path in walk.makefiles:
        f = model.cache.text(path)
        if f.text is not None:
            model.makefiles[f.rel] = parse_makefile(f.text)
    for path in walk.ci:
        f = model.cache.text(path)
        if f.text is None:
            continue
        commands: list[ScriptCommand] = []
        for lineno, line in enumerate(f.text.splitlines(), 1):
            stripped = line.strip().lstrip("-").strip()
            if stripped.startswith(("run:", "script:")):
                stripped = stripped.split(":", 1)[1].strip()
            if "manage.py" in stripped or "django-admin" in stripped:
                commands.extend(split_shell(stripped.strip("|>\"' "), lineno))
        model.ci_files[f.rel] = commands
