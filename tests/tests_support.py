"""Helpers shared by tests (importable: tests/ is on sys.path through conftest)."""

import socket


def free_port_range(span: int = 4) -> int:
    """A port p such that p+1..p+span-1 are free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span > 65000:
            continue
        try:
            socks = []
            for i in range(1, span):
                sk = socket.socket()
                sk.bind(("127.0.0.1", base + i))
                socks.append(sk)
            for sk in socks:
                sk.close()
            return base
        except OSError:
            for sk in socks:
                sk.close()
    raise RuntimeError("no free port range")
