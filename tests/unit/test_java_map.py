"""docs/java-map.md is what docs/make_java_map.py makes from the code now, and it leaves no Java
class of 3.5.7 without a twin or a reason."""

import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_java_map", os.path.join(ROOT, "docs", "make_java_map.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def twins(script):
    return script.python_twins()


def test_java_map_is_up_to_date(script, twins):
    with open(script.MAP, encoding="utf-8") as f:
        assert f.read() == script.render(twins=twins), "docs/java-map.md is stale: run python3 docs/make_java_map.py"


def test_every_java_class_has_a_twin_or_a_reason(script, twins):
    missing = [j for j in script.read_java_classes() if j not in twins and not script.reason(j)]
    assert missing == [], "give these a twin (\"Mirror of ...\" docstring) or a reason in NO_TWIN"


def test_every_reason_is_still_needed(script, twins):
    without = [j for j in script.read_java_classes() if j not in twins]
    stale = [pattern for pattern, _ in script.NO_TWIN if not any(re.search(pattern, j) for j in without)]
    assert stale == [], "these NO_TWIN patterns match no class without a twin any more"
