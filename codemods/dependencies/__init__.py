"""Dependency-file editors, one format a module (requirements.txt, pyproject.toml, Pipfile,
setup.py, setup.cfg); `declare.add_packages` picks the editor for a file's kind and
`versions.packages_for` the versions to declare."""
