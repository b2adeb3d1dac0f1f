"""Shared field types: safe names and texts, services, references.

Every name that can reach a rendered configuration is restricted to letters, digits, ``-``,
``_`` and ``.`` at the type level, and every free text refuses control characters and quotes, so
no profile or site file can inject a configuration line, whatever a template does.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
IFACE_RE = r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,62}$"
# Always fullmatch, never match: Python's ``$`` also matches before a final newline, so
# ``re.match(NAME_RE, "pacs-01\n")`` succeeds and the newline would reach a configuration line.
# (In the JSON schemas the same patterns are ECMA-262, where ``$`` is the end of the text.)
_is_name = re.compile(NAME_RE).fullmatch
_is_iface = re.compile(IFACE_RE).fullmatch
# C0 and C1 controls, DEL, the Unicode line and paragraph separators, quotes, backslash, backtick.
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\"\\`]")


class Frozen(BaseModel):
    """Base of every model: immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


def fail(code: str, message: str) -> PydanticCustomError:
    """A validation error with a segcfg diagnostic code (raise the result)."""
    return PydanticCustomError(code, "{message}", {"message": message})


def _check_name(value: str) -> str:
    if not _is_name(value):
        raise fail(
            "unsafe-name",
            f"{value!r} is not a safe name: use 1-63 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (names end up in firewall configuration)",
        )
    return value


def _check_iface(value: str) -> str:
    if not _is_iface(value):
        raise fail(
            "unsafe-name",
            f"{value!r} is not a safe interface name: letters, digits, '-', '_', '.', '/', ':'",
        )
    return value


def _check_text(value: str) -> str:
    bad = _TEXT_FORBIDDEN.search(value)
    if bad:
        raise fail(
            "unsafe-text",
            f"text contains {bad.group()!r} at offset {bad.start()}: control characters, quotes, "
            "backslashes and backticks are not allowed (they could inject configuration)",
        )
    return value


Name = Annotated[
    str,
    StringConstraints(strict=True),
    AfterValidator(_check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_RE}),
]
InterfaceName = Annotated[
    str,
    StringConstraints(strict=True),
    AfterValidator(_check_iface),
    WithJsonSchema({"type": "string", "pattern": IFACE_RE}),
]
Text = Annotated[
    str,
    StringConstraints(strict=True, max_length=500),
    AfterValidator(_check_text),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 500,
            "pattern": '^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"\\\\`]*$',
        }
    ),
]

Protocol = Literal["tcp", "udp", "icmp", "icmpv6", "esp", "gre"]
PORTED = ("tcp", "udp")


class Service(Frozen):
    """A protocol with an inclusive port range (TCP/UDP) or an ICMP type, written ``tcp/443``,
    ``udp/1024-65535``, ``tcp/20-21``, ``icmp`` (every type) or ``icmp/8``."""

    protocol: Protocol
    low: Annotated[int, Field(strict=True)] = 0
    high: Annotated[int, Field(strict=True)] = 65535

    @model_validator(mode="after")
    def _bounds(self) -> Service:
        # The text form is checked by parse_service; this holds for a mapping too
        # ({protocol: tcp, low: 3389, high: 22} would otherwise be an empty range to the
        # checks and "range 3389 22" on a firewall).
        lo, hi = self.low, self.high
        if self.protocol in PORTED:
            ok = 1 <= lo <= hi <= 65535
        elif self.protocol in ("icmp", "icmpv6"):
            ok = (lo, hi) == (0, 255) or 0 <= lo == hi <= 254
        else:
            ok = (lo, hi) == (0, 0)
        if not ok:
            raise fail("bad-port", f"{self.protocol} {lo}-{hi}: not a valid port range or type")
        return self

    def __str__(self) -> str:
        if self.protocol in PORTED:
            if self.low == self.high:
                return f"{self.protocol}/{self.low}"
            return f"{self.protocol}/{self.low}-{self.high}"
        if self.protocol in ("icmp", "icmpv6") and (self.low, self.high) != (0, 255):
            return f"{self.protocol}/{self.low}"
        return self.protocol

    def overlaps(self, other: Service) -> bool:
        return self.protocol == other.protocol and self.low <= other.high and other.low <= self.high


# Echo request and reply, the ICMP types with an equivalent in the other address family.
_ECHO_ACROSS = {("icmp", 8): 128, ("icmp", 0): 129, ("icmpv6", 128): 8, ("icmpv6", 129): 0}


def icmp_in_family(protocol: str, low: int, high: int, family: int) -> tuple[str, int, int] | None:
    """An ICMP service (``icmp``/``icmpv6``, type ``low``, or every type when ``(0, 255)``) as
    an address family carries it: every type stays every type, echo request and reply become
    their counterparts (8 <-> 128, 0 <-> 129), and any other type has no equivalent (None).
    A profile's ``icmp/8`` thus allows ping6 on a dual-stack device, never ICMPv6 type 8.
    Any other protocol is returned as it is."""
    native = "icmp" if family == 4 else "icmpv6"
    if protocol == native or protocol not in ("icmp", "icmpv6"):
        return protocol, low, high
    if (low, high) == (0, 255):
        return native, 0, 255
    other = _ECHO_ACROSS.get((protocol, low))
    return None if other is None or low != high else (native, other, other)


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes other scripts' digits ('٤٤٣')."""
    return text.isascii() and text.isdigit()


def parse_service(value: Any) -> Any:
    """Parse ``proto/port[-port]`` text into a :class:`Service` field mapping."""
    if isinstance(value, (Service, dict)):
        return value
    if not isinstance(value, str):
        raise fail("bad-service", "a service is text like 'tcp/443', 'udp/5000-5010' or 'icmp'")
    text = value.strip().lower()
    proto, _, ports = text.partition("/")
    if proto not in ("tcp", "udp", "icmp", "icmpv6", "esp", "gre"):
        raise fail(
            "bad-service",
            f"unknown protocol {proto!r} in {value!r} (tcp, udp, icmp, icmpv6, esp, gre)",
        )
    if proto in PORTED:
        if not ports:
            raise fail(
                "bad-service",
                f"{value!r}: a {proto} service needs a port or range, e.g. {proto}/443",
            )
        lo_s, dash, hi_s = ports.partition("-")
        if not _is_number(lo_s) or (dash and not _is_number(hi_s)):
            raise fail(
                "bad-port", f"{value!r}: ports must be numbers, e.g. {proto}/443 or {proto}/20-21"
            )
        low, high = int(lo_s), int(hi_s) if dash else int(lo_s)
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            raise fail("bad-port", f"{value!r}: port out of range (1-65535)")
        if low > high:
            raise fail("bad-port", f"{value!r}: range starts above its end")
        return {"protocol": proto, "low": low, "high": high}
    if proto in ("icmp", "icmpv6"):
        if not ports:
            return {"protocol": proto, "low": 0, "high": 255}
        if not _is_number(ports) or int(ports) > 254:
            # 255 is reserved, and iptables reads --icmp-type 255 as every type
            raise fail("bad-service", f"{value!r}: ICMP type must be a number 0-254")
        return {"protocol": proto, "low": int(ports), "high": int(ports)}
    if ports:
        raise fail("bad-service", f"{value!r}: {proto} has no ports")
    return {"protocol": proto, "low": 0, "high": 0}


SERVICE_PATTERN = r"^(tcp|udp)/[0-9]{1,5}(-[0-9]{1,5})?$|^icmp(v6)?(/[0-9]{1,3})?$|^(esp|gre)$"
ServiceSpec = Annotated[
    Service,
    BeforeValidator(parse_service),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SERVICE_PATTERN,
            "examples": ["tcp/443", "udp/2575", "tcp/20-21", "icmp"],
        }
    ),
]

REF_KINDS = ("host", "group", "zone", "role", "class", "device", "zone-kind")
REF_RE = re.compile(
    r"^(host|group|zone|role|class|device|zone-kind):([A-Za-z0-9][A-Za-z0-9._-]{0,62})$"
)


class Ref(Frozen):
    """A reference to named things of the site: ``host:NAME``, ``group:NAME``, ``zone:NAME``,
    ``role:NAME`` (hosts with that role), ``class:NAME`` (devices of that class),
    ``device:NAME``, ``zone-kind:KIND`` (every zone of that kind)."""

    kind: Literal["host", "group", "zone", "role", "class", "device", "zone-kind"]
    name: Name

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_ref(value: Any) -> Any:
    if isinstance(value, (Ref, dict)):
        return value
    if not isinstance(value, str):
        raise fail("bad-reference", "a reference is text like 'host:jump-01' or 'role:pump-server'")
    match = REF_RE.fullmatch(value)
    if not match:
        raise fail(
            "bad-reference",
            f"{value!r} is not a reference: write KIND:NAME with KIND one of "
            + ", ".join(REF_KINDS),
        )
    return {"kind": match.group(1), "name": match.group(2)}


RefSpec = Annotated[
    Ref,
    BeforeValidator(parse_ref),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": REF_RE.pattern,
            "examples": ["host:jump-01", "role:pump-server", "zone:clin-infusion"],
        }
    ),
]
