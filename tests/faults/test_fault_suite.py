"""Fault injection against real ensembles: clients doing compare-and-set on registers and adds to a set
while a nemesis kills, pauses, partitions or resets members; then heal and check that the history is
linearizable, that no acknowledged add is lost, and that every member holds the same tree.

One trial per nemesis on three of our servers, and on [python, python, java] where Java ZooKeeper
3.8 is installed. Each trial: `ZK_FAULT_DURATION` seconds (default 20, mixed 15) of workload with a
fault every ~7 s (3 s quiet, 4 s of fault, heal), then the checks (tests/faults/workload.run_trial).
The verdict table is printed at the end of pytest's output (tests/faults/conftest.py); the longer
matrix (5 members, longer runs) is bench/fault_matrix.py.
"""

import os

import pytest

from tests.faults.checker import check_history
from tests.faults.nemesis import NEMESES, check_partition_support
from tests.faults.workload import Workload, models, read_member, run_trial
from tests.support import java_zk
from tests.support.net import wait_until
from tests.support.servers import PythonServer

DURATION = float(os.environ.get("ZK_FAULT_DURATION", "20"))
MIXED_DURATION = float(os.environ.get("ZK_FAULT_DURATION", "15"))

_partition_reason = []


def _require_nemesis(name):
    if name == "partition":
        if not _partition_reason:
            _partition_reason.append(check_partition_support())
        if _partition_reason[0]:
            pytest.skip("partition nemesis unavailable: %s" % _partition_reason[0])


def _trial(tmp_path, kinds, nemesis, duration, fault_report, seed):
    _require_nemesis(nemesis)
    verdict = run_trial(str(tmp_path), kinds, nemesis, duration=duration, seed=seed, heal_timeout=60)
    fault_report.add(verdict)
    assert verdict.faults > 0, "the nemesis never struck:\n" + verdict.report()
    assert verdict.passed, verdict.report()


@pytest.mark.slow
@pytest.mark.timeout(360)
@pytest.mark.parametrize("nemesis", NEMESES)
def test_three_python_members(nemesis, tmp_path, fault_report):
    _trial(tmp_path, ["python"] * 3, nemesis, DURATION, fault_report, seed="py3-" + nemesis)


@pytest.mark.slow
@pytest.mark.java
@pytest.mark.timeout(360)
@pytest.mark.parametrize("nemesis", NEMESES)
def test_mixed_python_python_java(nemesis, tmp_path, fault_report):
    java_zk.require_java_zookeeper()
    _trial(tmp_path, ["python", "python", "java"], nemesis, MIXED_DURATION, fault_report, seed="mixed-" + nemesis)


def test_split_brain_is_caught(tmp_path):
    """The negative control: the same clients and checks against three standalone servers, each client
    on one of them (a split brain by construction), must find the history not linearizable, the
    members disagreeing, and acknowledged adds missing from some member."""
    servers = [PythonServer(str(tmp_path / ("s%d" % i))) for i in range(3)]
    try:
        for server in servers:
            server.start()
        workload = Workload([server.address for server in servers], clients=6, seed="split")
        workload.setup()
        workload.start()
        wait_until(lambda: sum(1 for op in workload.history() if op.op == "cas" and op.output
                               and op.output[0] == "ok") >= 60, timeout=30, message="some CAS done")
        workload.stop()
        history = workload.history()
        finals = [read_member(server.address, workload.paths, "final-%d" % i) for i, server in enumerate(servers)]
        for _, ops in finals:
            history += ops
    finally:
        for server in servers:
            server.stop()
    results = check_history(history, models())
    assert any(r.ok is False for r in results.values()), {k: r.ok for k, r in results.items()}
    bad = next(r for r in results.values() if r.ok is False)
    assert "not linearizable" in bad.message and bad.stuck is not None
    states = [state for state, _ in finals]
    assert not all(state == states[0] for state in states)
    acked = {op.input for op in history if op.op == "add" and op.output == "ok"}
    assert any(acked - state["set"] for state in states)
