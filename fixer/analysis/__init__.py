"""What several checklist items read, computed from the discovered project: the image and
Dockerfile model, the startup-code scanner (queries at import and in ready()), services and
static backends, the variable table. Checks and fix plans read it; nothing here imports a check
or a fix plan."""
