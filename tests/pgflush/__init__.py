"""PostgreSQL for the test process, emptying tables with DELETE instead of TRUNCATE.

pytest-django empties every table after each transactional test (Django's `flush`).
PostgreSQL's TRUNCATE gives each of Kith's ~80 tables new files and syncs them to disk
at commit: about a second per test on these machines, most of a PostgreSQL run.  The
tables hold a handful of rows by then, so DELETE is milliseconds.  Foreign keys are
deferred (Django creates them DEFERRABLE INITIALLY DEFERRED) and `flush` runs in one
transaction, so the order of the DELETEs does not matter.  Pods started by the tests use
the ordinary backend; only the test process's own connection uses this one.
"""
