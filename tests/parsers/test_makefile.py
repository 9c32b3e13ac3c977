from __future__ import annotations

from fixer.parsers.makefile import (
    RecipeLine,
    default_target,
    make_targets,
    read_makefile,
    target_steps,
)

MAKEFILE = (
    "# the front end\n"
    "NPM ?= npm\n"
    "NPM ?= yarn\n"
    "WEBPACK = npx webpack --mode=$(MODE)\n"
    "MODE := production\n"
    "PYTHON := python3\n"
    "FLAGS = --noinput\n"
    "FLAGS += --clear\n"
    "\n"
    ".PHONY: build-static install-js js css\n"
    "build-static: install-js js \\\n"
    "    css  # comment\n"
    "\t$(PYTHON) manage.py collectstatic $(FLAGS)\n"
    "\n"
    "install-js: ; $(NPM) ci\n"
    "js:\n"
    "\t@$(WEBPACK) --config webpack.config.js \\\n"
    "\t  --output-path static/dist\n"
    "\t# a shell comment\n"
    "css:\n"
    "\t-$(MAKE) sass\n"
    "sass:\n"
    "\tfor f in scss/*.scss; do echo $$f; done\n"
)


def test_rules_prerequisites_and_prefixes():
    model = read_makefile(MAKEFILE)
    assert model.problems == []
    assert model.targets == ["build-static", "install-js", "js", "css", "sass"]
    assert model.phony == {"build-static", "install-js", "js", "css"}
    assert model.prerequisites("build-static") == ["install-js", "js", "css"]
    rule = model.rule("js")
    assert rule is not None
    assert rule.recipe == [
        RecipeLine(
            17, "$(WEBPACK) --config webpack.config.js   --output-path static/dist", silent=True
        )
    ]
    assert model.rule("css").recipe == [RecipeLine(21, "$(MAKE) sass", ignore_errors=True)]
    assert model.rule("install-js").recipe == [RecipeLine(15, "$(NPM) ci")]
    assert default_target(model) == "build-static"


def test_variables_in_their_flavours():
    model = read_makefile(MAKEFILE)
    assert {name: v.value for name, v in model.variables.items()} == {
        "NPM": "npm",  # ?= keeps the first
        "WEBPACK": "npx webpack --mode=$(MODE)",  # recursive: expanded when used
        "MODE": "production",
        "PYTHON": "python3",
        "FLAGS": "--noinput --clear",
    }


def test_target_steps_follow_prerequisites_and_make_calls_in_order():
    steps, problems = target_steps(read_makefile(MAKEFILE), "build-static")
    assert problems == []
    assert [(s.target, s.line, s.text, s.unresolved) for s in steps] == [
        ("install-js", 15, "npm ci", ()),
        (
            "js",
            17,
            "npx webpack --mode=production --config webpack.config.js   --output-path static/dist",
            (),
        ),
        ("sass", 23, "for f in scss/*.scss; do echo $f; done", ()),
        ("build-static", 13, "python3 manage.py collectstatic --noinput --clear", ()),
    ]
    assert [c.argv for c in steps[1].commands()] == [
        [
            "npx",
            "webpack",
            "--mode=production",
            "--config",
            "webpack.config.js",
            "--output-path",
            "static/dist",
        ]
    ]


def test_each_target_runs_once():
    text = "all: a b\na: c\n\techo a\nb: c\n\techo b\nc:\n\techo c\n"
    steps, _ = target_steps(read_makefile(text), "all")
    assert [s.text for s in steps] == ["echo c", "echo a", "echo b"]


def test_recursion_is_bounded():
    text = "loop:\n\t$(MAKE) loop2\nloop2:\n\t$(MAKE) loop\n\techo end\n"
    steps, problems = target_steps(read_makefile(text), "loop")
    assert [s.text for s in steps] == ["echo end"]
    assert problems == []
    deep = "".join(f"t{i}: t{i + 1}\n\techo {i}\n" for i in range(20))
    steps, problems = target_steps(read_makefile(deep), "t0")
    assert problems == ["t9: make calls nested more than 8 deep"]
    assert steps[0].text == "echo 8"


def test_what_cannot_be_known_is_named():
    text = (
        "ifdef CI\n"
        "BUCKET = ci-assets\n"
        "endif\n"
        "HASH != git rev-parse HEAD\n"
        "deploy-assets:\n"
        "\taws s3 sync static s3://$(BUCKET)/$(HASH) --token $(API_TOKEN)\n"
        "\techo $(shell date)\n"
        "ifeq ($(ENV),prod)\n"
        "\tnpm run build:prod\n"
        "endif\n"
    )
    steps, _ = target_steps(read_makefile(text), "deploy-assets")
    assert [(s.line, s.unresolved) for s in steps] == [
        (
            6,
            (
                "$(API_TOKEN), which Makefile does not define",
                "$(BUCKET), which Makefile sets under a condition",
                "$(shell git rev-parse HEAD), a make function",
            ),
        ),
        (7, ("$(shell date), a make function",)),
        (9, ("Makefile:9 runs only under an ifeq/ifdef condition",)),
    ]


def test_shell_variables_need_doubled_dollars():
    steps, _ = target_steps(read_makefile("a:\n\techo $$HOME $(CURDIR) $@\n"), "a")
    assert [(s.text, s.unresolved) for s in steps] == [
        ("echo $HOME $(CURDIR) a", ("$(CURDIR), which Makefile does not define",))
    ]


def test_unknown_target_and_other_folders():
    model = read_makefile("build:\n\t$(MAKE) -C docs html\n")
    steps, problems = target_steps(model, "missing")
    assert (steps, problems) == ([], ["Makefile has no rule for missing"])
    steps, _ = target_steps(model, "build")
    assert [s.text for s in steps] == ["make -C docs html"]  # another Makefile: not followed


def test_make_command_lines():
    assert make_targets(["make", "build-static"]) == ("Makefile", ["build-static"])
    assert make_targets(["make", "-f", "build.mk", "-j4", "js", "css"]) == (
        "build.mk",
        ["js", "css"],
    )
    assert make_targets(["make"]) == ("Makefile", [])
    assert make_targets(["make", "-C", "frontend", "build"]) is None
    assert make_targets(["make", "ENV=prod", "build"]) is None
    assert make_targets(["npm", "run", "build"]) is None


def test_define_include_and_target_variables_are_not_rules():
    text = (
        "define HELP\n"
        "build: not a rule\n"
        "endef\n"
        "-include local.mk\n"
        "build: NODE_ENV = production\n"
        "build:\n"
        "\tnpm run build\n"
        "this is not make\n"
    )
    model = read_makefile(text)
    assert model.targets == ["build"]
    assert model.includes == [(4, "local.mk")]
    assert model.problems == ["line 8: not a rule or an assignment: this is not make"]


def test_malformed_input_never_raises():
    text = (
        "A = $(A) x\n"
        "B = $(C)$(C)\n"
        "C = $(B)$(B)\n"
        "self:\n\t$(MAKE) self\n\techo $(A)\n"
        "broken:\n\techo $(unclosed\n"
        "pair: $(B)\n\techo $(B)\n"
        ":\n\t\n"
        "\\\n"
    )
    model = read_makefile(text)
    steps, _ = target_steps(model, "self")
    assert [(s.text, s.unresolved) for s in steps] == [
        ("echo $(A) x x x x x x x x x", ("$(A), which refers to itself or nests too deep",))
    ]
    steps, _ = target_steps(model, "broken")
    assert [s.unresolved for s in steps] == [("an unclosed variable reference",)]
    steps, _ = target_steps(model, "pair")
    assert len(steps) == 1 and len(steps[0].text) < 10_000
    assert "nests too deep" in steps[0].unresolved[0]


def test_default_goal():
    model = read_makefile(".DEFAULT_GOAL := build\nclean:\n\trm -rf x\nbuild:\n\tnpm run build\n")
    assert default_target(model) == "build"
    assert default_target(read_makefile("VAR = 1\n")) is None
