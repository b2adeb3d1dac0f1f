"""The input model: sites and device-class profiles, as frozen pydantic models."""

from segcfg.model.common import Ref, Service
from segcfg.model.profile import Communication, DeviceProfile
from segcfg.model.site import Device, EnforcementPoint, Host, Site, Zone, ZoneKind

__all__ = [
    "Communication",
    "Device",
    "DeviceProfile",
    "EnforcementPoint",
    "Host",
    "Ref",
    "Service",
    "Site",
    "Zone",
    "ZoneKind",
]
