"""The intent: instance-level allowed flows, each traceable to the line that asked for it,
plus the guarantee check every flow must pass before anything may be compiled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from ipaddress import IPv4Address, IPv6Address
from operator import attrgetter

from segcfg.errors import Location
from segcfg.gcpause import without_gc
from segcfg.load import LoadedSite
from segcfg.model.common import Service
from segcfg.model.site import ZoneKind
from segcfg.resolve import Endpoint, Resolver

CLINICAL_KINDS = (ZoneKind.CLINICAL, ZoneKind.CLINICAL_SERVERS)
UNTRUSTED_KINDS = (ZoneKind.CORPORATE, ZoneKind.GUEST, ZoneKind.INTERNET)

HICP = {
    "communication": "9.M.E",
    "management": "9.M.E",
    "vendor-support": "9.M.C",
    "exception": "9.M.E",
}


@dataclass(frozen=True, order=True)
class Provenance:
    """Where a flow comes from: the file and line of the requirement, and why."""

    location: Location
    requirement: str  # e.g. "infusion-pump communications[0]" or "exception IMG-08"
    purpose: str  # communication | management | vendor-support | exception
    why: str = ""
    hicp: str = "9.M.E"

    def remark(self) -> str:
        """Provenance for a rule remark: independent of the working directory."""
        loc = self.location
        parts = loc.file.replace("\\", "/").split("/")
        stable = "/".join(parts[-2:])
        return f"{self.requirement} ({stable}:{loc.line}) HICP {self.hicp}"


@dataclass(frozen=True, order=True)
class Flow:
    """One allowed flow: src initiates toward dst on service.

    Equality, hashing and order use ``key`` alone (names, requirement, service), which
    identifies a flow and compares fast.
    """

    key: tuple[str, str, str, str, str, str, int, int]
    src: Endpoint = field(compare=False)
    dst: Endpoint = field(compare=False)
    service: Service = field(compare=False)
    provenance: Provenance = field(compare=False)

    @staticmethod
    def make(src: Endpoint, dst: Endpoint, service: Service, prov: Provenance) -> Flow:
        key = (
            src.kind,
            src.name,
            dst.kind,
            dst.name,
            prov.requirement,
            service.protocol,
            service.low,
            service.high,
        )
        return Flow(key, src, dst, service, prov)


@dataclass(frozen=True)
class Violation:
    """A flow that would break a guarantee of DESIGN.md."""

    flow: Flow
    code: str
    message: str
    hicp: str


@dataclass
class Intent:
    flows: list[Flow]
    violations: list[Violation]
    expired: list[tuple[Location, str]]
    resolver: Resolver

    def permits(
        self,
        from_zone: str,
        to_zone: str,
        src: IPv4Address | IPv6Address,
        dst: IPv4Address | IPv6Address,
        protocol: str,
        port: int,
        icmp_type: int | None = None,
    ) -> bool:
        """The intent's own decision for a new connection: allowed iff some flow asks for it.

        Slow and obvious on purpose: compiled rule sets and real firewalls are judged by it.
        """
        for f in self.flows:
            if f.src.zone != from_zone or f.dst.zone != to_zone:
                continue
            svc = f.service
            if svc.protocol != protocol:
                continue
            if protocol in ("tcp", "udp") and not svc.low <= port <= svc.high:
                continue
            if protocol in ("icmp", "icmpv6") and svc.low == svc.high and icmp_type != svc.low:
                continue
            if any(src in n for n in f.src.networks) and any(dst in n for n in f.dst.networks):
                return True
        return False


@without_gc
def build_intent(loaded: LoadedSite, today: date) -> Intent:
    """Expand profiles, management, vendor support and exceptions into instance-level flows."""
    r = Resolver(loaded)
    site = loaded.site
    flows: list[Flow] = []
    mgmt_sources = r.resolve_all(site.policy.management_sources)
    used_classes = sorted({d.class_ for d in site.devices})
    for cls in used_classes:
        lp = loaded.profiles.get(cls)
        if lp is None:
            continue
        prof = lp.profile
        devices = r.devices_of_class(cls)
        for i, comm in enumerate(prof.communications):
            prov = Provenance(
                lp.where("communications", i),
                f"{cls} communications[{i}]",
                "communication",
                comm.why,
                HICP["communication"],
            )
            peers = r.resolve(comm.peer)
            for dev in devices:
                for peer in peers:
                    if peer == dev:
                        continue
                    src, dst = (dev, peer) if comm.initiator == "device" else (peer, dev)
                    flows.extend(Flow.make(src, dst, s, prov) for s in comm.services)
        for i, mg in enumerate(prof.management):
            prov = Provenance(
                lp.where("management", i),
                f"{cls} management[{i}]",
                "management",
                mg.why,
                HICP["management"],
            )
            for dev in devices:
                for src in mgmt_sources:
                    flows.extend(Flow.make(src, dev, s, prov) for s in mg.services)
        if prof.vendor_support is not None:
            vs = prof.vendor_support
            prov = Provenance(
                lp.where("vendor_support"),
                f"{cls} vendor_support",
                "vendor-support",
                vs.why,
                HICP["vendor-support"],
            )
            pools = [
                r.zone_endpoint(z)
                for z in site.zones
                if z.kind is ZoneKind.VENDOR_REMOTE and z.manufacturer == prof.manufacturer
            ]
            for dev in devices:
                for pool in pools:
                    flows.extend(Flow.make(pool, dev, s, prov) for s in vs.services)
    expired: list[tuple[Location, str]] = []
    for i, exc in enumerate(site.policy.exceptions):
        where = loaded.where("policy", "exceptions", i)
        if exc.expires < today:
            expired.append((where, exc.id))
            continue
        prov = Provenance(
            where,
            f"exception {exc.id} (owner {exc.owner}, {exc.ticket}, "
            f"expires {exc.expires.isoformat()})",
            "exception",
            exc.reason,
            HICP["exception"],
        )
        srcs = r.resolve_all(exc.from_)
        dsts: list[Endpoint] = []
        for to in exc.to:
            if to == "internet":
                dsts.extend(r.zone_endpoint(z) for z in site.zones if z.kind is ZoneKind.INTERNET)
            else:
                dsts.extend(r.resolve(to))
        for src in srcs:
            for dst in sorted(set(dsts)):
                flows.extend(Flow.make(src, dst, s, prov) for s in exc.services)
    flows = sorted(set(flows), key=attrgetter("key"))
    scanners = r.resolve_all(site.policy.scanner_sources)
    decoys = _decoys(r)
    memo: dict[tuple[str, str], bool] = {}
    violations = [
        v for f in flows for v in guarantee_violations(f, r, mgmt_sources, scanners, decoys, memo)
    ]
    return Intent(flows, violations, expired, r)


def _in_scanner(ep: Endpoint, r: Resolver, scanners: tuple[Endpoint, ...]) -> bool:
    return r.zone_kind(ep.zone) is ZoneKind.SCANNER or any(
        a.version == b.version and a.overlaps(b)
        for s in scanners
        for a in s.networks
        for b in ep.networks
    )


def guarantee_violations(
    flow: Flow,
    r: Resolver,
    mgmt_sources: Iterable[Endpoint],
    scanners: tuple[Endpoint, ...],
    decoys: tuple[Endpoint, ...],
    scanner_memo: dict[tuple[str, str], bool] | None = None,
) -> list[Violation]:
    """Every guarantee of DESIGN.md this single flow would break (empty when safe).

    ``scanner_memo`` remembers, across calls with the same scanners, which endpoints lie in
    a scanner source."""
    site = r.loaded.site
    out: list[Violation] = []
    src, dst, svc = flow.src, flow.dst, flow.service
    src_kind, dst_kind = r.zone_kind(src.zone), r.zone_kind(dst.zone)

    def add(code: str, msg: str, hicp: str) -> None:
        out.append(Violation(flow, code, msg, hicp))

    in_scanner = None if scanner_memo is None else scanner_memo.get((src.kind, src.name))
    if in_scanner is None:
        in_scanner = _in_scanner(src, r, scanners)
        if scanner_memo is not None:
            scanner_memo[(src.kind, src.name)] = in_scanner
    if dst_kind in CLINICAL_KINDS and in_scanner:
        add(
            "scanner-to-clinical",
            f"{src} is a vulnerability scanner and would reach {dst} ({dst.zone}, "
            f"{dst_kind.value}) on {svc}",
            "9.L.A",
        )
    if src_kind is ZoneKind.VENDOR_REMOTE:
        pool_maker = r.zones[src.zone].manufacturer
        if dst.kind != "device" or dst.manufacturer != pool_maker:
            other = dst.manufacturer or dst.kind
            add(
                "vendor-cross-manufacturer",
                f"vendor pool {src.zone} ({pool_maker}) would reach {dst} ({other}) on {svc}",
                "9.M.E",
            )
    if src_kind in UNTRUSTED_KINDS and src.kind == "zone" and dst_kind is ZoneKind.CLINICAL:
        add(
            "untrusted-to-clinical",
            f"the whole {src_kind.value} zone {src.zone} would reach {dst} on {svc}; "
            "name the hosts that need it",
            "9.M.E",
        )
    if dst_kind is ZoneKind.CLINICAL and dst.kind == "zone":
        add(
            "whole-zone-permit",
            f"a permit toward the whole clinical zone {dst.zone} on {svc}; permits must name "
            "devices",
            "9.M.E",
        )
    if (
        dst_kind is ZoneKind.INTERNET
        and r.zone_kind(src.zone) in CLINICAL_KINDS
        and (flow.provenance.purpose != "exception")
    ):
        add(
            "internet-without-exception",
            f"{src} would reach the internet on {svc} without an exception (owner, expiry)",
            "9.M.E",
        )
    if any(d.name == dst.name and d.kind == dst.kind for d in decoys):
        add("decoy-permit", f"{src} would reach the decoy {dst} on {svc}", "9.L.B")
    elif any(d.name == src.name and d.kind == src.kind for d in decoys):
        # Its replies would go toward the decoy, which everything denies: a decoy has no
        # legitimate peers at all.
        add(
            "decoy-permit",
            f"the decoy {src} would talk to {dst} on {svc}; a decoy has no declared peers",
            "9.L.B",
        )
    if (
        dst_kind is ZoneKind.CLINICAL
        and flow.provenance.purpose not in ("management", "vendor-support")
        and any(svc.overlaps(p) for p in site.policy.remote_access_ports)
    ):
        mgmt = list(mgmt_sources)
        if not (mgmt and r.covers(mgmt, src)):
            add(
                "remote-access-port",
                f"{src} is not a management source and would reach {dst} on remote-access "
                f"port {svc}",
                "9.L.B",
            )
    return out


def _decoys(r: Resolver) -> tuple[Endpoint, ...]:
    pol = r.loaded.site.policy
    if pol.decoys:
        return r.resolve_all(pol.decoys)
    from segcfg.model.common import Ref

    return r.resolve(Ref(kind="role", name="decoy"))


def decoy_endpoints(r: Resolver) -> tuple[Endpoint, ...]:
    return _decoys(r)
