"""Names and texts cannot carry a configuration line, whatever characters they hold.

Property tests over arbitrary text: each field type accepts exactly the strings made of its
allowed characters (a name that passed with a final newline once reached an ASA
``access-group`` line), and the renderer refuses a hand-built rule set with such a name.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from segcfg.compile import compile_site
from segcfg.ir import InterfaceBinding, RuleSet
from segcfg.load import load_site
from segcfg.model.common import InterfaceName, Name, RefSpec, ServiceSpec, Text
from segcfg.platforms import PLATFORMS
from segcfg.render import render_ruleset

from .conftest import EXAMPLE, TODAY

NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
ALNUM = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

# Mostly short strings of name characters, with one odd character somewhere (or none).
TEXTS = st.one_of(
    st.text(max_size=70),
    st.builds(
        lambda a, odd, b: a + odd + b,
        st.text(alphabet=sorted(NAME_CHARS), min_size=1, max_size=30),
        st.sampled_from(["", "\n", "\r", "\r\n", "\t", " ", "\x00", "\x0b", "\x85", "\u2028", ";"]),
        st.text(alphabet=sorted(NAME_CHARS), max_size=30),
    ),
)


def accepts(adapter: TypeAdapter[object], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@given(TEXTS)
def test_name_accepts_exactly_the_safe_names(value: str) -> None:
    safe = 1 <= len(value) <= 63 and value[0] in ALNUM and set(value) <= NAME_CHARS
    assert accepts(TypeAdapter(Name), value) == safe


@given(TEXTS)
def test_interface_name_accepts_exactly_the_safe_names(value: str) -> None:
    chars = NAME_CHARS | {"/", ":"}
    safe = 1 <= len(value) <= 63 and value[0] in ALNUM and set(value) <= chars
    assert accepts(TypeAdapter(InterfaceName), value) == safe


@given(TEXTS)
def test_text_never_holds_a_line_break_or_quote(value: str) -> None:
    if accepts(TypeAdapter(Text), value):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\"\\`]", value)


@given(
    st.sampled_from(["tcp", "udp", "icmp", "icmpv6", "esp", "gre"]),
    st.integers(-2, 70000),
    st.integers(-2, 70000),
)
def test_a_service_mapping_is_held_to_the_bounds_of_its_text_form(
    protocol: str, low: int, high: int
) -> None:
    """{protocol, low, high} is accepted exactly when the text form could say the same."""
    if protocol in ("tcp", "udp"):
        text = f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
    elif protocol in ("icmp", "icmpv6"):
        text = protocol if (low, high) == (0, 255) else f"{protocol}/{low}"
        if (low, high) != (0, 255) and low != high:
            text = "not a service"
    else:
        text = protocol if (low, high) == (0, 0) else "not a service"
    spec = TypeAdapter(ServiceSpec)
    assert accepts(spec, {"protocol": protocol, "low": low, "high": high}) == accepts(spec, text)


@given(st.sampled_from(["host", "role", "zone", "class"]), TEXTS)
def test_reference_names_are_safe_names(kind: str, name: str) -> None:
    safe = accepts(TypeAdapter(Name), name)
    assert accepts(TypeAdapter(RefSpec), f"{kind}:{name}") == safe
    assert accepts(TypeAdapter(RefSpec), {"kind": kind, "name": name}) == safe


@pytest.fixture(scope="module")
def example_rulesets() -> dict[str, RuleSet]:
    """The example site's rule sets, one per platform (each enforcement point has its own)."""
    return {rs.platform: rs for rs in compile_site(load_site(EXAMPLE), TODAY)}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("bad", ["eth1\n", "eth1\nno access-list", "eth 1", ""])
def test_renderer_refuses_unsafe_names_in_a_hand_built_rule_set(
    example_rulesets: dict[str, RuleSet], platform: str, bad: str
) -> None:
    """A caller of the library can build a RuleSet without the models; the renderer still
    refuses to write an unsafe interface name into a configuration."""
    rs = example_rulesets[platform]
    first = rs.interfaces[0]
    broken = dataclasses.replace(
        rs, interfaces=(InterfaceBinding(bad, first.zone), *rs.interfaces[1:])
    )
    render_ruleset(rs)  # the original renders
    with pytest.raises(ValueError, match="unsafe names"):
        render_ruleset(broken)
