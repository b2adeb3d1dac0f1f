"""Which packets to send, and what the intent says should happen to each."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from dataclasses import dataclass

from segcfg.intent import CLINICAL_KINDS, UNTRUSTED_KINDS, Intent, decoy_endpoints
from segcfg.model.site import EnforcementPoint, ZoneKind
from segcfg.prove.netns import TEST_RANGE, TRANSIT
from segcfg.resolve import Endpoint

IPv4 = ipaddress.IPv4Address
REMOTE_ACCESS_PROBES = (("tcp", 22), ("tcp", 23), ("tcp", 3389), ("tcp", 5900))
SAMPLE_PORTS = (22, 80, 104, 123, 161, 443, 2575, 2762, 3389, 5061, 6514, 8443, 11112)


@dataclass(frozen=True)
class Point:
    """A concrete address that probes start from or go to."""

    name: str
    zone: str
    ip: IPv4


@dataclass
class Probe:
    id: str
    category: str  # required | guarantee | sample | reverse
    src: Point
    dst: Point
    proto: str  # tcp | udp | icmp
    port: int  # 0 for icmp
    expected: str  # pass | blocked
    note: str = ""
    observed: str = "not run"

    @property
    def ok(self) -> bool:
        return self.observed == self.expected

    def service(self) -> str:
        return self.proto if self.proto == "icmp" else f"{self.proto}/{self.port}"


class ProbePlan:
    """Probe points and probes of one enforcement point."""

    def __init__(self, intent: Intent, ep: EnforcementPoint) -> None:
        self.intent = intent
        self.ep = ep
        r = intent.resolver
        self.iface_of = {z: f.name for f in ep.interfaces for z in f.zones()}
        self.points: dict[tuple[str, str], Point] = {}
        used: set[IPv4] = set()
        for zone in self.iface_of:
            for ep_ in (*self._hosts_in(zone), *self._devices_in(zone)):
                ip = ep_.networks[0].network_address
                if isinstance(ip, IPv4):
                    self.points[(ep_.kind, ep_.name)] = Point(ep_.name, zone, ip)
                    used.add(ip)
        for zone in self.iface_of:
            rep = self._representative(zone, used)
            if rep is not None:
                self.points[("zone", zone)] = Point(f"{zone}(any)", zone, rep)
                used.add(rep)
        outside = [p.ip for p in self.points.values() if p.ip not in TEST_RANGE]
        if outside:
            from segcfg.prove.netns import _fail

            raise _fail(
                f"{ep.name}: probe addresses must be in {TEST_RANGE}; {outside[0]} is "
                "not (address the site, or a test copy of it, from 198.18.0.0/15)"
            )
        self._ids = 0
        self.probes: list[Probe] = []
        self._keys: set[tuple[IPv4, IPv4, str, int]] = set()
        del r

    def _hosts_in(self, zone: str) -> list[Endpoint]:
        r = self.intent.resolver
        return [r.host_endpoint(h.name) for h in r.loaded.site.hosts if h.zone == zone]

    def _devices_in(self, zone: str) -> list[Endpoint]:
        r = self.intent.resolver
        return [r.device_endpoint(d.name) for d in r.loaded.site.devices if d.zone == zone]

    def _representative(self, zone: str, used: set[IPv4]) -> IPv4 | None:
        r = self.intent.resolver
        z = r.zones[zone]
        nets: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
        if z.kind is ZoneKind.INTERNET:
            nets = [
                n
                for n in r.internet_networks
                if n.version == 4 and n.subnet_of(TEST_RANGE) and not n.overlaps(TRANSIT)
            ]
        else:
            nets = [n for n in z.networks if n.version == 4]
        for net in nets:
            for i, ip in enumerate(net.hosts()):
                if i > 4096:
                    break
                if isinstance(ip, IPv4) and ip not in used and ip not in TRANSIT:
                    return ip
        return None

    # ---------------------------------------------------------------------------------------
    def point(self, ep_: Endpoint) -> Point | None:
        return self.points.get((ep_.kind, ep_.name)) or self.points.get(("zone", ep_.zone))

    def crosses(self, a: Point, b: Point) -> bool:
        return self.iface_of[a.zone] != self.iface_of[b.zone]

    def add(
        self, category: str, src: Point, dst: Point, proto: str, port: int, note: str = ""
    ) -> None:
        key = (src.ip, dst.ip, proto, port)
        if key in self._keys or src.ip == dst.ip or not self.crosses(src, dst):
            return
        self._keys.add(key)
        self._ids += 1
        expected = (
            "pass"
            if self.intent.permits(
                src.zone, dst.zone, src.ip, dst.ip, proto, port, 8 if proto == "icmp" else None
            )
            else "blocked"
        )
        self.probes.append(Probe(f"p{self._ids}", category, src, dst, proto, port, expected, note))

    def plan(self, samples: int, seed: int) -> list[Probe]:
        r = self.intent.resolver
        kind = r.zone_kind
        # 1. Every required flow crossing this point.
        for f in self.intent.flows:
            if f.src.zone not in self.iface_of or f.dst.zone not in self.iface_of:
                continue
            src, dst = self.point(f.src), self.point(f.dst)
            if src is None or dst is None:
                continue
            svc = f.service
            note = f.provenance.requirement
            if svc.protocol in ("tcp", "udp"):
                for port in sorted({svc.low, svc.high}):
                    self.add("required", src, dst, svc.protocol, port, note)
            elif svc.protocol == "icmp" and svc.low in (0, 8):
                self.add("required", src, dst, "icmp", 0, note)
        # 2. A witness for every guarantee.
        pts = list(self.points.values())
        clinical = [p for p in pts if kind(p.zone) in CLINICAL_KINDS]
        for p in pts:
            pk = kind(p.zone)
            for c in clinical:
                if pk is ZoneKind.SCANNER:
                    for port in (443, 22, 104):
                        self.add("guarantee", p, c, "tcp", port, "scanner to clinical (9.L.A)")
                if pk in UNTRUSTED_KINDS and kind(c.zone) is ZoneKind.CLINICAL:
                    self.add("guarantee", p, c, "tcp", 443, f"{pk.value} to clinical")
                if pk is ZoneKind.VENDOR_REMOTE:
                    maker = r.zones[p.zone].manufacturer
                    dev = r.devices.get(c.name)
                    prof = r.loaded.profiles.get(dev.class_) if dev else None
                    if prof is not None and prof.profile.manufacturer != maker:
                        self.add(
                            "guarantee",
                            p,
                            c,
                            "tcp",
                            443,
                            "vendor pool to another manufacturer's device",
                        )
                if kind(c.zone) is ZoneKind.CLINICAL and pk is not ZoneKind.MANAGEMENT:
                    for proto, port in REMOTE_ACCESS_PROBES:
                        self.add(
                            "guarantee",
                            p,
                            c,
                            proto,
                            port,
                            "remote-access port from a non-management source (9.L.B)",
                        )
        for dec in decoy_endpoints(r):
            d = self.point(dec)
            if d is None:
                continue
            for p in pts:
                self.add("guarantee", p, d, "tcp", 443, "anything to a decoy (9.L.B)")
        # 3. Replies pass, new connections in reverse do not (unless the intent says so).
        required = [p for p in self.probes if p.category == "required" and p.proto == "tcp"]
        for req in required[:40]:
            self.add("reverse", req.dst, req.src, "tcp", req.port, f"reverse of {req.note}")
        # 4. A random sample, judged by the intent's own decision.
        rng = random.Random(seed)
        for _ in range(samples * 4):
            if sum(1 for p in self.probes if p.category == "sample") >= samples:
                break
            a, b = rng.choice(pts), rng.choice(pts)
            proto = rng.choice(("tcp", "tcp", "udp"))
            self.add("sample", a, b, proto, rng.choice(SAMPLE_PORTS))
        return self.probes
