"""The strict true/false reading shared by the switches where Java's parseBoolean would
quietly read a typo as false."""

import pytest

from zookeeper_py.common import system_properties


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("TRUE", True), (" True ", True), ("false", False), ("False\r", False),
    ("yes", None), ("1", None), ("", None), ("truee", None), ("on", None),
])
def test_parse_true_or_false(value, expected):
    assert system_properties.parse_true_or_false(value) is expected


def test_a_property_neither_true_nor_false_is_named_in_the_error():
    system_properties.set_property("zookeeper.test.strictSwitch", "yes")
    try:
        with pytest.raises(ValueError, match=r"zookeeper\.test\.strictSwitch=yes: not true or false"):
            system_properties.get_true_or_false("zookeeper.test.strictSwitch", "false")
    finally:
        system_properties.clear_property("zookeeper.test.strictSwitch")
    assert system_properties.get_true_or_false("zookeeper.test.strictSwitch", "true") is True
