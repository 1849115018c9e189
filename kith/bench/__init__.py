"""Benchmark support inside the pod: `kith bench seed` builds a realistic pod quickly.

The scenarios themselves (load generator, sinks, runner) live in the repository's
bench/ directory: they drive real pod processes from outside (docs/performance.md).
"""
