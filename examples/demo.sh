#!/usr/bin/env bash
# djfix's whole job on the example legacy project, as a newcomer runs it: install djfix, then
# check, apply (each fix verified by running the project before and after) and verify, on a
# scratch copy under git. The repository itself is never changed.
#
#   bash examples/demo.sh            # installs djfix into .venv (DJFIX_VENV to choose another)
#
# Needs Python 3.10+, git, and what the example's own dependencies need to install (its
# psycopg2 builds against libpq: `apt-get install libpq-dev gcc` on Debian and Ubuntu).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${DJFIX_VENV:-$here/.venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$here"
djfix="$venv/bin/djfix"

work="$(mktemp -d)/legacy_project"
cp -R "$here/examples/legacy_project" "$work"
git -C "$work" init --quiet --initial-branch main
git -C "$work" add --all
git -C "$work" -c user.name="djfix demo" -c user.email=demo@example.invalid \
    commit --quiet --message "The legacy project, as its authors left it"

echo "== djfix check: every gap against the checklist (exit status 1: there are findings)"
"$djfix" check "$work" || [ $? -eq 1 ]

echo
echo "== djfix apply --install: the fixes, verified, on the branch djfix/deploy-ready"
# --install makes (or reuses) a cached virtualenv from the project's dependency files, so the
# project runs with its own Django; exit status 1: a finding is left for a person to fix
"$djfix" apply "$work" --install || [ $? -eq 1 ]

echo
echo "== djfix verify --install: the fixed project, run for real"
"$djfix" verify "$work" --install

echo
echo "The fixed copy is in $work: \`git -C $work log --oneline main..\` shows one commit per item."
