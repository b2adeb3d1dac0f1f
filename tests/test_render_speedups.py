"""Rendering was made faster without changing a byte of output. These tests hold the pieces of
that to what they replaced: the Python helpers give what the Jinja code they stand for gave; the
cached environment still honours the override directory; every capability refusal a template
makes is still made; and the output for a seeded corpus of unusual rule IR (multiport groups,
object groups, IPv6, long remarks, "*" rules, shared interfaces, no interfaces) is pinned by
digest to what the templates rendered before the change."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import os
import random
import string
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segcfg.errors import CapabilityError
from segcfg.ir import InterfaceBinding, PortRange, Rule, RuleSet
from segcfg.model.site import IPNetwork
from segcfg.platforms import PLATFORMS
from segcfg.render import (
    _bytecode_cache,
    _QuietBytecodeCache,
    cached_environment,
    cidr,
    netmask,
    port_text,
    render_ruleset,
    safe_comment,
    select_in,
    versions,
    wildcard,
    wrap_lines,
)

PLAIN = jinja2.Environment(undefined=jinja2.StrictUndefined)


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args))
    except Exception as e:  # the same exception, for the same input
        return (type(e).__name__, str(e))


# --- helpers against the Jinja code they replaced ------------------------------------------

_WORDWRAP = PLAIN.from_string(
    '{% for chunk in (text | wordwrap(width, wrapstring="\\n")).split("\\n") if chunk | trim %}'
    "{% set _ = out.append(chunk) %}{% endfor %}"
)


def _jinja_wordwrap_lines(text: str, width: int) -> list[str]:
    out: list[str] = []
    _WORDWRAP.render(text=text, width=width, out=out)
    return out


_REMARK_PIECES = [*"ab z-._:/()[],+=", "  ", "---", "xxxxxxxxxx"]
_REMARK_TEXT = st.lists(st.sampled_from(_REMARK_PIECES)).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(
        _REMARK_TEXT,
        _REMARK_TEXT.map(lambda t: safe_comment(t, 300)),
        st.text(max_size=250),
        st.text(alphabet=string.printable, max_size=250),
    ),
    width=st.one_of(st.integers(min_value=1, max_value=130), st.integers(-2, 0)),
)
def test_wrap_lines_is_jinja_wordwrap_without_blank_lines(text: str, width: int) -> None:
    assert _outcome(wrap_lines, text, width) == _outcome(_jinja_wordwrap_lines, text, width)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "   ",
        "a",
        "  lead",
        "trail  ",
        "x" * 100,
        "x" * 100 + " ",
        "x" * 101,
        "a-b-c-d " * 20,
        "very-long-hyphenated-word-that-goes-on-and-on " * 4,
        "a -- b --- c",
        "tab\there",
        "new\nline",
        "uni\u00e9 \u2028 x",
        "R00001 SCAN-SWEEP HICP 9.L.A: scanner scan never reaches clinical zone clin-0",
    ],
)
@pytest.mark.parametrize("width", [1, 2, 10, 99, 100, 101])
def test_wrap_lines_on_tricky_remarks(text: str, width: int) -> None:
    assert wrap_lines(text, width) == _jinja_wordwrap_lines(text, width)


@dataclasses.dataclass(frozen=True)
class _Item:
    zone: str | None
    n: int


_SELECT = PLAIN.from_string(
    '{% set _ = out.extend(items | selectattr(attr, "in", values) | list) %}'
)


@given(
    items=st.lists(
        st.builds(_Item, st.sampled_from(["a", "b", "*", "c", None]), st.integers()), max_size=30
    ),
    values=st.lists(st.sampled_from(["a", "b", "*", "x", None]), max_size=4),
)
def test_select_in_is_selectattr_in(items: list[_Item], values: list[str | None]) -> None:
    out: list[_Item] = []
    _SELECT.render(items=items, attr="zone", values=values, out=out)
    assert select_in(items, "zone", values) == out
    assert select_in(items, "zone", [values]) == [x for x in items if x.zone in [values]]


def _network(version: int, bits: int, prefix: int) -> IPNetwork:
    width = 32 if version == 4 else 128
    return ipaddress.ip_network((bits % (1 << width), min(prefix, width)), strict=False)


_NETWORKS = st.builds(
    _network,
    st.sampled_from([4, 6]),
    st.integers(min_value=0, max_value=(1 << 128) - 1),
    st.sampled_from([0, 1, 8, 24, 31, 32, 64, 127, 128]),
)

_VERSIONS = PLAIN.from_string(
    '{% set _ = out.extend(nets | map(attribute="version") | unique | list) %}'
)


@given(st.lists(_NETWORKS, max_size=8))
def test_versions_is_map_unique_list(nets: list[IPNetwork]) -> None:
    out: list[int] = []
    _VERSIONS.render(nets=nets, out=out)
    assert versions(nets) == out


@given(_NETWORKS)
def test_network_texts_are_remembered_correctly(net: IPNetwork) -> None:
    copy = ipaddress.ip_network(str(net))
    plain_wildcard = (
        f"host {net.network_address}"
        if net.prefixlen == net.max_prefixlen
        else "any"
        if net.prefixlen == 0
        else f"{net.network_address} {net.hostmask}"
    )
    for n in (net, net, copy, copy):
        assert cidr(n) == str(net)
        assert netmask(n) == f"{net.network_address} {net.netmask}"
        assert wildcard(n) == plain_wildcard


@given(
    st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)), max_size=6),
    st.sampled_from(["-", ":"]),
)
def test_port_text(ranges: list[PortRange], sep: str) -> None:
    want = [str(lo) if lo == hi else f"{lo}{sep}{hi}" for lo, hi in ranges]
    first = port_text(tuple(ranges), sep)
    assert first == want == port_text(ranges, sep) == port_text(iter(ranges), sep)
    first.append("changed")  # a fresh list each time: the remembered text cannot change
    assert port_text(tuple(ranges), sep) == want
    assert port_text([[lo, hi] for lo, hi in ranges], sep) == want  # unhashable ranges


# --- the environment cache and the override directory ----------------------------------------


def _small_ruleset(platform: str) -> RuleSet:
    return RuleSet(
        site="s",
        enforcement_point="fw",
        platform=platform,
        stateful=PLATFORMS[platform].stateful,
        interfaces=(InterfaceBinding("eth0", "a"), InterfaceBinding("eth1", "b")),
        rules=(_rule(name="R1"),),  # _rule: below, with the refusal cases
    )


def test_environment_is_made_once() -> None:
    assert cached_environment("nftables") is cached_environment("nftables")
    assert cached_environment("nftables") is not cached_environment("iptables")


def _touch_later(path: Path, seconds: int) -> None:
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + seconds * 1_000_000_000))


def test_override_directory_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rs = _small_ruleset("nftables")
    bundled = render_ruleset(rs)
    override = tmp_path / "ovr"
    # No override template yet: the bundled one.
    assert render_ruleset(rs, override) == bundled
    # An override created after a render is found, in the same directory.
    (override / "nftables").mkdir(parents=True)
    template = override / "nftables" / "ruleset.j2"
    template.write_text("custom {{ rs.enforcement_point }}\n")
    assert render_ruleset(rs, override) == "custom fw\n"
    # A relative path to the same directory gives the same.
    monkeypatch.chdir(tmp_path)
    assert render_ruleset(rs, Path("ovr")) == "custom fw\n"
    # Edits are seen.
    template.write_text("edited {{ rs.enforcement_point }}\n")
    _touch_later(template, 5)
    assert render_ruleset(rs, override) == "edited fw\n"
    # Only that platform is overridden.
    assert render_ruleset(_small_ruleset("iptables"), override) == render_ruleset(
        _small_ruleset("iptables")
    )
    # Removed: the bundled template again.
    template.unlink()
    assert render_ruleset(rs, override) == bundled


def test_override_can_still_refuse(tmp_path: Path) -> None:
    (tmp_path / "nftables").mkdir()
    (tmp_path / "nftables" / "ruleset.j2").write_text('{{ raise("no, not here") }}')
    with pytest.raises(CapabilityError, match="no, not here"):
        render_ruleset(_small_ruleset("nftables"), tmp_path)


def _env(templates: Path, cache: jinja2.BytecodeCache) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), bytecode_cache=cache)


def test_bytecode_cache_never_serves_a_changed_template(tmp_path: Path) -> None:
    """A new process (a new environment) after an edit renders the edit, even one of the same
    size within the same second: entries are keyed on the template's checksum."""
    (tmp_path / "t").mkdir()
    template = tmp_path / "t" / "ruleset.j2"
    cache = _QuietBytecodeCache(str(tmp_path))
    template.write_text("a {{ x }}\n")
    assert _env(tmp_path / "t", cache).get_template("ruleset.j2").render(x=1) == "a 1"
    assert list(tmp_path.glob("__jinja2_*.cache"))  # an entry was written
    template.write_text("b {{ x }}\n")
    assert _env(tmp_path / "t", cache).get_template("ruleset.j2").render(x=1) == "b 1"


def test_bytecode_cache_survives_bad_entries_and_places(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "ruleset.j2").write_text("c {{ x }}\n")
    cache = _QuietBytecodeCache(str(tmp_path))
    assert _env(tmp_path / "t", cache).get_template("ruleset.j2").render(x=2) == "c 2"
    for entry in tmp_path.glob("__jinja2_*.cache"):
        entry.write_bytes(b"\x00garbage")  # corrupt: compiled afresh
    assert _env(tmp_path / "t", cache).get_template("ruleset.j2").render(x=2) == "c 2"
    for entry in tmp_path.glob("__jinja2_*.cache"):
        entry.write_bytes(jinja2.bccache.bc_magic + b"\x80\x04\x95")  # a truncated pickle
    assert _env(tmp_path / "t", cache).get_template("ruleset.j2").render(x=2) == "c 2"
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")  # the cache cannot be written there at all
    bad = _QuietBytecodeCache(str(blocked))
    assert _env(tmp_path / "t", bad).get_template("ruleset.j2").render(x=3) == "c 3"


def test_bytecode_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    _bytecode_cache.cache_clear()
    monkeypatch.setenv("SEGCFG_TEMPLATE_CACHE", "off")
    try:
        assert _bytecode_cache() is None
    finally:
        _bytecode_cache.cache_clear()


# --- every refusal the templates make -----------------------------------------------------------

_V4 = ipaddress.ip_network("10.0.0.0/24")
_V4_HOST = ipaddress.ip_network("10.0.1.5/32")
_V6 = ipaddress.ip_network("2001:db8::/64")


def _rule(**changes: Any) -> Rule:
    base = Rule(
        "R9",
        "permit",
        "permit",
        "a",
        "b",
        family=4,
        protocol="tcp",
        sources=(_V4,),
        destinations=(_V4_HOST,),
        dst_ports=((443, 443),),
        remarks=("HICP 9.M.E: test",),
    )
    return dataclasses.replace(base, **changes)


_SHARED = (
    InterfaceBinding("eth0", "a"),
    InterfaceBinding("eth0", "a2"),
    InterfaceBinding("eth1", "b"),
)

_ACL = ("cisco-ios", "cisco-asa")
REFUSALS: list[tuple[tuple[str, ...], dict[str, Any], tuple[InterfaceBinding, ...] | None, str]] = [
    (_ACL, {"from_zone": "nowhere"}, None, "zone nowhere is behind no interface"),
    (_ACL, {"sources": ()}, _SHARED, "an ingress ACL cannot tell them apart"),
    (_ACL, {"destinations": ()}, None, "no destination addresses for a specific destination"),
    (("cisco-ios",), {"family": 6, "sources": (_V6,), "destinations": (_V6,)}, None, "IPv6 rule"),
    (("cisco-ios",), {"destinations": (_V6,)}, None, "IPv6 rule"),
    (("cisco-ios",), {"protocol": "icmpv6", "dst_ports": ()}, None, "IPv6 rule"),
    (_ACL, {"protocol": "sctp", "dst_ports": ()}, None, "protocol sctp has no cisco-"),
    (_ACL, {"protocol": "esp"}, None, "ports on a rule whose protocol is not tcp or udp"),
    (("cisco-ios",), {"protocol": "udp", "established": True}, None, "established on a rule"),
    (("cisco-asa",), {"established": True}, None, "established (a stateless reply rule)"),
    (_ACL, {"icmp_type": 8, "dst_ports": ()}, None, "ICMP type on a rule whose protocol"),
    (_ACL, {"action": "reject"}, None, "unknown action reject"),
    (("cisco-asa",), {"destinations": (_V6,)}, None, "addresses of another family"),
    (("cisco-asa",), {"protocol": "icmpv6", "dst_ports": ()}, None, "of the wrong address family"),
    (("cisco-asa",), {}, (InterfaceBinding("Gi0/1", "a"),), "is not an ASA nameif"),
    (  # ASA nameifs (no '/' or ':', at most 48 characters) cannot give the same ACL name
        ("cisco-ios",),
        {},
        (InterfaceBinding("Gi0/1", "a"), InterfaceBinding("Gi0:1", "b")),
        "give the same ACL name",
    ),
    (("junos-srx", "iptables"), {"established": True}, None, "matches only TCP segments"),
    (  # a zone named like the security zone made for a shared interface
        ("junos-srx",),
        {},
        (
            InterfaceBinding("ge-0/0/0.100", "a"),
            InterfaceBinding("ge-0/0/0.100", "b"),
            InterfaceBinding("ge-0/0/9.0", "if-ge-0_0_0_100"),
        ),
        "security zone if-ge-0_0_0_100 would stand for both interface ge-0/0/0.100 and",
    ),
    (
        ("junos-srx",),
        {},
        (InterfaceBinding("eth0", "a"), InterfaceBinding("eth1", "junos-host")),
        "junos-host is a security zone name of Junos itself",
    ),
]


@pytest.mark.parametrize(
    ("platform", "changes", "interfaces", "message"),
    [
        pytest.param(p, changes, ifaces, message, id=f"{p}-{message[:30]}")
        for platforms, changes, ifaces, message in REFUSALS
        for p in platforms
    ],
)
def test_templates_still_refuse(
    platform: str,
    changes: dict[str, Any],
    interfaces: tuple[InterfaceBinding, ...] | None,
    message: str,
) -> None:
    rs = dataclasses.replace(
        _small_ruleset(platform),
        rules=(_small_ruleset(platform).rules[0], _rule(**changes)),
        interfaces=interfaces or _small_ruleset(platform).interfaces,
    )
    with pytest.raises(CapabilityError) as err:
        render_ruleset(rs)
    (diag,) = err.value.diagnostics
    assert diag.code == "capability-template"
    assert diag.message.startswith(f"{platform} template, enforcement point fw: ")
    assert message in diag.message


# --- a seeded corpus of unusual IR, pinned by digest --------------------------------------------

_WORDS = [
    "HICP 9.M.E",
    "pump-srv",
    "a-b-c-d",
    "x" * 40,
    "y" * 130,
    "",
    "  lead",
    "trail  ",
    'quo"te',
    "new\nline",
    "tab\tin",
    "uni\u00e9",
    "a -- b",
    "(x) [y] e=mc2 1/2 a,b",
    "very-long-hyphenated-word-that-goes-on-and-on-and-on-and-on-and-on-and-on-beyond",
]


def _corpus_ruleset(rng: random.Random, platform: str) -> RuleSet:
    """A rule set a compiler could mostly have made, with the odd rough edge."""
    v6 = platform != "cisco-ios"  # iptables lists the IPv6 rules it leaves out
    zones = [f"z{i}" + rng.choice(["", "-clin", ".x"]) for i in range(rng.randint(1, 6))]
    ifnames = [rng.choice(["eth", "ge-0_0_", "vlan", "in."]) + str(i) for i in range(len(zones))]
    interfaces = tuple(
        InterfaceBinding(ifnames[i] if rng.random() < 0.7 else ifnames[0], z)
        for i, z in enumerate(zones)
    )
    rules: list[Rule] = []
    for i in range(rng.randint(0, 30)):
        family = rng.choice([4, 4, 4, 6] if v6 else [4])
        protocol = rng.choice([None, "tcp", "tcp", "udp", "icmp", "esp", "gre"])
        if protocol == "icmp" and family == 6:
            protocol = "icmpv6"
        from_zone, to_zone = rng.choice([*zones, "*"]), rng.choice([*zones, "*"])

        def nets(need: bool, family: int = family) -> tuple[IPNetwork, ...]:
            count = rng.choice([1, 1, 2, 3] if need else [0, 0, 1, 2])
            bits = 32 if family == 4 else 128
            return tuple(
                ipaddress.ip_network(
                    (rng.getrandbits(bits), rng.choice([0, 16, 24, 31, bits, bits])),
                    strict=False,
                )
                for _ in range(count)
            )

        def ports() -> tuple[PortRange, ...]:
            out = []
            for _ in range(rng.choice([0, 1, 1, 2, 9, 17])):
                lo = rng.randint(1, 60000)
                out.append((lo, lo if rng.random() < 0.6 else lo + rng.randint(1, 90)))
            return tuple(out)

        tcp_udp = protocol in ("tcp", "udp")
        rules.append(
            Rule(
                name=rng.choice(["R", "permit-x", "a.b_c-d", "n" * 60]) + str(i),
                action="deny" if rng.random() < 0.3 else "permit",
                section="permit",
                from_zone=from_zone,
                to_zone=to_zone,
                family=family if rng.random() < 0.8 else None,
                protocol=protocol,
                sources=nets(from_zone != "*"),
                destinations=nets(to_zone != "*"),
                src_ports=ports() if tcp_udp and rng.random() < 0.2 else (),
                dst_ports=ports() if tcp_udp else (),
                icmp_type=rng.choice([None, 0, 8]) if protocol in ("icmp", "icmpv6") else None,
                established=platform == "cisco-ios" and protocol == "tcp" and rng.random() < 0.3,
                log=rng.choice([None, None, "SCAN-SWEEP", "DECOY", "DEFAULT-DENY"]),
                remarks=tuple(
                    " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 12)))
                    for _ in range(rng.randint(1, 3))
                ),
                src_label=rng.choice(["any", "g1", "role:pump-server", "x" * 80]),
                dst_label=rng.choice(["any", "g2", "dev:pump-01", "g1"]),
            )
        )
    if rng.random() < 0.7:
        rules.append(
            Rule("default", "deny", "default", "*", "*", log="DEFAULT-DENY", remarks=("deny",))
        )
    if rng.random() < 0.1:
        interfaces, rules = (), [r for r in rules if r.from_zone == r.to_zone == "*"]
    return RuleSet("s", rng.choice(["fw", "fw-1.a"]), platform, platform != "cisco-ios",
                   interfaces, tuple(rules))  # fmt: skip


def corpus_digest(platform: str, count: int = 40) -> str:
    rng = random.Random(f"segcfg-render-{platform}")
    digest = hashlib.sha256()
    for _ in range(count):
        kind, text = _outcome(render_ruleset, _corpus_ruleset(rng, platform))
        digest.update(f"{kind}\0{text}\0".encode())
    return digest.hexdigest()


# Digests of the corpus as rendered by the templates before they were made faster (a deliberate
# change of the output: print new ones with `python -m tests.test_render_speedups`).
CORPUS_DIGESTS = {
    "cisco-asa": "6f2643ca2dd1315b0efc5437568fe136421378dace9e3f0ebd381a5384497ec3",
    "cisco-ios": "6473e49bb128c1011410680f8840a4340b3012b6ddeb6b01b7a94ff80857def0",
    "iptables": "12aaf9f8eafd23a818f1ff9bd8563aa20a8011b9e9cd57bd0a74edcedce07818",
    # Changed on purpose: address sets were named "any", a Junos keyword; now "any-2" and on.
    "junos-srx": "67cb03b8970d0ebc3a0cc4b399c55ae2f6f948b32ae6fc5a59a69656f575d971",
    "nftables": "9eea5fc6d0116e0aa2e5baa5265d2cf53d3a1bafd88e350ab507d5c18cc2ae61",
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_unusual_ir_renders_as_before(platform: str) -> None:
    assert corpus_digest(platform) == CORPUS_DIGESTS[platform]


if __name__ == "__main__":  # python -m tests.test_render_speedups: after a deliberate change
    for name in sorted(PLATFORMS):
        print(f'    "{name}": "{corpus_digest(name)}",')
