"""Self-checks of the adapters: a select.epoll-like object is polled in every form users write."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.adapters import _SelectLikeInstance


class Recorder:
    """Records how ``poll`` was called (no kernel involved: what is checked is the adapter)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def poll(self, *args: Any, **kwargs: Any) -> list[tuple[int, int]]:
        self.calls.append((args, kwargs))
        return []


def forms(timeout_ms: int, maxevents: int, polls: int) -> list[tuple[Any, ...]]:
    """The calls *polls* polls of one instance make: positional arguments with their types,
    then keyword arguments."""
    recorder = Recorder()
    instance = _SelectLikeInstance(recorder, with_data=False)
    for _ in range(polls):
        instance.poll(timeout_ms, maxevents)
    return [
        (*((a, type(a)) for a in args), *sorted(kwargs.items())) for args, kwargs in recorder.calls
    ]


@pytest.mark.parametrize(
    ("timeout_ms", "maxevents", "expected"),
    [
        (0, -1, [((0, int),), ((0.0, float),), ((0, int), (-1, int)), ((0.0, float), (-1, int))]),
        (
            -1,
            -1,
            [
                (),
                ((None, type(None)),),
                ((-1, int),),
                ((-1.0, float),),
                (("maxevents", -1),),
                ((None, type(None)), (-1, int)),
            ],
        ),
        (-1, 5, [(("maxevents", 5),), ((None, type(None)), (5, int))]),
        (60_000, 3, [((60, int), (3, int)), ((60.0, float), (3, int))]),
        (50, 3, [((0.05, float), (3, int)), ((0.05, float), (3, int))]),
    ],
)
def test_poll_rotates_argument_forms(
    timeout_ms: int, maxevents: int, expected: list[tuple[Any, ...]]
) -> None:
    assert forms(timeout_ms, maxevents, len(expected)) == expected
