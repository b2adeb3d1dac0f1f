"""Pull running configurations from the enforcement points: the only module that imports
NAPALM, Netmiko and Nornir (the ``live`` extra).

Cisco IOS and Junos go through NAPALM's ``get_config(retrieve="running")``; Cisco ASA has no
NAPALM core driver, so it is pulled with Netmiko (NAPALM's own SSH transport, device type
``cisco_asa``) running ``show running-config``; Linux firewalls with Netmiko's ``linux`` type
running ``nft list ruleset`` or ``iptables-save``. A fleet runs through Nornir with a threaded
runner; every device's failure is its own and the others go on.

Credentials come from environment variables (``SEGCFG_USERNAME``, ``SEGCFG_PASSWORD``, per
device ``SEGCFG_PASSWORD_<NAME>`` with ``-``/``.`` as ``_``) or from a credentials file outside
the repository; they are never in the site file, never printed, never stored.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segcfg.drift import Pulled
from segcfg.errors import Diagnostic, InputError, Location, Severity
from segcfg.load import LoadedSite
from segcfg.model.site import EnforcementPoint
from segcfg.yamlsrc import load_yaml_file

NETMIKO_COMMANDS = {
    "cisco-asa": ("cisco_asa", "show running-config"),
    "nftables": ("linux", "nft list ruleset"),
    "iptables": ("linux", "iptables-save"),
}


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never shows the password, even in a traceback
        return f"Credentials(username={self.username!r}, password=***)"


def _env_key(name: str) -> str:
    return "SEGCFG_PASSWORD_" + name.upper().replace("-", "_").replace(".", "_")


def load_credentials(
    names: list[str], site_dir: Path, path: Path | None = None
) -> dict[str, Credentials]:
    """Credentials per enforcement point, from a file outside the repository or the
    environment. A device without credentials is simply absent (reported when pulled)."""
    out: dict[str, Credentials] = {}
    per_file: dict[str, Any] = {}
    default_file: dict[str, Any] = {}
    if path is not None:
        _refuse_inside_repository(path, site_dir)
        data = load_yaml_file(path).data
        if not isinstance(data, dict):
            raise InputError(
                Diagnostic(
                    Location(str(path), 1, 1),
                    Severity.ERROR,
                    "a credentials file is a mapping",
                    "wrong-type",
                )
            )
        default_file = data.get("default") or {}
        per_file = data.get("devices") or {}
    user_env = os.environ.get("SEGCFG_USERNAME")
    pass_env = os.environ.get("SEGCFG_PASSWORD")
    for name in names:
        entry = per_file.get(name) or {}
        user = entry.get("username") or default_file.get("username") or user_env
        password = (
            entry.get("password")
            or os.environ.get(_env_key(name))
            or default_file.get("password")
            or pass_env
        )
        if user and password:
            out[name] = Credentials(str(user), str(password))
    return out


def _refuse_inside_repository(path: Path, site_dir: Path) -> None:
    top = subprocess.run(
        ["git", "-C", str(site_dir.resolve()), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    roots = [site_dir.resolve()]
    if top.returncode == 0:
        roots.append(Path(top.stdout.strip()).resolve())
    resolved = path.resolve()
    for root in roots:
        if resolved.is_relative_to(root):
            raise InputError(
                Diagnostic(
                    Location(str(path)),
                    Severity.ERROR,
                    f"the credentials file is inside {root}: keep credentials outside the "
                    "repository and the site directory",
                    "secret-in-site",
                )
            )


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out and len(out) < 10:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _describe(exc: BaseException) -> str:
    """A failure in words (the whole exception chain is looked at: NAPALM wraps the cause)."""
    chain = _chain(exc)
    words = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    kind = type(exc).__name__
    if (
        any(isinstance(e, ConnectionRefusedError) for e in chain)
        or "refused" in words
        or any(type(e).__name__ == "NoValidConnectionsError" for e in chain)
    ):
        return f"connection refused ({kind})"
    if "authentication" in words or "auth" in kind.lower():
        return f"authentication refused ({kind})"
    if (
        any(isinstance(e, TimeoutError) for e in chain)
        or "timed out" in words
        or ("timeout" in words)
    ):
        return f"timed out ({kind})"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{kind}: {text[:200]}"


NAPALM_DRIVERS = {"cisco-ios": "ios", "junos-srx": "junos"}


@dataclass(frozen=True)
class Target:
    """Where and how to reach one enforcement point."""

    host: str
    port: int
    driver: str
    optional_args: Mapping[str, Any]


def site_target(ep: EnforcementPoint) -> Target | None:
    if ep.napalm is None:
        return None
    return Target(ep.napalm.host, ep.napalm.port, ep.napalm.driver, dict(ep.napalm.optional_args))


def _pull_one(platform: str, target: Target, creds: Credentials, timeout: float) -> str:
    if platform in NETMIKO_COMMANDS:
        from netmiko import ConnectHandler

        device_type, command = NETMIKO_COMMANDS[platform]
        with ConnectHandler(
            device_type=device_type,
            host=target.host,
            port=target.port,
            username=creds.username,
            password=creds.password,
            conn_timeout=timeout,
            auth_timeout=timeout,
            banner_timeout=timeout,
            **dict(target.optional_args),
        ) as conn:
            return str(conn.send_command(command, read_timeout=max(10.0, timeout * 4)))
    import napalm

    driver = napalm.get_network_driver(target.driver)
    args: dict[str, Any] = {
        "port": target.port,
        "conn_timeout": timeout,
        **dict(target.optional_args),
    }
    device = driver(
        hostname=target.host,
        username=creds.username,
        password=creds.password,
        timeout=int(max(1, timeout)),
        optional_args=args,
    )
    device.open()
    try:
        return str(device.get_config(retrieve="running")["running"])
    finally:
        device.close()


def pull_running(
    loaded: LoadedSite,
    names: list[str],
    credentials: Mapping[str, Credentials],
    workers: int = 4,
    timeout: float = 5.0,
    progress: Callable[[str, bool], None] | None = None,
    nornir_config: Path | None = None,
) -> list[Pulled]:
    """Pull the running configuration of each named enforcement point through Nornir.

    The inventory is built from the site's ``napalm:`` blocks, or, with ``nornir_config``,
    taken from the user's own Nornir configuration (hosts named as the enforcement points;
    their hostname, port, username and password there, segcfg's credentials otherwise)."""
    from nornir.core import Nornir
    from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
    from nornir.core.task import Result, Task
    from nornir.plugins.runners import ThreadedRunner

    eps = {ep.name: ep for ep in loaded.site.enforcement_points}
    out: dict[str, Pulled] = {}
    targets: dict[str, tuple[Target, Credentials]] = {}
    user_hosts: dict[str, Host] = {}
    if nornir_config is not None:
        from nornir import InitNornir

        user_hosts = dict(
            InitNornir(config_file=str(nornir_config), logging={"enabled": False}).inventory.hosts
        )
    for name in names:
        ep = eps[name]
        target = site_target(ep)
        creds = credentials.get(name)
        if nornir_config is not None:
            host = user_hosts.get(name)
            if host is None:
                out[name] = Pulled(
                    name, ep.platform, None, f"no host {name} in the Nornir inventory"
                )
                continue
            driver = target.driver if target else NAPALM_DRIVERS.get(ep.platform, "")
            target = Target(
                str(host.hostname or name),
                int(host.port or 22),
                driver,
                target.optional_args if target else {},
            )
            if host.username and host.password:
                creds = Credentials(str(host.username), str(host.password))
        if target is None:
            out[name] = Pulled(name, ep.platform, None, "no napalm target in the site file")
        elif creds is None:
            out[name] = Pulled(
                name,
                ep.platform,
                None,
                f"no credentials (set SEGCFG_USERNAME and SEGCFG_PASSWORD or "
                f"{_env_key(name)}, or use --credentials)",
            )
        else:
            targets[name] = (target, creds)

    def task(task: Task) -> Result:
        target, creds = targets[task.host.name]
        text = _pull_one(eps[task.host.name].platform, target, creds, timeout)
        return Result(host=task.host, result=text)

    if targets:
        hosts = Hosts(
            {
                name: Host(name=name, hostname=t.host, port=t.port, defaults=Defaults())
                for name, (t, _) in targets.items()
            }
        )
        inventory = Inventory(hosts=hosts, groups=Groups(), defaults=Defaults())
        nr = Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=max(1, workers)))
        results = nr.run(task=task, on_failed=True)
        for name, multi in results.items():
            ep = eps[name]
            first = multi[0]
            if multi.failed or first.exception is not None:
                exc = first.exception or RuntimeError("failed")
                out[name] = Pulled(name, ep.platform, None, _describe(exc))
            else:
                out[name] = Pulled(name, ep.platform, str(first.result))
            if progress is not None:
                progress(name, out[name].config is not None)
    return [out[n] for n in names]
