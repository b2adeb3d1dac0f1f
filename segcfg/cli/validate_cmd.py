"""``segcfg validate``, ``segcfg check-flow`` and ``segcfg parse``."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from segcfg.cli.app import Today, _parse_date, app
from segcfg.compile import compile_site
from segcfg.errors import Diagnostic, InputError, Location, SegcfgError, Severity
from segcfg.evaluate import Packet, decide
from segcfg.intent import build_intent
from segcfg.load import LoadedSite, display_path, load_site
from segcfg.model.common import icmp_in_family, parse_service
from segcfg.model.site import EnforcementPoint, ZoneKind
from segcfg.packetspace import PROTOCOLS, PacketSpace, Witness
from segcfg.parsed import ParsedConfig
from segcfg.platforms import PLATFORMS
from segcfg.platforms.parsers import parser_for
from segcfg.report.findings import FORMATS, render
from segcfg.validate import _Evaluator, validate_running
from segcfg.yamlsrc import read_text


def _platform(value: str | None) -> str | None:
    if value is not None and value not in PLATFORMS:
        raise typer.BadParameter(f"{value!r}: choose one of {', '.join(sorted(PLATFORMS))}")
    return value


def _fmt(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r}: choose one of {', '.join(FORMATS)}")
    return value


def parse_running(path: Path, platform: str) -> ParsedConfig:
    shown = display_path(path)
    return parser_for(platform)(read_text(path, shown), shown)


def _ep(loaded: LoadedSite, name: str) -> EnforcementPoint:
    for ep in loaded.site.enforcement_points:
        if ep.name == name:
            return ep
    names = ", ".join(e.name for e in loaded.site.enforcement_points)
    raise InputError(
        Diagnostic(
            Location(loaded.doc.path),
            Severity.ERROR,
            f"no enforcement point {name!r} (there are: {names})",
            "dangling-reference",
        )
    )


@app.command()
def validate(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    firewall: Annotated[str, typer.Option("--firewall", help="Enforcement point name.")],
    running: Annotated[Path, typer.Option("--running", help="Running-config file.")],
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            help="Platform of the file (default: the enforcement point's).",
            callback=_platform,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, sarif or junit.", callback=_fmt)
    ] = "text",
    show_complies: Annotated[
        bool, typer.Option("--all", help="Also list checks that comply.")
    ] = False,
    today: Today = None,
) -> None:
    """Check a running configuration exactly against the intent; every finding shows the
    packet that proves it and the line that decides it.

    Exit 0 complies, 1 violations or checks that could not be made, 2 bad input.
    """
    loaded = load_site(site_dir)
    ep = _ep(loaded, firewall)
    parsed = parse_running(running, platform or ep.platform)
    report = validate_running(build_intent(loaded, _parse_date(today)), ep, parsed)
    sys.stdout.write(render([report], fmt, show_complies))
    raise typer.Exit(1 if report.violations or report.not_checked else 0)


def _endpoint(
    loaded: LoadedSite, text: str
) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address, str]:
    """(name, address, zone) of a host or device name, or of an address."""
    site = loaded.site
    for h in site.hosts:
        if h.name == text:
            return h.name, h.address, h.zone
    for d in site.devices:
        if d.name == text:
            return d.name, d.address, d.zone
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise InputError(
            Diagnostic(
                Location("<command line>"),
                Severity.ERROR,
                f"{text!r} is neither a host, a device nor an address",
                "dangling-reference",
            )
        ) from None
    for z in site.zones:
        if any(addr in n for n in z.networks):
            return text, addr, z.name
    internet = next((z.name for z in site.zones if z.kind is ZoneKind.INTERNET), None)
    if internet is None:
        raise InputError(
            Diagnostic(
                Location("<command line>"),
                Severity.ERROR,
                f"{text} is in no zone of the site",
                "dangling-reference",
            )
        )
    return text, addr, internet


@app.command("check-flow")
def check_flow(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    src: Annotated[str, typer.Argument(help="Source: host, device or address.")],
    dst: Annotated[str, typer.Argument(help="Destination: host, device or address.")],
    service: Annotated[str, typer.Argument(help="PROTO/PORT, e.g. tcp/443, udp/123, icmp.")],
    firewall: Annotated[
        str | None,
        typer.Option("--firewall", help="Only this enforcement point (needed with --running)."),
    ] = None,
    running: Annotated[
        Path | None,
        typer.Option("--running", help="Judge this running config instead of the compiled rules."),
    ] = None,
    platform: Annotated[str | None, typer.Option("--platform", callback=_platform)] = None,
    today: Today = None,
) -> None:
    """Would this flow pass, and which line decides? Exit 0 it passes everywhere it crosses,
    1 something blocks it, 2 bad input."""
    when = _parse_date(today)
    loaded = load_site(site_dir)
    try:
        svc = parse_service(service)
    except Exception as exc:  # pydantic-core error from the shared service parser
        raise InputError(
            Diagnostic(Location("<command line>"), Severity.ERROR, str(exc), "bad-service")
        ) from None
    s_name, s_ip, s_zone = _endpoint(loaded, src)
    d_name, d_ip, d_zone = _endpoint(loaded, dst)
    proto, port = svc["protocol"], svc["low"]
    icmp_type: int | None = None
    if proto in ("icmp", "icmpv6"):
        # The packet asked about: 'icmp' alone is an echo request; 'icmp/0' is type 0. It is
        # carried in the endpoints' family (icmp/8 between IPv6 hosts is ICMPv6 echo, 128).
        every_type = (svc["low"], svc["high"]) == (0, 255)
        asked = (128 if proto == "icmpv6" else 8) if every_type else svc["low"]
        carried = icmp_in_family(proto, asked, asked, s_ip.version)
        if carried is None:
            raise InputError(
                Diagnostic(
                    Location("<command line>"),
                    Severity.ERROR,
                    f"{service}: ICMP type {asked} has no equivalent in IPv{s_ip.version}",
                    "bad-service",
                )
            )
        proto, icmp_type = carried[0], carried[1]
    intent = build_intent(loaded, when)
    flow = intent.flow_for(s_zone, d_zone, s_ip, d_ip, proto, port, icmp_type)
    allowed = flow is not None
    why = flow.provenance.requirement if flow is not None else None
    typer.echo(f"{s_name} ({s_ip}, {s_zone}) -> {d_name} ({d_ip}, {d_zone}) {service}")
    typer.echo(f"  intent: {'allowed by ' + why if allowed and why else 'not allowed'}")
    blocked = not allowed
    crossed: list[tuple[EnforcementPoint, dict[str, str]]] = []
    for ep in loaded.site.enforcement_points:
        iface = {z: f.name for f in ep.interfaces for z in f.zones()}
        if (
            firewall in (None, ep.name)
            and s_zone in iface
            and d_zone in iface
            and (iface[s_zone] != iface[d_zone])
        ):
            crossed.append((ep, iface))
    # One parse of the running file, one compilation of the crossed points (not one per point).
    parsed_by_platform: dict[str, ParsedConfig] = {}
    compiled = (
        {
            rs.enforcement_point: rs
            for rs in compile_site(loaded, when, only={ep.name for ep, _ in crossed})
        }
        if running is None and crossed
        else {}
    )
    for ep, iface in crossed:
        if running is not None:
            plat = platform or ep.platform
            if plat not in parsed_by_platform:
                parsed_by_platform[plat] = parse_running(running, plat)
            parsed = parsed_by_platform[plat]
            ps = PacketSpace(s_ip.version)
            w = Witness(
                s_ip.version,
                PROTOCOLS.get(proto, 0),
                str(s_ip),
                str(d_ip),
                40000 if proto in ("tcp", "udp") else 0,
                port if proto in ("tcp", "udp") else 0,
                icmp_type or 0,
                False,
            )
            ev = _Evaluator(parsed, ps)
            action = (
                "permit" if ps.contains(ev.permitted(iface[s_zone], iface[d_zone]), w) else "deny"
            )
            line = ev.deciding(iface[s_zone], iface[d_zone], w)
            decided = f"line {line.line}: {line.text}" if line else "no line (default)"
            typer.echo(f"  {ep.name} ({parsed.path}): {action} - {decided}")
        else:
            rs = compiled[ep.name]
            action, rule = decide(
                rs, Packet(s_zone, d_zone, proto, s_ip, d_ip, dport=port, icmp_type=icmp_type)
            )
            decided = (
                f"{rule.name} {rule.remarks[0] if rule.remarks else ''}"
                if rule
                else "no rule (default deny)"
            )
            typer.echo(f"  {ep.name} (compiled {rs.platform}): {action} - {decided}")
        blocked = blocked or action != "permit"
    if not crossed:
        typer.echo("  crosses no enforcement point" + (f" named {firewall}" if firewall else ""))
    raise typer.Exit(1 if blocked else 0)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    return value


@app.command()
def parse(
    running: Annotated[Path, typer.Argument(help="Running-config file.")],
    platform: Annotated[
        str, typer.Option("--platform", "-p", help="Platform of the file.", callback=_platform)
    ],
) -> None:
    """Print the rule IR a running configuration parses into, as JSON."""
    if platform is None:
        raise SegcfgError("--platform is required")
    parsed = parse_running(running, platform)
    sys.stdout.write(json.dumps(_jsonable(parsed), indent=2) + "\n")
