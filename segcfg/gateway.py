"""The MFA remote-access gateway that vendor access must come through (guarantee 3, HICP 9.M.C).

Vendor pools are the addresses the gateway gives each vendor's field-service sessions; their
flows are only safe when a gateway is declared and it sits in a remote-access zone. ``lint``
reports these errors, and ``compile`` refuses a site that has any (found in review: without a
gateway, or with a guest-network host as the gateway, the vendor permits compiled all the same).
"""

from __future__ import annotations

from segcfg.errors import Diagnostic, Severity
from segcfg.load import LoadedSite
from segcfg.model.site import ZoneKind
from segcfg.resolve import Resolver


def gateway_errors(loaded: LoadedSite) -> list[Diagnostic]:
    site = loaded.site
    gateway = site.policy.remote_access_gateway
    out: list[Diagnostic] = []
    if gateway is None:
        for i, z in enumerate(site.zones):
            if z.kind is ZoneKind.VENDOR_REMOTE:
                out.append(
                    Diagnostic(
                        loaded.where("zones", i),
                        Severity.ERROR,
                        f"vendor pool {z.name} exists but policy.remote_access_gateway (the MFA "
                        "gateway) is not declared",
                        "no-mfa-gateway",
                        "9.M.C",
                    )
                )
        return out
    kinds = {z.name: z.kind for z in site.zones}
    if ZoneKind.VENDOR_REMOTE not in kinds.values():
        return out  # no vendor pools: the gateway guards nothing segcfg compiles
    for ep in Resolver(loaded).resolve(gateway):
        if kinds.get(ep.zone) is not ZoneKind.REMOTE_ACCESS:
            out.append(
                Diagnostic(
                    loaded.where("policy", "remote_access_gateway"),
                    Severity.ERROR,
                    f"the MFA gateway {gateway} is {ep.name} in zone {ep.zone}, not in a "
                    "remote_access zone",
                    "mfa-gateway-zone",
                    "9.M.C",
                )
            )
    return out
