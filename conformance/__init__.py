"""pyepoll's conformance suite: the Linux epoll specification, clause by clause.

The catalogue (:mod:`conformance.catalogue`) turns the man pages (epoll(7), epoll_create(2),
epoll_ctl(2), epoll_wait(2)) and observed kernel behaviour into clauses with stable IDs; the
``test_*.py`` modules check each testable clause against any implementation that an adapter
(:mod:`conformance.adapters`) describes. Run it with ``python -m conformance`` or as a pytest
plugin (``pytest conformance --epoll-impl NAME``). This package is not distributed.
"""
