"""Drive real Kith pods (separate processes, real HTTP) from tests and benchmarks."""

from tests.harness.pod import Pod, WebSession

__all__ = ["Pod", "WebSession"]
