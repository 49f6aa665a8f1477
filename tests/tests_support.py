"""Helpers shared by tests (importable: tests/ is on sys.path through conftest)."""

from marsad.mirror.server import free_port_base


def free_port_range(span: int = 4) -> int:
    """A port p such that p+1..p+span-1 are free on 127.0.0.1."""
    return free_port_base(span - 1)
