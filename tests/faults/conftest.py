"""The fault suite's verdicts, collected while its tests run and printed as one table at the end of
pytest's output (with -q too): members, kinds, nemesis, operations, linearizable, lost acknowledged adds,
members agree."""

import pytest

_VERDICTS = pytest.StashKey()


class FaultReport:
    def __init__(self, config):
        self.config = config

    def add(self, verdict):
        self.config.stash.setdefault(_VERDICTS, []).append(verdict)


@pytest.fixture
def fault_report(request):
    """`fault_report.add(verdict)`: a workload.Verdict for the summary table."""
    return FaultReport(request.config)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verdicts = config.stash.get(_VERDICTS, [])
    if not verdicts:
        return
    from tests.faults.workload import format_table

    terminalreporter.write_sep("=", "fault injection: verdict per nemesis")
    for line in format_table(verdicts).splitlines():
        terminalreporter.write_line(line)
    for v in verdicts:
        if not v.passed:
            terminalreporter.write_line("%s %s: %s" % (v.kinds_label, v.nemesis,
                                                       "; ".join(p.splitlines()[0] for p in v.problems[:3])))
