"""Run the proof: for each enforcement point and each Linux platform, load the rule set into
the router namespace and send every planned probe."""

from __future__ import annotations

import ipaddress
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from types import FrameType

from segcfg.compile import compile_site
from segcfg.errors import SegcfgError
from segcfg.intent import build_intent
from segcfg.load import LoadedSite
from segcfg.model.site import EnforcementPoint, ZoneKind
from segcfg.prove.netns import TestBed
from segcfg.prove.probes import Probe, ProbePlan
from segcfg.render import render_ruleset

LINUX_PLATFORMS = ("nftables", "iptables")
BATCH = 64


@dataclass
class Round:
    enforcement_point: str
    platform: str
    source: str  # "compiled" or a file name
    probes: list[Probe] = field(default_factory=list)
    not_checked: str = ""  # why this round could not run

    @property
    def mismatches(self) -> list[Probe]:
        return [p for p in self.probes if not p.ok]


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM cleans up like Ctrl-C does."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _interfaces(
    plan: ProbePlan, ep: EnforcementPoint
) -> list[tuple[str, list[ipaddress.IPv4Network], list[ipaddress.IPv4Address], bool]]:
    r = plan.intent.resolver
    out = []
    for f in ep.interfaces:
        nets: list[ipaddress.IPv4Network] = []
        default = False
        for z in f.zones():
            if r.zone_kind(z) is ZoneKind.INTERNET:
                default = True
            nets += [n for n in r.zones[z].networks if isinstance(n, ipaddress.IPv4Network)]
        addrs = sorted({p.ip for p in plan.points.values() if plan.iface_of[p.zone] == f.name})
        out.append((f.name, nets, addrs, default))
    return out


def run_probes(bed: TestBed, plan: ProbePlan, probes: list[Probe], timeout: float) -> None:
    side_of = {link.interface: link.side for link in bed.links}
    agent_of = {z: bed.agents[side_of[i]] for z, i in plan.iface_of.items()}
    listens: dict[str, set[tuple[str, str, int]]] = {}
    for p in probes:
        if p.proto in ("tcp", "udp"):
            listens.setdefault(agent_of[p.dst.zone].namespace, set()).add(
                (p.proto, str(p.dst.ip), p.port)
            )
    for ns, wanted in listens.items():
        reply = bed.agents[ns].call(op="listen", items=sorted(wanted))
        if not reply.get("ok"):
            from segcfg.prove.netns import _fail

            raise _fail(f"listeners in {ns}: {reply.get('errors')}")
    by_src: dict[str, list[Probe]] = {}
    for p in probes:
        by_src.setdefault(agent_of[p.src.zone].namespace, []).append(p)
    results: dict[str, str] = {}
    for ns, items in by_src.items():
        for i in range(0, len(items), BATCH):
            chunk = items[i : i + BATCH]
            reply = bed.agents[ns].call(
                op="probe",
                timeout=timeout,
                items=[
                    {
                        "id": p.id,
                        "proto": p.proto,
                        "src": str(p.src.ip),
                        "dst": str(p.dst.ip),
                        "port": p.port,
                    }
                    for p in chunk
                ],
            )
            results.update(reply["results"])
    seen: set[tuple[str, str, str, int]] = set()
    for agent in bed.agents.values():
        for proto, src, dst, port in agent.call(op="seen")["seen"]:
            seen.add((proto, src, dst, int(port)))
    for p in probes:
        observed = results.get(p.id, "not run")
        if observed == "blocked" and (p.proto, str(p.src.ip), str(p.dst.ip), p.port) in seen:
            observed = "one-way"  # the request arrived, the reply did not come back
        p.observed = observed


def prove_site(
    loaded: LoadedSite,
    today: date,
    firewalls: list[str] | None = None,
    rulesets: dict[tuple[str, str], str] | None = None,
    samples: int = 40,
    seed: int = 1,
    timeout: float = 0.5,
    progress: Callable[[str], None] | None = None,
) -> list[Round]:
    """Prove the Linux rule sets of the chosen enforcement points with real packets.

    ``rulesets`` maps (enforcement point, platform) to a rule-set text to load instead of the
    compiled one (to prove a file, or a tampered copy). Raises ``TestBedError`` when the test
    bed cannot be built: a proof that could not run never passes.
    """
    intent = build_intent(loaded, today)
    eps = [
        ep
        for ep in loaded.site.enforcement_points
        if (firewalls and ep.name in firewalls)
        or (not firewalls and ep.platform in LINUX_PLATFORMS)
    ]
    if firewalls:
        missing = sorted(set(firewalls) - {ep.name for ep in eps})
        if missing:
            raise SegcfgError(f"no enforcement point named {', '.join(missing)}")
    rounds: list[Round] = []
    with _terminate_as_interrupt():
        for ep in eps:
            plan = ProbePlan(intent, ep)
            probes = plan.plan(samples, seed)
            with TestBed() as bed:
                bed.build(_interfaces(plan, ep))
                platforms = (
                    sorted(p for e, p in rulesets if e == ep.name) if rulesets else LINUX_PLATFORMS
                )
                for platform in platforms:
                    rnd = Round(ep.name, platform, "compiled")
                    rounds.append(rnd)
                    given = (rulesets or {}).get((ep.name, platform))
                    if given is None:
                        try:
                            compiled = compile_site(loaded, today, platform, only={ep.name})
                        except SegcfgError as exc:
                            rnd.not_checked = "; ".join(d.message for d in exc.diagnostics)
                            continue
                        text = render_ruleset(compiled[0])
                    else:
                        text, rnd.source = given, "given"
                    if progress:
                        progress(f"{ep.name}: {platform}: {len(probes)} probes")
                    if platform == "nftables":
                        bed.load_nftables(text)
                    else:
                        bed.load_iptables(text)
                    round_probes = [
                        Probe(p.id, p.category, p.src, p.dst, p.proto, p.port, p.expected, p.note)
                        for p in probes
                    ]
                    run_probes(bed, plan, round_probes, timeout)
                    rnd.probes = round_probes
                    bed.reset_rules()
    return rounds
