"""Device-class profiles: what one class of device must talk to, and why, with sources."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from segcfg.model.common import Frozen, Name, RefSpec, ServiceSpec, Text, fail

PROFILE_PEER_KINDS = ("role", "class", "zone-kind")


class Requirement(Frozen):
    """Common to every declared need: its services, why, and where the fact comes from."""

    services: tuple[ServiceSpec, ...] = Field(min_length=1)
    why: Text
    source: Text = Field(
        description="a public document (manual, MDS2, network disclosure) or 'typical' when the "
        "exact value must come from the vendor"
    )


class Communication(Requirement):
    """One required flow between the device and a peer."""

    initiator: Literal["device", "peer"]
    peer: RefSpec = Field(
        description="role:NAME (site hosts with that role), class:NAME (devices of that class) "
        "or zone-kind:KIND"
    )

    @field_validator("peer")
    @classmethod
    def _portable_peer(cls, value: RefSpec) -> RefSpec:
        if value.kind not in PROFILE_PEER_KINDS:
            raise fail(
                "bad-reference",
                f"a profile is site-independent: its peer must be role:, class: or zone-kind:, "
                f"not {value.kind}: (bind hosts to roles in the site file)",
            )
        return value


class Management(Requirement):
    """Device-management access: from the site's management sources, on these services."""

    from_: Literal["management"] = Field(
        default="management",
        alias="from",
        description="'management': the site's policy.management_sources",
    )


class VendorSupport(Requirement):
    """Services the manufacturer's remote-access pool may use toward its own devices."""


class InternetNeed(Requirement):
    """Internet access the device asks for; never compiled unless the site files an exception
    with owner and expiry for this class."""


class DeviceProfile(Frozen):
    """A device class profile, as written in ``device_profiles/<class>.yaml``."""

    class_: Name = Field(alias="class")
    manufacturer: Name
    models: tuple[Text, ...] = ()
    description: Text = ""
    medical_device: bool = True
    communications: tuple[Communication, ...] = ()
    management: tuple[Management, ...] = ()
    vendor_support: VendorSupport | None = None
    internet: tuple[InternetNeed, ...] = ()
