"""The site: zones, hosts, groups, device inventory, enforcement points and policies."""

from __future__ import annotations

import ipaddress
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    WithJsonSchema,
    model_validator,
)

from segcfg.model.common import (
    Frozen,
    InterfaceName,
    Name,
    Ref,
    RefSpec,
    Service,
    ServiceSpec,
    Text,
    fail,
    parse_ref,
    parse_service,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ZoneKind(StrEnum):
    CLINICAL = "clinical"
    CLINICAL_SERVERS = "clinical_servers"
    MAINTENANCE = "maintenance"
    SCANNER = "scanner"
    VENDOR_REMOTE = "vendor_remote"
    REMOTE_ACCESS = "remote_access"
    MANAGEMENT = "management"
    IT_SERVERS = "it_servers"
    CORPORATE = "corporate"
    GUEST = "guest"
    INTERNET = "internet"


def _parse_network(value: Any) -> Any:
    if not isinstance(value, str):
        raise fail("bad-network", "a network is text like '10.20.10.0/24' or '2001:db8:10::/64'")
    if "%" in value:  # ipaddress keeps any text after '%' (a scope), newlines included
        raise fail("bad-network", f"{value!r}: a scoped IPv6 network ('%' zone) cannot be filtered")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(value, strict=False)
            raise fail(
                "bad-network", f"{value!r} has host bits set (did you mean {fixed}?)"
            ) from None
        raise fail("bad-network", f"{value!r} is not a valid IPv4 or IPv6 network") from None


def _parse_address(value: Any) -> Any:
    if not isinstance(value, str):
        raise fail("bad-address", "an address is text like '10.20.10.11' or '2001:db8::11'")
    if "%" in value:  # ipaddress keeps any text after '%' (a scope), newlines included
        raise fail("bad-address", f"{value!r}: a scoped IPv6 address ('%' zone) cannot be filtered")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise fail("bad-address", f"{value!r} is not a valid IPv4 or IPv6 address") from None


Network = Annotated[
    IPNetwork,
    BeforeValidator(_parse_network),
    WithJsonSchema({"type": "string", "examples": ["10.20.10.0/24", "2001:db8:10::/64"]}),
]
Address = Annotated[
    IPAddress,
    BeforeValidator(_parse_address),
    WithJsonSchema({"type": "string", "examples": ["10.20.10.11"]}),
]


def _vlan(value: int) -> int:
    if not 1 <= value <= 4094:
        raise fail("bad-vlan", f"VLAN {value} out of range (1-4094)")
    return value


class Zone(Frozen):
    name: Name
    kind: ZoneKind
    networks: tuple[Network, ...] = ()
    vlan: Annotated[int, Field(strict=True), AfterValidator(_vlan)] | None = None
    manufacturer: Name | None = Field(
        default=None, description="vendor_remote zones: whose remote-access pool this is"
    )
    description: Text = ""

    @model_validator(mode="after")
    def _kind_rules(self) -> Zone:
        if self.kind is ZoneKind.VENDOR_REMOTE and self.manufacturer is None:
            raise fail("zone-kind", "a vendor_remote zone must name its manufacturer")
        if self.kind is not ZoneKind.VENDOR_REMOTE and self.manufacturer is not None:
            raise fail("zone-kind", "only vendor_remote zones have a manufacturer")
        if self.kind is not ZoneKind.INTERNET and not self.networks:
            raise fail("zone-kind", f"zone of kind {self.kind.value} needs at least one network")
        return self


class Host(Frozen):
    name: Name
    address: Address
    zone: Name
    roles: tuple[Name, ...] = ()
    description: Text = ""


class Group(Frozen):
    name: Name
    members: tuple[RefSpec, ...] = Field(min_length=1)
    description: Text = ""


class Device(Frozen):
    """One medical (or other profiled) device instance of the inventory."""

    name: Name
    class_: Name = Field(alias="class")
    address: Address
    zone: Name
    model: Text = ""
    serial: Text = ""
    location: Text = ""


class Interface(Frozen):
    """An interface of an enforcement point: the zone it guards (directly attached), and/or
    zones reached through it (an uplink or transit toward zones guarded elsewhere)."""

    name: InterfaceName = Field(description="interface, nameif (ASA) or unit (Junos)")
    zone: Name | None = Field(default=None, description="the zone this interface guards")
    reaches: tuple[Name, ...] = Field(
        default=(), description="zones reached through this interface, guarded elsewhere"
    )

    @model_validator(mode="after")
    def _some_zone(self) -> Interface:
        if self.zone is None and not self.reaches:
            raise fail("missing-key", "an interface needs a zone, reaches, or both")
        return self

    def zones(self) -> tuple[str, ...]:
        return ((self.zone,) if self.zone else ()) + self.reaches


_SECRET_WORDS = ("password", "secret", "passphrase", "token", "key_file", "keyfile", "private")


def _not_secret(key: str) -> str:
    if any(word in key.lower() for word in _SECRET_WORDS):
        raise fail(
            "secret-in-site",
            f"optional_args.{key}: credentials never belong in the site file; "
            "use environment variables or a credentials file outside the repository",
        )
    return key


OptionalArgKey = Annotated[Name, AfterValidator(_not_secret)]


class NapalmTarget(Frozen):
    """How NAPALM reaches the device. Credentials never live here."""

    driver: Name
    host: Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$")]
    port: Annotated[int, Field(strict=True, ge=1, le=65535)] = 22
    optional_args: dict[OptionalArgKey, str | int | bool] = Field(default_factory=dict)


Platform = Literal["cisco-ios", "cisco-asa", "junos-srx", "nftables", "iptables"]


class EnforcementPoint(Frozen):
    name: Name
    platform: Platform
    interfaces: tuple[Interface, ...] = Field(min_length=1)
    napalm: NapalmTarget | None = None
    description: Text = ""


DEFAULT_REMOTE_ACCESS_PORTS: tuple[str, ...] = (
    "tcp/20-21",  # FTP
    "tcp/22",  # SSH
    "tcp/23",  # Telnet
    "tcp/3389",  # RDP
    "udp/3389",  # RDP over UDP
    "tcp/5900-5903",  # VNC
    "tcp/5938",  # TeamViewer
)


def _parse_target(value: Any) -> Any:
    return value if value == "internet" else parse_ref(value)


ExceptionTarget = Annotated[
    Ref | Literal["internet"],
    BeforeValidator(_parse_target),
    WithJsonSchema({"type": "string", "examples": ["internet", "host:pacs-01"]}),
]


class PolicyException(Frozen):
    """A time-limited, owned allowance outside the profiles (e.g. internet for one class)."""

    id: Name
    owner: Name
    ticket: Name
    expires: date
    reason: Text
    from_: tuple[RefSpec, ...] = Field(alias="from", min_length=1)
    to: tuple[ExceptionTarget, ...] = Field(min_length=1)
    services: tuple[ServiceSpec, ...] = Field(min_length=1)


class Policy(Frozen):
    management_sources: tuple[RefSpec, ...] = ()
    remote_access_gateway: RefSpec | None = None
    scanner_sources: tuple[RefSpec, ...] = Field(
        default=(), description="default: every zone of kind scanner"
    )
    scan_allowed: tuple[RefSpec, ...] = Field(
        default=(), description="where scanning is allowed; default: every maintenance zone"
    )
    decoys: tuple[RefSpec, ...] = Field(default=(), description="default: hosts with role decoy")
    remote_access_ports: tuple[ServiceSpec, ...] = Field(
        default_factory=lambda: tuple(
            Service.model_validate(parse_service(s)) for s in DEFAULT_REMOTE_ACCESS_PORTS
        ),
        description="ports whose use toward clinical zones is denied and logged (REMOTE-ACCESS); "
        "added to the defaults (FTP, SSH, Telnet, RDP, VNC, TeamViewer), which always apply",
    )
    exceptions: tuple[PolicyException, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _remote_access_floor(cls, data: Any) -> Any:
        """The site's list adds to the defaults and never removes one (found in review: an
        empty list dropped every REMOTE-ACCESS deny and the guarantee's check). Appended, so
        a bad entry of the site's list keeps its index for the error's location."""
        if isinstance(data, dict) and isinstance(data.get("remote_access_ports"), list | tuple):
            given = list(data["remote_access_ports"])
            extra = [p for p in DEFAULT_REMOTE_ACCESS_PORTS if p not in given]
            data = {**data, "remote_access_ports": [*given, *extra]}
        return data


class Site(Frozen):
    site: Name
    description: Text = ""
    profile_dirs: tuple[Annotated[str, Field(strict=True, min_length=1)], ...] = ("@builtin",)
    inventory: tuple[Annotated[str, Field(strict=True, min_length=1)], ...] = ()
    zones: tuple[Zone, ...] = Field(min_length=1)
    hosts: tuple[Host, ...] = ()
    groups: tuple[Group, ...] = ()
    devices: tuple[Device, ...] = ()
    enforcement_points: tuple[EnforcementPoint, ...] = ()
    policy: Policy = Policy()
