"""Fuzzing of every parser that takes outside input (issue 12).

The test_*.py modules are hypothesis tests on a bounded budget, run by the normal suite;
atheris_run.py runs coverage-guided atheris targets for longer (`make fuzz`).  Modules named
test_nodb_* need no database; test_db_* go through the real entry points (the inbox, the API,
the pages) with a database.
"""
