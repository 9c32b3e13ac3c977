"""The file formats djfix reads, one a module: shell scripts and Makefiles, Dockerfiles, compose
files, Procfiles. Pure text -> model; they know nothing of Django or the checklist."""
