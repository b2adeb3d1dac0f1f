"""Names and texts cannot carry a configuration line, whatever characters they hold.

Property tests over arbitrary text: each field type accepts exactly the strings made of its
allowed characters (a name that passed with a final newline once reached an ASA
``access-group`` line), and the renderer refuses a hand-built rule set with such a name.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from segcfg.compile import compile_site
from segcfg.ir import InterfaceBinding, Rule, RuleSet
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


def _two_set_ruleset(platform: str, labels: tuple[str, str]) -> RuleSet:
    """Two permits whose source sets (two networks each) carry the given labels."""
    nets = [ipaddress.ip_network(f"198.18.{i}.0/24") for i in range(4)]
    rules = tuple(
        Rule(
            name=f"R{i + 1}",
            action="permit",
            section="permit",
            from_zone="a",
            to_zone="b",
            family=4,
            protocol="tcp",
            sources=(nets[2 * i], nets[2 * i + 1]),
            destinations=(ipaddress.ip_network("198.19.0.10/32"),),
            dst_ports=((443, 443),),
            remarks=("test",),
            src_label=label,
            dst_label="srv",
        )
        for i, label in enumerate(labels)
    )
    ifaces = (InterfaceBinding("eth0", "a"), InterfaceBinding("eth1", "b"))
    return RuleSet("s", "fw", platform, True, ifaces, rules)


def test_nftables_set_names_differ_after_nft_spelling() -> None:
    """'srv-a' and 'srv.a' are both n_srv_a once '-' and '.' are spelt '_': the two sets must
    keep two names, or one ruleset would hold two 'set n_srv_a' and both rules one of them."""
    text = render_ruleset(_two_set_ruleset("nftables", ("srv-a", "srv.a")))
    defined = re.findall(r"^\s*set (\S+) \{", text, re.MULTILINE)
    used = re.findall(r"saddr @(\w+)", text)
    assert len(defined) == len(set(defined)) == 2, defined
    assert sorted(used) == sorted(defined)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) for name in defined)


def test_junos_address_names_avoid_its_keywords() -> None:
    """An address set labelled 'any' would read as the keyword in 'match source-address any'."""
    text = render_ruleset(_two_set_ruleset("junos-srx", ("any", "any-ipv4")))
    named = re.findall(r"address-book global address(?:-set)? (\S+) ", text)
    assert named and not {"any", "any-ipv4", "any-ipv6"} & set(named), named
    sources = re.findall(r"match source-address (\S+)", text)
    assert len(sources) == 2 and not {"any", "any-ipv4"} & set(sources), sources
