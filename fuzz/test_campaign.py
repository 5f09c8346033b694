"""``python -m fuzz`` itself: progress, summary, exit status, and a failure's program."""

from __future__ import annotations

import pathlib

import pytest

from . import campaign, mutants
from .model_machine import ModelMachine

SECONDS = 3


class ModelWithSwallowedENOENT(ModelMachine):
    """A machine the campaign must fail on (module level, so worker processes find it)."""

    epoll_class = mutants.UnregisterSwallowsENOENT


def test_clean_campaign_counts_and_passes(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status = campaign.campaign(["ModelLibc"], SECONDS / 60, 1, chunk=5)
    out = capsys.readouterr().out
    assert status == 0, out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("summary: 1 workers"), summary
    examples = int(summary.split(": ")[-1].split(" examples")[0])
    assert examples > 0, summary


def test_failing_campaign_prints_a_program(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(campaign.MACHINES, "ModelWithSwallowedENOENT", ModelWithSwallowedENOENT)
    status = campaign.campaign(["ModelWithSwallowedENOENT"], SECONDS / 60, 1, chunk=5)
    out = capsys.readouterr().out
    assert status == 1, out
    assert "to replay: from fuzz.test_campaign import ModelWithSwallowedENOENT" in out
    assert "Falsifying example:" in out or "Failing test case:" in out
    assert "state = ModelWithSwallowedENOENT()" in out
    assert "1 failures" in out.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "args", [["--workers", "0"], ["--minutes", "-1"], ["--minutes", "nan"], ["--workers", "x"]]
)
def test_bad_options_are_refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        campaign.main(args)
    assert exit_.value.code == 2
    assert "python -m fuzz" in capsys.readouterr().err
