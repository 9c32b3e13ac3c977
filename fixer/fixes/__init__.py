"""The fix plans, one module per checklist item (`itemNN_<topic>.py`), plus what several plans
share (the generated common app, the environment files). A plan reads the project through
`fixer.analysis` and writes through `fixer.fix_context.FixContext`; it imports no check and
never `fixer.apply`."""
