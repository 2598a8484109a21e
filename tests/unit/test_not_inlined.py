"""Each function jit_tuning.NOT_INLINED_IN_QUORUM (which holds NOT_INLINED) names is one the
server has: a renamed or moved function would lose its mark with only a warning in the log."""

import importlib

import pytest

from zookeeper_py.common.jit_tuning import NOT_INLINED_IN_QUORUM, code_of


@pytest.mark.parametrize("qualified", NOT_INLINED_IN_QUORUM)
def test_each_listed_function_exists(qualified):
    importlib.import_module(qualified.partition(":")[0])
    code = code_of(qualified)
    assert code.co_name == qualified.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


def test_a_module_not_loaded_yet_is_left_for_later():
    assert code_of("zookeeper_py.no_such_module:Thing.method") is None
