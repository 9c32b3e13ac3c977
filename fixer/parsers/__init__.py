"""The file formats djfix reads, one a module: shell scripts (`shell`), Makefiles (`makefile`),
what a command line runs (`commands`), Dockerfiles, compose files, Procfiles. Pure text ->
model; they know nothing of Django or the checklist, and never raise on malformed input: a
parser returns what it could read plus human-readable `problems`, each starting with "line N:"
when a line is known."""
