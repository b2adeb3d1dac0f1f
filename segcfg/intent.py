"""The intent: instance-level allowed flows, each traceable to the line that asked for it,
plus the guarantee check every flow must pass before anything may be compiled."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from ipaddress import IPv4Address, IPv6Address
from operator import attrgetter

from segcfg.errors import Location
from segcfg.gcpause import without_gc
from segcfg.load import LoadedSite
from segcfg.model.common import Service, icmp_in_family
from segcfg.model.site import IPNetwork, ZoneKind
from segcfg.resolve import Endpoint, Resolver

CLINICAL_KINDS = (ZoneKind.CLINICAL, ZoneKind.CLINICAL_SERVERS)
UNTRUSTED_KINDS = (ZoneKind.CORPORATE, ZoneKind.GUEST, ZoneKind.INTERNET)

HICP = {
    "communication": "9.M.E",
    "management": "9.M.E",
    "vendor-support": "9.M.C",
    "exception": "9.M.E",
    "scanning": "9.L.A",
}
# What a scanner may send into the zones where scanning is allowed: every port and ICMP type.
SCAN_SERVICES = tuple(
    Service.model_validate(v)
    for v in (
        {"protocol": "tcp", "low": 1, "high": 65535},
        {"protocol": "udp", "low": 1, "high": 65535},
        {"protocol": "icmp", "low": 0, "high": 255},
    )
)


@dataclass(frozen=True, order=True)
class Provenance:
    """Where a flow comes from: the file and line of the requirement, and why."""

    location: Location
    requirement: str  # e.g. "infusion-pump communications[0]" or "exception IMG-08"
    purpose: str  # communication | management | vendor-support | exception | scanning
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

    @functools.cached_property
    def decoy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(n for d in decoy_endpoints(self.resolver) for n in d.networks)

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
        return self.flow_for(from_zone, to_zone, src, dst, protocol, port, icmp_type) is not None

    def flow_for(
        self,
        from_zone: str,
        to_zone: str,
        src: IPv4Address | IPv6Address,
        dst: IPv4Address | IPv6Address,
        protocol: str,
        port: int,
        icmp_type: int | None = None,
    ) -> Flow | None:
        """The first flow that asks for this new connection (ICMP services as the packet's
        address family carries them), or None. Nothing reaches a decoy (guarantee 6): a flow
        toward a whole zone does not cover the decoys in it, which every point denies first."""
        if any(dst in n for n in self.decoy_networks):
            return None
        for f in self.flows:
            if f.src.zone != from_zone or f.dst.zone != to_zone:
                continue
            svc = f.service
            carried = icmp_in_family(svc.protocol, svc.low, svc.high, src.version)
            if carried is None:
                continue
            proto, low, high = carried
            if proto != protocol:
                continue
            if protocol in ("tcp", "udp") and not low <= port <= high:
                continue
            if protocol in ("icmp", "icmpv6") and low == high and icmp_type != low:
                continue
            if any(src in n for n in f.src.networks) and any(dst in n for n in f.dst.networks):
                return f
        return None


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
            pools = r.vendor_pools.get(prof.manufacturer, ())
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
                dsts.extend(r.zones_of_kind(ZoneKind.INTERNET))
            else:
                dsts.extend(r.resolve(to))
        for src in srcs:
            for dst in sorted(set(dsts)):
                flows.extend(Flow.make(src, dst, s, prov) for s in exc.services)
    # Guarantee 2: scanners never reach clinical zones; they reach the maintenance zones
    # (policy.scan_allowed; default: every maintenance zone), where scans happen (9.L.A).
    pol = site.policy
    scan_from = (
        r.resolve_all(pol.scanner_sources)
        if pol.scanner_sources
        else r.zones_of_kind(ZoneKind.SCANNER)
    )
    scan_to = (
        r.resolve_all(pol.scan_allowed)
        if pol.scan_allowed
        else r.zones_of_kind(ZoneKind.MAINTENANCE)
    )
    if scan_from and scan_to:
        prov = Provenance(
            loaded.where("policy", "scan_allowed"),
            "policy scan_allowed",
            "scanning",
            "vulnerability scans on the maintenance network",
            HICP["scanning"],
        )
        for src in scan_from:
            for dst in scan_to:
                if src != dst:
                    flows.extend(Flow.make(src, dst, s, prov) for s in SCAN_SERVICES)
    flows = sorted(set(flows), key=attrgetter("key"))
    scanners = r.resolve_all(site.policy.scanner_sources)
    decoys = decoy_endpoints(r)
    checker = GuaranteeChecker(r, mgmt_sources, scanners, decoys)
    violations = [v for f in flows for v in checker.violations(f)]
    return Intent(flows, violations, expired, r)


def _in_scanner(ep: Endpoint, r: Resolver, scanners: tuple[Endpoint, ...]) -> bool:
    return r.zone_kind(ep.zone) is ZoneKind.SCANNER or any(
        a.version == b.version and a.overlaps(b)
        for s in scanners
        for a in s.networks
        for b in ep.networks
    )


class GuaranteeChecker:
    """Decides, flow by flow, which guarantees of DESIGN.md a flow would break.

    Built once per intent: what a check needs to know about an endpoint or a service (is it
    a scanner, a decoy, covered by the management sources, on a remote-access port) is
    worked out once and remembered, so checking every instance-level flow stays cheap.
    """

    def __init__(
        self,
        r: Resolver,
        mgmt_sources: Iterable[Endpoint],
        scanners: tuple[Endpoint, ...],
        decoys: tuple[Endpoint, ...],
    ) -> None:
        self.r = r
        self.mgmt = tuple(mgmt_sources)
        self.scanners = scanners
        self.decoy_keys = frozenset((d.kind, d.name) for d in decoys)
        self.ra_ports = tuple(r.loaded.site.policy.remote_access_ports)
        self.kinds = {name: z.kind for name, z in r.zones.items()}
        self._scanner: dict[tuple[str, str], bool] = {}
        self._managed: dict[tuple[str, str], bool] = {}
        self._ra: dict[tuple[str, int, int], bool] = {}

    def in_scanner(self, ep: Endpoint) -> bool:
        key = (ep.kind, ep.name)
        hit = self._scanner.get(key)
        if hit is None:
            hit = self._scanner[key] = _in_scanner(ep, self.r, self.scanners)
        return hit

    def _on_ra_port(self, svc: Service) -> bool:
        key = (svc.protocol, svc.low, svc.high)
        hit = self._ra.get(key)
        if hit is None:
            hit = self._ra[key] = any(svc.overlaps(p) for p in self.ra_ports)
        return hit

    def _managed_source(self, ep: Endpoint) -> bool:
        key = (ep.kind, ep.name)
        hit = self._managed.get(key)
        if hit is None:
            hit = self._managed[key] = bool(self.mgmt) and self.r.covers(self.mgmt, ep)
        return hit

    def violations(self, flow: Flow) -> list[Violation]:
        """Every guarantee this single flow would break (empty when safe)."""
        out: list[Violation] = []
        src, dst, svc = flow.src, flow.dst, flow.service
        src_kind, dst_kind = self.kinds[src.zone], self.kinds[dst.zone]
        purpose = flow.provenance.purpose
        if dst_kind in CLINICAL_KINDS and self.in_scanner(src):
            out.append(
                Violation(
                    flow,
                    "scanner-to-clinical",
                    f"{src} is a vulnerability scanner and would reach {dst} ({dst.zone}, "
                    f"{dst_kind.value}) on {svc}",
                    "9.L.A",
                )
            )
        if src_kind is ZoneKind.VENDOR_REMOTE:
            pool_maker = self.r.zones[src.zone].manufacturer
            if dst.kind != "device" or dst.manufacturer != pool_maker:
                other = dst.manufacturer or dst.kind
                out.append(
                    Violation(
                        flow,
                        "vendor-cross-manufacturer",
                        f"vendor pool {src.zone} ({pool_maker}) would reach {dst} ({other}) "
                        f"on {svc}",
                        "9.M.E",
                    )
                )
            if purpose != "vendor-support":
                # Only the services of the profile's vendor_support, never as a management
                # source or through an exception (found in review).
                out.append(
                    Violation(
                        flow,
                        "vendor-undeclared-service",
                        f"vendor pool {src.zone} would reach {dst} on {svc} as {purpose}; a "
                        "vendor pool reaches devices only on their profile's vendor_support "
                        "services",
                        "9.M.C",
                    )
                )
        if dst_kind is ZoneKind.VENDOR_REMOTE and src.kind == "device":
            pool_maker = self.r.zones[dst.zone].manufacturer
            if src.manufacturer != pool_maker:
                out.append(
                    Violation(
                        flow,
                        "vendor-cross-manufacturer",
                        f"{src} ({src.manufacturer}) would talk to vendor pool {dst.zone} "
                        f"({pool_maker}) on {svc}; a pool never meets another vendor's devices",
                        "9.M.E",
                    )
                )
        if src_kind in UNTRUSTED_KINDS and src.kind == "zone" and dst_kind is ZoneKind.CLINICAL:
            out.append(
                Violation(
                    flow,
                    "untrusted-to-clinical",
                    f"the whole {src_kind.value} zone {src.zone} would reach {dst} on {svc}; "
                    "name the hosts that need it",
                    "9.M.E",
                )
            )
        if dst_kind is ZoneKind.CLINICAL and dst.kind == "zone":
            out.append(
                Violation(
                    flow,
                    "whole-zone-permit",
                    f"a permit toward the whole clinical zone {dst.zone} on {svc}; permits must "
                    "name devices",
                    "9.M.E",
                )
            )
        if dst_kind is ZoneKind.INTERNET and src_kind in CLINICAL_KINDS and purpose != "exception":
            out.append(
                Violation(
                    flow,
                    "internet-without-exception",
                    f"{src} would reach the internet on {svc} without an exception (owner, expiry)",
                    "9.M.E",
                )
            )
        if (dst.kind, dst.name) in self.decoy_keys:
            out.append(
                Violation(
                    flow, "decoy-permit", f"{src} would reach the decoy {dst} on {svc}", "9.L.B"
                )
            )
        elif (src.kind, src.name) in self.decoy_keys:
            # Its replies would go toward the decoy, which everything denies: a decoy has no
            # legitimate peers at all.
            out.append(
                Violation(
                    flow,
                    "decoy-permit",
                    f"the decoy {src} would talk to {dst} on {svc}; a decoy has no declared peers",
                    "9.L.B",
                )
            )
        if (
            dst_kind is ZoneKind.CLINICAL
            and purpose not in ("management", "vendor-support")
            and self._on_ra_port(svc)
            and not self._managed_source(src)
        ):
            out.append(
                Violation(
                    flow,
                    "remote-access-port",
                    f"{src} is not a management source and would reach {dst} on remote-access "
                    f"port {svc}",
                    "9.L.B",
                )
            )
        return out


def decoy_endpoints(r: Resolver) -> tuple[Endpoint, ...]:
    """The site's decoys: ``policy.decoys``, or else every host with the role ``decoy``."""
    pol = r.loaded.site.policy
    if pol.decoys:
        return r.resolve_all(pol.decoys)
    from segcfg.model.common import Ref

    return r.resolve(Ref(kind="role", name="decoy"))
