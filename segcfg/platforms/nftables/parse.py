"""Parser of a running nftables ruleset into the rule IR.

Input: the text format (``nft list ruleset`` output, or an ``nft -f`` file such as the ones
segcfg generates) or the JSON of ``nft -j list ruleset``; JSON is recognised by its leading
``{``. For JSON, a line number is a pseudo line: the 1-based index of the object in the
``nftables`` array, and a rule's text is rebuilt in nft syntax.

Model (only the first packet of a new connection is decided, see ``_linux.py``):

- every base chain of type ``filter`` at hook ``forward``, ``input`` or ``output`` of an
  ``ip``, ``ip6`` or ``inet`` table is a :class:`Filter` of kind ``"chain"`` named
  ``"FAMILY TABLE CHAIN"``, its default from its policy (accept, or no policy: ``permit``;
  drop: ``deny``). Only ``forward`` chains are on the path of routed traffic and get a
  :class:`Binding` (interface ``"*"``, direction ``"in"``); several forward chains all apply (a
  packet must be accepted by each). Input/output chains are parsed but not bound.
- a base chain of an ``ip`` (``ip6``) table never sees IPv6 (IPv4) packets: its filter starts with
  a rule permitting the other family, so that it decides exactly what the kernel does.
- rules of regular chains are inlined where they are jumped to (``jump``/``goto``, with the
  jump's match ANDed in exactly), ``return`` is followed; see ``ChainWalker``.
- matches: ``iifname``/``oifname``/``iif``/``oif`` (the rule's ``from_zone``/``to_zone`` is the
  interface name, one rule per name of a set, ``*`` when absent), ``ip``/``ip6`` ``saddr``/
  ``daddr`` (addresses, prefixes, ranges ``a-b`` converted exactly into CIDRs, anonymous and
  named sets), ``meta l4proto``, ``ip protocol``, ``ip6 nexthdr``, ``meta nfproto``, ``tcp``/
  ``udp``/``th`` ``sport``/``dport`` (ports, ranges, sets, ``<``/``>``/``<=``/``>=``; ``th``
  only together with a protocol match limiting it to TCP/UDP), ``icmp``/``icmpv6 type``,
  ``ct state`` (``established,related accept`` first in a chain: ``ParsedConfig.stateful``;
  ``invalid`` drops ignored; ``new`` always true), ``counter``, ``log prefix`` (``Rule.log`` is
  the prefix stripped; ``""`` when logging without a prefix), ``comment`` (remarks; our
  ``R00012`` numbers become ``Rule.name``, else ``"CHAIN:LINE"``), verdicts ``accept``,
  ``drop``, ``reject`` (deny), ``jump``, ``goto``, ``return``, ``continue``.
- negations (``!=``), wildcards (``"eth*"``), maps, concatenations, rate limits, marks, NAT,
  bridge/netdev/arp tables and anything else: :class:`Unsupported` with the reason; a rule is
  never widened or narrowed silently. Chains of other types or hooks (nat, prerouting, ...)
  are not filters here; their rules that could drop a packet are reported as unsupported.
  A dormant table does nothing and is skipped.
"""

from __future__ import annotations

import ipaddress

from segcfg.ir import Action, Rule
from segcfg.parsed import Binding, Filter, ParsedConfig, ParsedRule, Unsupported
from segcfg.platforms.linux_common import (
    ANY,
    TH_PROTOCOLS,
    ChainWalker,
    Cond,
    Effect,
    Item,
    cidrs,
    cond,
    forward_config,
    icmp_type_number,
    normalize_networks,
    port_number,
    protocol_name,
)

from ._json import read_json
from ._model import (
    Comment,
    CtVmap,
    Log,
    Match,
    NftChain,
    NftRule,
    NftRuleset,
    NftSet,
    NftTable,
    Other,
    Prefix,
    Range,
    SetLit,
    SetRef,
    Value,
    Verdict,
    render_left,
)
from ._text import read_text

FILTER_HOOKS = ("forward", "input", "output")
IP_FAMILIES = {"ip": 4, "ip6": 6}


class _Unsupported(Exception):
    pass


def parse(text: str, path: str) -> ParsedConfig:
    """The filters of an nftables ruleset (text or JSON)."""
    rs = read_json(text, path) if text.lstrip().startswith("{") else read_text(text, path)
    return _build(rs, path)


def _build(rs: NftRuleset, path: str) -> ParsedConfig:
    filters: dict[str, Filter] = {}
    bindings: list[Binding] = []
    unsupported: list[Unsupported] = list(rs.unsupported)
    stateful: dict[str, bool] = {}
    for table in rs.tables.values():
        if table.dormant:
            continue
        base = [c for c in table.chains.values() if c.hook is not None]
        if table.family not in ("ip", "ip6", "inet"):
            for chain in base:
                unsupported.append(
                    Unsupported(
                        chain.line,
                        f"chain {chain.name} (table {table.family} {table.name})",
                        f"{table.family} tables are not modelled",
                    )
                )
            continue
        items = {
            name: [it for r in chain.rules for it in _items(table, chain, r)]
            for name, chain in table.chains.items()
        }
        for chain in base:
            if chain.type != "filter" or chain.hook not in FILTER_HOOKS:
                unsupported.extend(_may_drop(table, chain))
                continue
            name = f"{table.family} {table.name} {chain.name}"
            default: Action = "deny" if (chain.policy or "accept") == "drop" else "permit"
            family = IP_FAMILIES.get(table.family)
            entry = ANY if family is None else Cond(families=frozenset({family}))
            walker = ChainWalker(items, entry, default)
            if family is not None:
                other = 10 - family  # 4 <-> 6
                walker.rules.append(_other_family(table, chain, other))
            walker.run(chain.name)
            filters[name] = Filter(name, "chain", tuple(walker.rules), chain.line, default)
            unsupported.extend(u for u in walker.unsupported if u not in unsupported)
            stateful[name] = walker.stateful
            if chain.hook == "forward":
                bindings.append(Binding(name, "*", "in", chain.line))
    return forward_config("nftables", path, filters, bindings, unsupported, stateful)


def _other_family(table: NftTable, chain: NftChain, family: int) -> ParsedRule:
    other = "IPv6" if family == 6 else "IPv4"
    note = f"{other} packets do not traverse a chain of an {table.family} table"
    return ParsedRule(
        Rule(
            name=f"{chain.name}:{chain.line}",
            action="permit",
            section="parsed",
            from_zone="*",
            to_zone="*",
            family=family,
            remarks=(note,),
        ),
        chain.line,
        f"chain {chain.name} (table {table.family} {table.name})",
    )


def _may_drop(table: NftTable, chain: NftChain) -> list[Unsupported]:
    out: list[Unsupported] = []
    for rule in chain.rules:
        verdicts = {s.kind for s in rule.stmts if isinstance(s, Verdict)}
        if verdicts & {"drop", "reject", "jump", "goto"}:
            out.append(
                Unsupported(
                    rule.line,
                    rule.text,
                    f"rule of a {chain.type} chain at hook {chain.hook} "
                    f"(table {table.family} {table.name}) is not modelled",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# From statements to conditions.


def _effect(v: Verdict) -> Effect:
    if v.kind in ("accept", "drop", "jump", "goto", "return"):
        return v.kind  # type: ignore[return-value]
    return "drop" if v.kind == "reject" else "none"  # continue: on to the next rule


def _items(table: NftTable, chain: NftChain, rule: NftRule) -> list[Item]:
    """The walker's view of one rule: one item, or one per state of a ``ct state vmap``."""
    c: Cond | None = ANY
    ct: frozenset[str] | None = None
    verdict: Verdict | None = None
    vmap: CtVmap | None = None
    log: str | None = None
    comment = rule.comment

    def unsupported(reason: str) -> list[Item]:
        return [Item(chain.name, rule.line, rule.text, unsupported=reason)]

    for st in rule.stmts:
        if isinstance(st, Other):
            return unsupported(st.reason)
        if isinstance(st, Comment):
            comment = st.text
        elif isinstance(st, Log):
            log = (st.prefix or "").strip()
        elif isinstance(st, Verdict):
            verdict = st
        elif isinstance(st, CtVmap):
            vmap = st
        elif isinstance(st, Match):
            try:
                if st.left == ("ct", "state"):
                    _positive(st)
                    states = frozenset(str(v).lower() for v in _elements(table, st.right, "ct"))
                    ct = states if ct is None else ct & states
                    continue
                part = _match(table, st)
            except _Unsupported as e:
                return unsupported(str(e))
            c = None if c is None or part is None else c & part
    if c is None or (ct is not None and not ct):
        return [Item(chain.name, rule.line, rule.text, never=True, comment=comment)]
    outcomes: list[tuple[frozenset[str] | None, Verdict | None]] = [(ct, verdict)]
    if vmap is not None:
        outcomes = [
            (frozenset({k}) if ct is None else ct & {k}, v)
            for k, v in vmap.pairs
            if ct is None or k in ct
        ]
    return [
        Item(
            chain.name,
            rule.line,
            rule.text,
            cond=c,
            ct=states,
            effect=_effect(v) if v is not None else "none",
            target=v.target if v is not None else None,
            log=log,
            comment=comment,
        )
        for states, v in outcomes
    ]


def _positive(m: Match) -> None:
    if m.op in ("!=",):
        raise _Unsupported(f"negated match on {render_left(m.left)}")
    if m.op not in ("==", "in"):
        raise _Unsupported(f"{m.op} on {render_left(m.left)}")


def _elements(table: NftTable, v: Value, what: str) -> list[Value]:
    """The elements a value stands for: set literals flattened, named sets looked up."""
    if isinstance(v, SetLit):
        return [x for item in v.items for x in _elements(table, item, what)]
    if isinstance(v, SetRef):
        nset: NftSet | None = table.sets.get(v.name)
        if nset is None:
            raise _Unsupported(f"unknown set @{v.name}")
        if nset.error is not None:
            raise _Unsupported(nset.error)
        return [x for item in nset.elements for x in _elements(table, item, what)]
    return [v]


def _match(table: NftTable, m: Match) -> Cond | None:
    left = m.left
    where = render_left(left)
    if left[0] == "meta" and left[1] in ("iifname", "oifname", "iif", "oif"):
        _positive(m)
        names = frozenset(_ifname(v) for v in _elements(table, m.right, where))
        return cond(iif=names) if left[1].startswith("i") else cond(oif=names)
    if left in (("meta", "l4proto"), ("payload", "ip", "protocol"), ("payload", "ip6", "nexthdr")):
        _positive(m)
        protos = frozenset(_protocol(v) for v in _elements(table, m.right, where))
        only = {"ip": 4, "ip6": 6}.get(left[1])
        return cond(protocols=protos, families=frozenset({only}) if only else None)
    if left in (("meta", "nfproto"), ("meta", "protocol")):
        _positive(m)
        versions = {"ipv4": 4, "ipv6": 6, "ip": 4, "ip6": 6}
        fams: set[int] = set()
        for v in _elements(table, m.right, where):
            if str(v) not in versions:
                raise _Unsupported(f"{where} {v}")
            fams.add(versions[str(v)])
        return cond(families=frozenset(fams))
    if left[0] == "payload" and left[1] in ("ip", "ip6") and left[2] in ("saddr", "daddr"):
        _positive(m)
        version = 4 if left[1] == "ip" else 6
        nets = normalize_networks(
            n for v in _elements(table, m.right, where) for n in _networks(v, version)
        )
        fam = frozenset({version})
        if left[2] == "saddr":
            return cond(sources=nets, families=fam)
        return cond(destinations=nets, families=fam)
    if left[0] == "payload" and left[1] in ("tcp", "udp", "th") and left[2] in ("sport", "dport"):
        ranges = _port_ranges(table, m, where)
        protos = TH_PROTOCOLS if left[1] == "th" else frozenset({left[1]})
        if left[2] == "sport":
            return cond(protocols=protos, src_ports=ranges)
        return cond(protocols=protos, dst_ports=ranges)
    if left[0] == "payload" and left[1] in ("icmp", "icmpv6") and left[2] == "type":
        _positive(m)
        types: set[int] = set()
        for v in _elements(table, m.right, where):
            number = icmp_type_number(v if isinstance(v, (str, int)) else "", left[1])
            if number is None:
                raise _Unsupported(f"{where} {v}")
            types.add(number)
        return cond(protocols=frozenset({left[1]}), icmp_types=frozenset(types))
    raise _Unsupported(f"match on {where}")


def _ifname(v: Value) -> str:
    if not isinstance(v, str):
        raise _Unsupported(f"interface {v}")
    if v.endswith("*") and not v.endswith("\\*"):
        raise _Unsupported(f"interface wildcard {v!r}")
    return v.replace("\\*", "*")


def _protocol(v: Value) -> str:
    name = protocol_name(v) if isinstance(v, (str, int)) else None
    if name is None:
        raise _Unsupported(f"protocol {v}")
    return name


def _address(text: str, version: int) -> int:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError as e:
        raise _Unsupported(f"address {text!r}") from e
    if addr.version != version:
        raise _Unsupported(f"IPv{addr.version} address {text} in an IPv{version} match")
    return int(addr)


def _networks(v: Value, version: int) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if isinstance(v, Prefix):
        v = f"{v.addr}/{v.length}"
    if isinstance(v, Range):
        lo, hi = _address(str(v.lo), version), _address(str(v.hi), version)
        if lo > hi:
            raise _Unsupported(f"address range {v.lo}-{v.hi}")
        return cidrs(version, lo, hi)
    if not isinstance(v, str):
        raise _Unsupported(f"address {v}")
    if "-" in v:
        a, _, b = v.partition("-")
        return _networks(Range(a, b), version)
    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError as e:
        raise _Unsupported(f"address {v!r} (host names are not resolved)") from e
    if net.version != version:
        raise _Unsupported(f"IPv{net.version} network {v} in an IPv{version} match")
    return [net]


def _port(v: Value) -> int:
    p = port_number(v) if isinstance(v, (str, int)) else None
    if p is None:
        raise _Unsupported(f"port {v}")
    return p


def _port_ranges(table: NftTable, m: Match, where: str) -> tuple[tuple[int, int], ...]:
    if m.op in ("<", ">", "<=", ">="):
        elems = _elements(table, m.right, where)
        if len(elems) != 1:
            raise _Unsupported(f"{m.op} with a set on {where}")
        p = _port(elems[0])
        lo, hi = {
            "<": (0, p - 1),
            "<=": (0, p),
            ">": (p + 1, 65535),
            ">=": (p, 65535),
        }[m.op]
        return ((lo, hi),) if lo <= hi else ()
    _positive(m)
    out: list[tuple[int, int]] = []
    for v in _elements(table, m.right, where):
        if isinstance(v, Range):
            out.append((_port(v.lo), _port(v.hi)))
        elif isinstance(v, str) and "-" in v and port_number(v) is None:
            a, _, b = v.partition("-")
            out.append((_port(a), _port(b)))
        else:
            p = _port(v)
            out.append((p, p))
    if any(lo > hi for lo, hi in out):
        raise _Unsupported(f"port range on {where}")
    return tuple(out)
