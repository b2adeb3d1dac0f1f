"""A router network namespace with one veth link per interface of an enforcement point, and
one side namespace per link holding the addresses of the zones behind it.

Every namespace is named ``segcfg-<run id>-...``; none has a link to the host's network; all
addresses are from 198.18.0.0/15. Everything created is recorded and removed by
:meth:`TestBed.close`, also after errors and interrupts, and nothing else is touched.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from segcfg.errors import Diagnostic, Location, SegcfgError, Severity

TEST_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
TRANSIT = ipaddress.IPv4Network("198.19.255.0/24")


class TestBedError(SegcfgError):
    """The test bed could not be built (not root, no netns support, a missing tool)."""


def _fail(message: str) -> TestBedError:
    return TestBedError(Diagnostic(Location("<prove>"), Severity.ERROR, message, "testbed"))


def run(cmd: list[str], *, input_text: str | None = None) -> str:
    proc = subprocess.run(cmd, input=input_text, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise _fail(f"{' '.join(cmd)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


@dataclass
class Agent:
    """A probe agent process inside one namespace, spoken to over pipes."""

    namespace: str
    proc: subprocess.Popen[str]

    def call(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise _fail(f"probe agent in {self.namespace} stopped")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self) -> None:
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Link:
    interface: str  # the enforcement point's interface name, inside the router namespace
    side: str  # side namespace name
    router_ip: ipaddress.IPv4Address
    side_ip: ipaddress.IPv4Address
    networks: list[ipaddress.IPv4Network]  # routed from the router toward this side
    addresses: list[ipaddress.IPv4Address]  # probe addresses living in the side namespace
    default: bool = False  # the internet sits behind this link


@dataclass
class TestBed:
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    namespaces: list[str] = field(default_factory=list)
    agents: dict[str, Agent] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    @property
    def router(self) -> str:
        return f"segcfg-{self.run_id}-fw"

    def check_host(self) -> None:
        if os.geteuid() != 0:
            raise _fail("segcfg prove needs root (it creates network namespaces)")
        for tool in ("ip", "nft", "iptables-restore", "ping"):
            if shutil.which(tool) is None:
                raise _fail(f"{tool} is not installed")

    def _add_ns(self, name: str) -> None:
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        for key in ("all", "default", "lo"):
            run(
                [
                    "ip",
                    "netns",
                    "exec",
                    name,
                    "sysctl",
                    "-q",
                    "-w",
                    f"net.ipv4.conf.{key}.rp_filter=0",
                ]
            )

    def build(
        self,
        interfaces: list[
            tuple[str, list[ipaddress.IPv4Network], list[ipaddress.IPv4Address], bool]
        ],
    ) -> None:
        """``interfaces``: (name, routed networks, probe addresses, internet behind it)."""
        self.check_host()
        self._add_ns(self.router)
        run(["ip", "netns", "exec", self.router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        transit: list[ipaddress.IPv4Network] = list(TRANSIT.subnets(new_prefix=30))
        if len(interfaces) > len(transit):
            raise _fail("too many interfaces for the transit range")
        for k, (name, nets, addrs, default) in enumerate(interfaces):
            side = f"segcfg-{self.run_id}-s{k}"
            self._add_ns(side)
            router_ip, side_ip = list(transit[k].hosts())[:2]
            # Both ends get their own interface index (a fresh pair may otherwise share one).
            run(
                [
                    "ip",
                    "-n",
                    self.router,
                    "link",
                    "add",
                    name,
                    "index",
                    str(100 + k),
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "up0",
                    "index",
                    str(300 + k),
                    "netns",
                    side,
                ]
            )
            run(["ip", "-n", self.router, "addr", "add", f"{router_ip}/30", "dev", name])
            run(["ip", "-n", side, "addr", "add", f"{side_ip}/30", "dev", "up0"])
            run(["ip", "-n", self.router, "link", "set", name, "up"])
            run(["ip", "-n", side, "link", "set", "up0", "up"])
            for addr in addrs:
                run(["ip", "-n", side, "addr", "add", f"{addr}/32", "dev", "lo"])
            run(["ip", "-n", side, "route", "add", "default", "via", str(router_ip)])
            for net in nets:
                run(["ip", "-n", self.router, "route", "replace", str(net), "via", str(side_ip)])
            if default:
                run(["ip", "-n", self.router, "route", "add", "default", "via", str(side_ip)])
            self.links.append(Link(name, side, router_ip, side_ip, nets, addrs, default))
        for link in self.links:
            self._wait_carrier(self.router, link.interface)
            self._wait_carrier(link.side, "up0")
        for link in self.links:
            self.agents[link.side] = self._start_agent(link.side)

    def _wait_carrier(self, ns: str, dev: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = run(["ip", "-n", ns, "-o", "link", "show", dev])
            if "LOWER_UP" in out and "state UP" in out:
                return
            time.sleep(0.05)
        raise _fail(f"{dev} in {ns} has no carrier after {timeout} s")

    def _start_agent(self, ns: str) -> Agent:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "segcfg.prove.agent"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        agent = Agent(ns, proc)
        return agent

    def load_nftables(self, text: str) -> None:
        self.reset_rules()
        run(["ip", "netns", "exec", self.router, "nft", "-f", "-"], input_text=text)

    def load_iptables(self, text: str) -> None:
        self.reset_rules()
        run(["ip", "netns", "exec", self.router, "iptables-restore"], input_text=text)

    def reset_rules(self) -> None:
        """No rules, no connection state: each round starts clean."""
        run(["ip", "netns", "exec", self.router, "nft", "flush", "ruleset"])
        if shutil.which("conntrack"):
            subprocess.run(
                ["ip", "netns", "exec", self.router, "conntrack", "-F"],
                capture_output=True,
                check=False,
            )

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        self.agents.clear()
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        self.namespaces.clear()

    def __enter__(self) -> TestBed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
