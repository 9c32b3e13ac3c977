from __future__ import annotations

from fixer.migration_graph import build_graph


def settings(*apps: str, extra: str = "") -> str:
    installed = ["django.contrib.auth", "django.contrib.contenttypes", *apps]
    return f'SECRET_KEY = "x"\nINSTALLED_APPS = {installed!r}\n{extra}'


def migration(deps=(), replaces=(), run_before=(), body: str = "") -> str:
    lines = [
        "from django.conf import settings",
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
        f"    dependencies = {list(deps)!r}",
    ]
    if replaces:
        lines.append(f"    replaces = {list(replaces)!r}")
    if run_before:
        lines.append(f"    run_before = {list(run_before)!r}")
    if body:
        lines.append(body)
    lines.append("    operations = []")
    return "\n".join(lines) + "\n"


def app_files(label: str, migrations: dict[str, str], init: bool = True) -> dict[str, str]:
    files = {f"{label}/__init__.py": ""}
    if init:
        files[f"{label}/migrations/__init__.py"] = ""
    for name, text in migrations.items():
        files[f"{label}/migrations/{name}.py"] = text
    return files


def build(make_project, apps: dict[str, dict[str, str]], extra: str = ""):
    files: dict[str, str] = {"mysite/settings.py": settings(*apps, extra=extra)}
    for label, migrations in apps.items():
        files.update(app_files(label, migrations))
    return build_graph(make_project(files))


def test_linear_history_has_one_leaf(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(),
                "0002_price": migration([("shop", "0001_initial")]),
            }
        },
    )
    assert graph.leaves("shop") == ["0002_price"]
    assert graph.root_nodes("shop") == ["0001_initial"]
    assert graph.conflicts() == {}
    assert graph.missing_dependencies() == []
    assert graph.cycles() == []


def test_dependencies_on_apps_outside_the_repository_are_skipped(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(
                    [("auth", "0012_alter_user_first_name_max_length"), ("taggit", "0001")]
                ),
            }
        },
    )
    assert graph.missing_dependencies() == []
    assert graph.nodes() == [("shop", "0001_initial")]


def test_swappable_dependency_on_a_non_local_user_model_is_satisfied(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(
                    body="    dependencies = "
                    "[migrations.swappable_dependency(settings.AUTH_USER_MODEL)]",
                ),
            }
        },
    )
    assert graph.missing_dependencies() == []


def test_swappable_dependency_on_a_local_user_model_points_at_its_first_migration(
    make_project,
):
    graph = build(
        make_project,
        {
            "accounts": {"0001_initial": migration()},
            "shop": {
                "0001_initial": migration(
                    body="    dependencies = "
                    "[migrations.swappable_dependency(settings.AUTH_USER_MODEL)]",
                ),
            },
        },
        extra='AUTH_USER_MODEL = "accounts.User"\n',
    )
    assert graph.parents(("shop", "0001_initial")) == {("accounts", "0001_initial")}
    assert graph.missing_dependencies() == []


def test_first_and_latest_resolve_to_root_and_leaf(make_project):
    graph = build(
        make_project,
        {
            "accounts": {
                "0001_initial": migration(),
                "0002_more": migration([("accounts", "0001_initial")]),
            },
            "shop": {
                "0001_initial": migration([("accounts", "__first__")]),
                "0002_after": migration([("shop", "0001_initial"), ("accounts", "__latest__")]),
            },
        },
    )
    assert graph.parents(("shop", "0001_initial")) == {("accounts", "0001_initial")}
    assert graph.parents(("shop", "0002_after")) == {
        ("shop", "0001_initial"),
        ("accounts", "0002_more"),
    }
    assert graph.missing_dependencies() == []


def test_first_of_the_own_app_is_ignored(make_project):
    graph = build(make_project, {"shop": {"0001_initial": migration([("shop", "__first__")])}})
    assert graph.missing_dependencies() == []
    assert graph.parents(("shop", "0001_initial")) == set()


def test_first_of_an_app_without_migrations_folder_is_ignored(make_project):
    project = make_project(
        {
            "mysite/settings.py": settings("shop", "legacy"),
            "legacy/__init__.py": "",
            **app_files("shop", {"0001_initial": migration([("legacy", "__first__")])}),
        }
    )
    assert build_graph(project).missing_dependencies() == []


def test_first_of_an_app_with_an_empty_migrations_package_is_missing(make_project):
    project = make_project(
        {
            "mysite/settings.py": settings("shop", "legacy"),
            "legacy/__init__.py": "",
            "legacy/migrations/__init__.py": "",
            **app_files("shop", {"0001_initial": migration([("legacy", "__first__")])}),
        }
    )
    [(mig, key, line)] = build_graph(project).missing_dependencies()
    assert (mig.name, key, line) == ("0001_initial", ("legacy", "__first__"), 6)


def test_two_branches_are_a_conflict(make_project):
    graph = build(
        make_project,
        {
            "blog": {
                "0001_initial": migration(),
                "0002_a": migration([("blog", "0001_initial")]),
                "0002_b": migration([("blog", "0001_initial")]),
            }
        },
    )
    assert graph.leaves("blog") == ["0002_a", "0002_b"]
    assert graph.conflicts() == {"blog": ["0002_a", "0002_b"]}


def test_merge_migration_resolves_the_conflict(make_project):
    graph = build(
        make_project,
        {
            "blog": {
                "0001_initial": migration(),
                "0002_a": migration([("blog", "0001_initial")]),
                "0002_b": migration([("blog", "0001_initial")]),
                "0003_merge": migration([("blog", "0002_a"), ("blog", "0002_b")]),
            }
        },
    )
    assert graph.conflicts() == {}
    assert graph.leaves("blog") == ["0003_merge"]


def test_missing_local_dependency_is_reported_with_its_line(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(),
                "0003_x": migration([("shop", "0002_gone")]),
            }
        },
    )
    [(mig, key, line)] = graph.missing_dependencies()
    assert (mig.name, key, line) == ("0003_x", ("shop", "0002_gone"), 6)


def test_squash_with_replaced_files_present_stands_in_for_them(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(),
                "0002_b": migration([("shop", "0001_initial")]),
                "0001_squashed_0002_b": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_b")]
                ),
                "0003_c": migration([("shop", "0002_b")]),
            }
        },
    )
    assert graph.nodes("shop") == [("shop", "0001_squashed_0002_b"), ("shop", "0003_c")]
    assert graph.parents(("shop", "0003_c")) == {("shop", "0001_squashed_0002_b")}
    assert graph.conflicts() == {}
    assert graph.partial_squashes() == []


def test_squash_with_every_replaced_file_deleted_repoints_dependencies(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_squashed_0002_b": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_b")]
                ),
                "0003_c": migration([("shop", "0002_b")]),
            }
        },
    )
    assert graph.missing_dependencies() == []
    assert graph.leaves("shop") == ["0003_c"]
    assert graph.partial_squashes() == []


def test_squash_with_some_replaced_files_deleted_is_partial(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0002_b": migration([("shop", "0001_initial")]),
                "0001_squashed_0002_b": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_b")]
                ),
            }
        },
    )
    [partial] = graph.partial_squashes()
    assert partial.migration.name == "0001_squashed_0002_b"
    assert partial.missing == [("shop", "0001_initial")]
    assert partial.present == [("shop", "0002_b")]
    # on a new database the squash is used, so the dependency of 0002_b on 0001 is harmless
    assert graph.missing_dependencies() == []


def test_run_before_adds_the_reverse_edge(make_project):
    graph = build(
        make_project,
        {
            "shop": {"0001_initial": migration(run_before=[("blog", "0001_initial")])},
            "blog": {"0001_initial": migration()},
        },
    )
    assert graph.parents(("blog", "0001_initial")) == {("shop", "0001_initial")}


def test_run_before_a_missing_local_migration_is_missing(make_project):
    graph = build(
        make_project,
        {
            "shop": {"0001_initial": migration(run_before=[("blog", "0009_nope")])},
            "blog": {"0001_initial": migration()},
        },
    )
    [(mig, key, line)] = graph.missing_dependencies()
    assert (mig.name, key, line) == ("0001_initial", ("blog", "0009_nope"), None)


def test_cycle_across_apps(make_project):
    graph = build(
        make_project,
        {
            "shop": {"0001_initial": migration([("blog", "0001_initial")])},
            "blog": {"0001_initial": migration([("shop", "0001_initial")])},
        },
    )
    assert graph.cycles() == [[("blog", "0001_initial"), ("shop", "0001_initial")]]


def test_self_dependency_is_a_cycle(make_project):
    graph = build(make_project, {"shop": {"0001_initial": migration([("shop", "0001_initial")])}})
    assert graph.cycles() == [[("shop", "0001_initial")]]


def test_unparsable_migration_makes_the_app_uncertain(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(),
                "0002_broken": "class Migration(:\n",
            }
        },
    )
    assert "shop" in graph.uncertain_apps
    assert graph.conflicts() == {}


def test_computed_dependencies_make_the_app_uncertain(make_project):
    graph = build(
        make_project,
        {
            "shop": {
                "0001_initial": migration(),
                "0002_x": migration(body="    dependencies = [('shop', n) for n in ['0001']]"),
            }
        },
    )
    assert graph.conflicts() == {}
    assert graph.uncertain_apps == {"shop"}


def test_private_modules_are_not_migrations(make_project):
    graph = build(
        make_project,
        {"shop": {"0001_initial": migration(), "_helpers": "X = 1\n", "~tmp": "Y = 2\n"}},
    )
    assert graph.nodes() == [("shop", "0001_initial")]


def test_long_chain_does_not_recurse(make_project):
    chain = {"0000": migration()}
    for i in range(1, 1500):
        chain[f"{i:04d}"] = migration([("shop", f"{i - 1:04d}")])
    graph = build(make_project, {"shop": chain})
    assert graph.leaves("shop") == ["1499"]
    assert graph.cycles() == []
