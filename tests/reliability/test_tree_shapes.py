"""Odd trees: symbolic links (inside and out), submodules, mixed line endings, tabs, and files
in another encoding. djfix never writes through a link or into a submodule, keeps every line's
ending and indentation, and goes on when a file cannot be decoded."""

from __future__ import annotations

import os
from pathlib import Path

from tests.reliability.conftest import SETTINGS, build, git, invoke, tree_bytes


def _outside_settings(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    (outside / "mysite").mkdir(parents=True)
    (outside / "mysite/settings.py").write_text(SETTINGS)
    (outside / "mysite/__init__.py").write_text("")
    repo = build(tmp_path / "repo", {"mysite/settings.py": None}, repo=False)
    (repo / "mysite").rename(repo / "mysite_real")
    for name in ("urls.py", "wsgi.py"):
        (outside / "mysite" / name).write_bytes((repo / "mysite_real" / name).read_bytes())
    (repo / "mysite_real").rename(tmp_path / "unused")
    (repo / "mysite").symlink_to(outside / "mysite")
    return repo, outside


def test_no_branch_never_writes_through_a_folder_link_out_of_the_tree(tmp_path):
    repo, outside = _outside_settings(tmp_path)
    before = tree_bytes(outside)
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert tree_bytes(outside) == before
    assert (repo / "mysite").is_symlink()
    assert "mysite/settings.py is inside mysite/, a symbolic link" in done.output
    assert "Traceback" not in done.output


def test_symlinked_settings_file_is_reported_not_replaced(tmp_path):
    repo = build(tmp_path / "repo", {"mysite/settings_real.py": SETTINGS})
    os.remove(repo / "mysite/settings.py")
    (repo / "mysite/settings.py").symlink_to("settings_real.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "settings through a link")
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert (repo / "mysite/settings.py").is_symlink()
    assert os.readlink(repo / "mysite/settings.py") == "settings_real.py"
    assert (repo / "mysite/settings_real.py").read_text() == SETTINGS
    assert "mysite/settings.py is a symbolic link" in done.output


def test_branch_mode_keeps_a_symlinked_package_a_link(tmp_path):
    repo = build(tmp_path / "repo")
    (repo / "mysite").rename(repo / "mysite_pkg")
    (repo / "mysite").symlink_to("mysite_pkg")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "package through a link")
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    tree = git(repo, "ls-tree", "-r", "djfix/deploy-ready")
    modes = {line.split("\t")[1]: line.split()[0] for line in tree.splitlines()}
    assert modes["mysite"] == "120000", done.output
    assert not [p for p in modes if p.startswith("mysite/")]


def test_submodule_package_is_never_written(tmp_path):
    from tests.reliability.conftest import base_files

    package = {k[len("mysite/") :]: v for k, v in base_files().items() if k.startswith("mysite/")}
    sub = build(tmp_path / "sub", {k: None for k in base_files()} | package)
    repo = build(tmp_path / "repo", {k: None for k in base_files() if k.startswith("mysite/")})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "mysite")
    git(repo, "commit", "-qm", "the settings package is a submodule")
    inner = tree_bytes(repo / "mysite")
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert tree_bytes(repo / "mysite") == inner
    assert "inside the submodule mysite" in done.output
    assert (repo / "Dockerfile").exists()  # the rest was fixed


def test_one_crlf_line_does_not_convert_the_file(tmp_path):
    settings = SETTINGS.replace('STATIC_URL = "/static/"\n', 'STATIC_URL = "/static/"\r\n')
    repo = build(tmp_path / "repo", {"mysite/settings.py": settings.encode()}, repo=False)
    invoke("apply", str(repo), "--no-branch", "--python", "none")
    raw = (repo / "mysite/settings.py").read_bytes()
    assert raw.count(b"\r\n") == 1
    assert b'STATIC_URL = "/static/"\r\n' in raw
    assert b"import environ\n" in raw


def test_crlf_file_stays_crlf_with_new_lines_crlf(tmp_path):
    repo = build(
        tmp_path / "repo",
        {"mysite/settings.py": SETTINGS.replace("\n", "\r\n").encode()},
        repo=False,
    )
    invoke("apply", str(repo), "--no-branch", "--python", "none")
    raw = (repo / "mysite/settings.py").read_bytes()
    assert b"environ" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_tabs_stay_tabs(tmp_path):
    settings = SETTINGS.replace("    ", "\t")
    repo = build(tmp_path / "repo", {"mysite/settings.py": settings}, repo=False)
    invoke("apply", str(repo), "--no-branch", "--python", "none")
    text = (repo / "mysite/settings.py").read_text()
    assert '\t"shop",' in text
    indented = [ln for ln in text.splitlines() if ln[:1] in (" ", "\t")]
    assert indented and not [ln for ln in indented if ln.startswith(" ")], text


LATIN1 = "# -*- coding: latin-1 -*-\nTITLE = 'Café crème'\n".encode("latin-1")


def test_latin1_file_with_coding_line_does_not_stop_the_run(tmp_path):
    settings = SETTINGS + "\nfrom mysite.labels import TITLE  # noqa\n"
    repo = build(
        tmp_path / "repo",
        {"mysite/settings.py": settings, "mysite/labels.py": LATIN1},
        repo=False,
    )
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert done.exit_code in (0, 1), done.output
    assert (repo / "mysite/labels.py").read_bytes() == LATIN1
    assert "import environ" in (repo / "mysite/settings.py").read_text()


def test_latin1_settings_with_coding_line_is_rewritten_in_latin1(tmp_path):
    settings = ("# -*- coding: latin-1 -*-\n# Réglages\n" + SETTINGS).encode("latin-1")
    repo = build(tmp_path / "repo", {"mysite/settings.py": settings}, repo=False)
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert done.exit_code in (0, 1), done.output
    raw = (repo / "mysite/settings.py").read_bytes()
    assert raw.startswith("# -*- coding: latin-1 -*-\n# Réglages\n".encode("latin-1"))
    assert "import environ" in raw.decode("latin-1")
    assert (repo / "Dockerfile").exists()  # the other items ran too


def test_undecodable_file_is_skipped_with_a_reason_and_the_run_goes_on(tmp_path):
    requirements = "Django==5.2\n# société\n".encode("latin-1")  # no coding line: not UTF-8
    repo = build(tmp_path / "repo", {"requirements.txt": requirements}, repo=False)
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert done.exit_code in (0, 1), done.output
    assert (repo / "requirements.txt").read_bytes() == requirements
    assert "requirements.txt cannot be decoded" in done.output
    assert "djfix left it unchanged" in done.output
    assert "import environ" in (repo / "mysite/settings.py").read_text()


def test_branch_mode_keeps_a_submodule_a_submodule(tmp_path):
    from tests.reliability.conftest import base_files

    package = {k[len("mysite/") :]: v for k, v in base_files().items() if k.startswith("mysite/")}
    sub = build(tmp_path / "sub", {k: None for k in base_files()} | package)
    repo = build(tmp_path / "repo", {k: None for k in base_files() if k.startswith("mysite/")})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "mysite")
    git(repo, "commit", "-qm", "the settings package is a submodule")
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    tree = git(repo, "ls-tree", "-r", "djfix/deploy-ready")
    modes = {line.split("\t")[1]: line.split()[0] for line in tree.splitlines()}
    assert modes["mysite"] == "160000", done.output
    assert not [p for p in modes if p.startswith("mysite/")]


def test_comments_inside_a_rewritten_allowed_hosts_list_are_kept(tmp_path):
    settings = SETTINGS.replace(
        "ALLOWED_HOSTS = []",
        'ALLOWED_HOSTS = [\n    "shop.example.com",  # the public name\n'
        "    # the load balancer's health checks\n"
        '    "10.0.0.5",\n]',
    )
    repo = build(tmp_path / "repo", {"mysite/settings.py": settings}, repo=False)
    invoke("apply", str(repo), "--no-branch", "--python", "none")
    text = (repo / "mysite/settings.py").read_text()
    assert "env.list(" in text.split("ALLOWED_HOSTS", 1)[1].split("\n", 1)[0]
    assert "# the public name" in text
    assert "# the load balancer's health checks" in text


def test_comments_inside_a_rewritten_databases_entry_are_kept(tmp_path):
    settings = SETTINGS.replace(
        '        "ENGINE": "django.db.backends.sqlite3",\n',
        "        # sqlite until the shop moves to PostgreSQL\n"
        '        "ENGINE": "django.db.backends.sqlite3",\n',
    ).replace(
        '        "NAME": os.path.join(BASE_DIR, "db.sqlite3"),\n',
        '        "NAME": os.path.join(BASE_DIR, "db.sqlite3"),  # beside manage.py\n',
    )
    repo = build(tmp_path / "repo", {"mysite/settings.py": settings}, repo=False)
    invoke("apply", str(repo), "--no-branch", "--python", "none")
    text = (repo / "mysite/settings.py").read_text()
    assert "env.db(" in text
    assert "# sqlite until the shop moves to PostgreSQL" in text
    assert "# beside manage.py" in text
