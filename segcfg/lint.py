"""Semantic checks of a loaded site and its profiles: the guarantees, HICP hygiene, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from segcfg.addressing import addressing_errors
from segcfg.errors import Diagnostic, Location, Severity
from segcfg.gateway import gateway_errors
from segcfg.gcpause import without_gc
from segcfg.intent import build_intent, decoy_endpoints
from segcfg.load import LoadedSite
from segcfg.model.profile import Requirement
from segcfg.model.site import ZoneKind

EXPIRY_WARNING_DAYS = 30

# Protocols that carry data or credentials in the clear, as profiles write them.
CLEARTEXT = {
    ("tcp", 20): "FTP data",
    ("tcp", 21): "FTP",
    ("tcp", 23): "Telnet",
    ("tcp", 80): "HTTP",
    ("udp", 69): "TFTP",
    ("tcp", 104): "DICOM without TLS (use 2762)",
    ("tcp", 11112): "DICOM without TLS (use 2762)",
    ("tcp", 2575): "HL7 MLLP without TLS",
    ("udp", 161): "SNMP v1/v2c",
    ("udp", 162): "SNMP traps v1/v2c",
    ("udp", 514): "syslog over UDP (use 6514/TLS)",
    ("tcp", 5900): "VNC",
}


@dataclass
class LintReport:
    site: str
    diagnostics: list[Diagnostic]
    metrics: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)


@without_gc
def lint_site(loaded: LoadedSite, today: date) -> LintReport:
    """Every semantic check of DESIGN.md and issue #2; the diagnostics are sorted."""
    site = loaded.site
    out: list[Diagnostic] = []

    def add(where: Location, sev: Severity, msg: str, code: str, hicp: str | None = None) -> None:
        out.append(Diagnostic(where, sev, msg, code, hicp))

    zone_by_name = {z.name: z for z in site.zones}
    # Overlapping zones, hosts and devices outside their zones (compile refuses them too).
    out.extend(addressing_errors(loaded))
    medical = 0
    not_segmented = 0
    no_profile = 0
    used_classes: set[str] = set()
    for d in site.devices:
        where = loaded.device_where(d.name)
        used_classes.add(d.class_)
        lp = loaded.profiles.get(d.class_)
        if lp is None:
            no_profile += 1
            add(
                where,
                Severity.ERROR,
                f"device {d.name}: class {d.class_!r} has no profile; nothing it needs can be "
                "allowed",
                "no-profile",
                "9.M.D",
            )
            continue
        if lp.profile.medical_device:
            medical += 1
            if zone_by_name[d.zone].kind is not ZoneKind.CLINICAL:
                not_segmented += 1
                add(
                    where,
                    Severity.WARNING,
                    f"medical device {d.name} sits in {d.zone} "
                    f"({zone_by_name[d.zone].kind.value}), not in a clinical zone: not segmented",
                    "not-segmented",
                    "9.M.E",
                )
    for cls, lp in sorted(loaded.profiles.items()):
        if cls not in used_classes:
            add(
                lp.where("class"),
                Severity.WARNING,
                f"profile {cls} is not used by any device of site {site.site}",
                "unused-profile",
            )

    # Profile hygiene for the classes in use.
    roles = {r for h in site.hosts for r in h.roles}
    classes = {d.class_ for d in site.devices}
    kinds = {z.kind.value for z in site.zones}
    exception_classes = {
        ref.name
        for x in site.policy.exceptions
        for ref in x.from_
        if ref.kind == "class"
        if "internet" in x.to and x.expires >= today
    }
    for cls in sorted(used_classes & set(loaded.profiles)):
        lp = loaded.profiles[cls]
        prof = lp.profile
        for i, comm in enumerate(prof.communications):
            ref = comm.peer
            present = {"role": roles, "class": classes, "zone-kind": kinds}.get(ref.kind, set())
            if ref.name not in present:
                add(
                    lp.where("communications", i, "peer"),
                    Severity.WARNING,
                    f"{cls}: peer {ref} matches nothing in site {site.site}; this requirement "
                    "allows no flow",
                    "unresolved-peer",
                )
        blocks: list[tuple[str, int, Requirement]] = [
            ("communications", i, c) for i, c in enumerate(prof.communications)
        ]
        blocks += [("management", i, m) for i, m in enumerate(prof.management)]
        for key, i, req in blocks:
            for j, svc in enumerate(req.services):
                for (proto, port), name in sorted(CLEARTEXT.items()):
                    if svc.protocol == proto and svc.low <= port <= svc.high:
                        add(
                            lp.where(key, i, "services", j),
                            Severity.WARNING,
                            f"{cls}: {svc} is cleartext ({name}); prefer an encrypted "
                            "protocol or compensate",
                            "cleartext",
                            "9.M.B",
                        )
                        break
        if prof.internet and cls not in exception_classes:
            add(
                lp.where("internet"),
                Severity.WARNING,
                f"{cls} declares internet needs but no exception (owner, expiry) allows them; "
                "they are not compiled",
                "internet-need-without-exception",
                "9.M.E",
            )
        if prof.management and not site.policy.management_sources:
            add(
                lp.where("management"),
                Severity.WARNING,
                f"{cls} declares management access but the site has no management_sources",
                "no-management-sources",
                "9.M.E",
            )

    # Exceptions: expired is an error, soon-expiring a warning.
    for i, x in enumerate(site.policy.exceptions):
        where = loaded.where("policy", "exceptions", i, "expires")
        if x.expires < today:
            add(
                where,
                Severity.ERROR,
                f"exception {x.id} (owner {x.owner}, {x.ticket}) expired on "
                f"{x.expires.isoformat()}; it allows nothing until renewed or removed",
                "exception-expired",
                "9.M.E",
            )
        elif x.expires <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            add(
                where,
                Severity.WARNING,
                f"exception {x.id} (owner {x.owner}, {x.ticket}) expires on "
                f"{x.expires.isoformat()}, within {EXPIRY_WARNING_DAYS} days",
                "exception-expiring",
                "9.M.E",
            )

    # Vendor pools need the MFA gateway, in a remote-access zone (compile refuses too).
    out.extend(gateway_errors(loaded))

    # Clinical zones without an enforcement point.
    guarded = {f.zone for ep in site.enforcement_points for f in ep.interfaces if f.zone}
    for i, z in enumerate(site.zones):
        if z.kind in (ZoneKind.CLINICAL,) and z.name not in guarded:
            add(
                loaded.where("zones", i),
                Severity.WARNING,
                f"clinical zone {z.name} is behind no enforcement point",
                "unguarded-zone",
                "9.M.E",
            )

    # The guarantees, flow by flow.
    intent = build_intent(loaded, today)
    seen: set[tuple[Location, str]] = set()
    for v in intent.violations:
        seen_key = (v.flow.provenance.location, v.code)
        if seen_key in seen:
            continue
        seen.add(seen_key)
        add(
            v.flow.provenance.location,
            Severity.ERROR,
            f"{v.flow.provenance.requirement}: {v.message}",
            v.code,
            v.hicp,
        )
    decoys = decoy_endpoints(intent.resolver)
    if not decoys:
        add(
            loaded.where("policy"),
            Severity.INFO,
            "no decoy declared (role decoy or policy.decoys); the DECOY play has nothing to "
            "trigger",
            "no-decoy",
            "9.L.B",
        )

    metrics = {
        "zones": len(site.zones),
        "devices": len(site.devices),
        "medical_devices": medical,
        "medical_devices_not_segmented": not_segmented,
        "devices_without_profile": no_profile,
        "profiles": len(loaded.profiles),
        "flows": len(intent.flows),
        "enforcement_points": len(site.enforcement_points),
    }
    out.sort(key=Diagnostic.sort_key)
    return LintReport(site.site, out, metrics)
