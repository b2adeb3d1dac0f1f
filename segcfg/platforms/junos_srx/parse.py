"""Parse a Junos (SRX) configuration into the rule IR.

Reads both ``show configuration | display set`` output (and ``load set`` files: ``set``,
``delete``, ``deactivate``/``activate``, ``insert``, ``rename`` applied in order) and the
curly-brace hierarchy (``/* */`` and ``#`` comments, ``inactive:``, ``replace:``, ``delete:``).
Both become one configuration tree (:mod:`._tree`), which is interpreted once:

- ``firewall [family inet|inet6] filter`` -> filters of kind ``firewall-filter`` (default
  discard), bound per ``interfaces IF unit N family inet|inet6 filter input|output`` (or
  ``input-list``/``output-list``: one binding per filter, in list order) to interface ``IF.N``;
  see :mod:`._filters`.
- ``security policies`` -> one filter per zone pair and one for global policies, bound with
  ``from_zone``/``to_zone``; ``security zones security-zone Z interfaces IF`` -> ``zones``; see
  :mod:`._policies`. The SRX order of evaluation for a packet from zone A to zone B: the
  policies of ``A>B`` first match, then ``global``, then the default policy (every one of these
  filters carries it as its ``default``). Replies of established sessions are accepted first
  (``stateful``).

The parser never raises on a configuration: whatever it cannot represent exactly is reported as
:class:`~segcfg.parsed.Unsupported` with its line. That includes inactive statements inside
filters, policies and their objects (skipped: they are not in effect), configuration groups
applied with ``apply-groups`` (not expanded), and logical systems (not read).
"""

from __future__ import annotations

from segcfg.parsed import ParsedConfig, Unsupported
from segcfg.platforms.junos_srx._common import Notes
from segcfg.platforms.junos_srx._filters import FilterReader
from segcfg.platforms.junos_srx._policies import PolicyReader
from segcfg.platforms.junos_srx._tree import Node, Tree, build_tree

PLATFORM = "junos-srx"


def parse(text: str, path: str) -> ParsedConfig:
    """The filters, policies, bindings and zones of a Junos configuration text."""
    tree = build_tree(text)
    notes = Notes(tree)
    for problem in tree.problems:
        notes.add(problem.line, f"syntax: {problem.reason}")
    _report_inactive(tree, notes)
    _report_groups(tree, notes)
    _report_logical_systems(tree, notes)

    fr = FilterReader(tree.root, notes)
    filters = fr.filters()
    bindings = fr.bindings()
    pr = PolicyReader(tree.root, notes)
    policy_filters, policy_bindings = pr.filters()
    for name, flt in policy_filters.items():
        if name in filters:
            notes.add(flt.line, f"a firewall filter is also named {name}; the policies win")
        filters[name] = flt
    return ParsedConfig(
        platform=PLATFORM,
        path=path,
        filters=filters,
        bindings=(*bindings, *policy_bindings),
        zones=pr.zones(),
        unsupported=tuple(sorted(_dedupe(notes.items), key=lambda u: u.line)),
        stateful=pr.has_policies(),
    )


def _relevant(path: tuple[str, ...], node: Node) -> bool:
    """Whether a subtree holds anything this parser reads (filters, policies, their objects,
    filter bindings)."""
    head = path[0]
    if head in ("firewall", "applications"):
        return True
    if head == "security":
        if len(path) == 1:
            return True
        if path[1] in ("policies", "address-book"):
            return True
        if path[1] == "zones":
            return len(path) <= 4 or path[4] in ("interfaces", "address-book")
        return False
    if head == "policy-options":
        return len(path) == 1 or path[1] == "prefix-list"
    if head == "interfaces":
        return "filter" in path or any(p[-1] == "filter" for p, _ in node.walk())
    return False


def _report_inactive(tree: Tree, notes: Notes) -> None:
    def visit(node: Node, path: tuple[str, ...]) -> None:
        for child in node.children.values():
            sub = (*path, child.name)
            if child.inactive:
                if _relevant(sub, child):
                    notes.add(
                        child.inactive_line or child.line,
                        f"inactive: {' '.join(sub)} is not in effect; skipped",
                    )
                continue
            visit(child, sub)

    visit(tree.root, ())


def _report_groups(tree: Tree, notes: Notes) -> None:
    applied = {
        v.name for path, node in tree.root.walk() if path[-1] == "apply-groups" for v in node.kids()
    }
    groups = tree.root.get("groups")
    if groups is None:
        return
    for group in groups.kids():
        if group.name not in applied:
            continue
        for top in group.kids():
            if _relevant((top.name,), top):
                notes.at(
                    top,
                    f"configuration group {group.name} is applied with apply-groups: what it "
                    f"adds under {top.name} is not expanded, not checked",
                )


def _report_logical_systems(tree: Tree, notes: Notes) -> None:
    for key in ("logical-systems", "tenants"):
        for ls in tree.root.values(key):
            for top in ls.kids():
                if _relevant((top.name,), top):
                    notes.at(
                        top,
                        f"{key} {ls.name}: its {top.name} configuration is not read, not checked",
                    )


def _dedupe(items: list[Unsupported]) -> list[Unsupported]:
    seen: dict[tuple[int, str], Unsupported] = {}
    for u in items:
        seen.setdefault((u.line, u.reason), u)
    return list(seen.values())
