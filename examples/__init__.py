"""Example TCP echo servers built on pyepoll (and, for comparison, on threads and asyncio).

Each server is one module that runs with ``python -m examples.<name> --port 0``; it prints
``listening on 127.0.0.1:<port>`` once it accepts connections, stops cleanly on SIGINT or
SIGTERM, and prints its connection counters to stderr on the way out.
"""
