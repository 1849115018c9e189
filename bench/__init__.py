"""Kith benchmarks: scenarios run against real pod processes (docs/performance.md)."""
