"""A cancelled update leaves every run exactly as it was: resuming is bit-exact, in one run and in
a comparison, wherever in the update the stop lands (the proposal, the commit's validation pass)."""
import numpy as np
import pytest

from rnn_viz.experiment import interruptible
from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.session import Session

SMALL = ["data.seq_len=40", "data.batch_size=3", "model.hidden_size=6", "data.val_size=5", "training.val_every=1"]


def _session(*extra, runs=1):
    cfg = apply_overrides(default_config(), [*SMALL, *extra])
    return Session.from_configs([cfg] * runs)


class StopAt:
    def __init__(self, n):
        self.calls, self.n = 0, n

    def __call__(self):
        self.calls += 1
        return self.calls >= self.n


def _state(session):
    return [({k: v.copy() for k, v in run.params.items()}, {k: np.copy(v) for k, v in run.opt_state.items()},
             run.rng.bit_generator.state, run.step_count) for run in session.runs]


def _same(a, b):
    for (pa, oa, ra, sa), (pb, ob, rb, sb) in zip(a, b):
        assert sa == sb and ra == rb
        assert pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)
        assert oa.keys() == ob.keys() and all(np.array_equal(oa[k], ob[k]) for k in oa)


@pytest.mark.parametrize("runs", [1, 2])
@pytest.mark.parametrize("stop_at", [1, 2, 4, 7, 9])
def test_a_cancelled_update_changes_nothing_and_resume_is_bit_exact(runs, stop_at):
    plain, cancelled = _session(runs=runs), _session(runs=runs)
    for _ in range(2):
        plain.step(heavy=True)
        cancelled.step(heavy=True)
    before = _state(cancelled)
    check = StopAt(stop_at)
    with pytest.raises(interruptible.Cancelled):
        interruptible.step(cancelled, check, heavy=True)
    assert check.calls == stop_at
    _same(_state(cancelled), before)
    for _ in range(3):
        a, b = plain.step(), interruptible.step(cancelled, lambda: False)
        assert [r.metrics["loss"] for r in a] == [r.metrics["loss"] for r in b]
    _same(_state(cancelled), _state(plain))


def test_a_stop_during_the_commit_validation_pass_is_undone_too():
    """The commit assigns the new weights before it evaluates the validation batch (a forward pass
    that polls): a stop there must still give back the old weights and step count."""
    session = _session()
    polls_in_proposal = StopAt(10**9)
    interruptible.step(_session(), polls_in_proposal)  # how many polls a whole update makes
    before = _state(session)
    with pytest.raises(interruptible.Cancelled):
        interruptible.step(session, StopAt(polls_in_proposal.calls))  # the update's last poll
    _same(_state(session), before)


def test_an_update_that_is_not_stopped_is_the_plain_step():
    a, b = _session(), _session()
    ra, rb = a.step(heavy=True), interruptible.step(b, lambda: False, heavy=True)
    assert ra[0].metrics["loss"] == rb[0].metrics["loss"]
    assert np.array_equal(ra[0].trace["flow/0"], rb[0].trace["flow/0"])
