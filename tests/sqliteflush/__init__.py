"""SQLite for the test process, its flush keeping the content types and permissions
(tests/flush_kept.py).  Pods started by the tests use the ordinary backend; only the test
process's own connection uses this one.
"""
