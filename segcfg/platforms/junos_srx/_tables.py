"""Junos names: ports, IP protocols, ICMP types, and the predefined ``junos-*`` applications."""

from __future__ import annotations

from dataclasses import dataclass

# Port names accepted by firewall filters (`destination-port ssh`) and applications.
PORTS: dict[str, int] = {
    "afs": 1483,
    "bgp": 179,
    "biff": 512,
    "bootpc": 68,
    "bootps": 67,
    "cmd": 514,
    "cvspserver": 2401,
    "dhcp": 67,
    "domain": 53,
    "eklogin": 2105,
    "ekshell": 2106,
    "exec": 512,
    "finger": 79,
    "ftp": 21,
    "ftp-data": 20,
    "http": 80,
    "https": 443,
    "ident": 113,
    "imap": 143,
    "kerberos-sec": 88,
    "klogin": 543,
    "kpasswd": 761,
    "krb-prop": 754,
    "krbupdate": 760,
    "kshell": 544,
    "ldap": 389,
    "ldp": 646,
    "login": 513,
    "mobileip-agent": 434,
    "mobilip-mn": 435,
    "msdp": 639,
    "netbios-dgm": 138,
    "netbios-ns": 137,
    "netbios-ssn": 139,
    "nfsd": 2049,
    "nntp": 119,
    "ntalk": 518,
    "ntp": 123,
    "pop3": 110,
    "pptp": 1723,
    "printer": 515,
    "radacct": 1813,
    "radius": 1812,
    "rip": 520,
    "rkinit": 2108,
    "smtp": 25,
    "snmp": 161,
    "snmptrap": 162,
    "snpp": 444,
    "socks": 1080,
    "ssh": 22,
    "sunrpc": 111,
    "syslog": 514,
    "tacacs": 49,
    "tacacs-ds": 65,
    "talk": 517,
    "telnet": 23,
    "tftp": 69,
    "timed": 525,
    "who": 513,
    "xdmcp": 177,
    "zephyr-clt": 2103,
    "zephyr-hm": 2104,
    "zephyr-srv": 2102,
}

# IP protocol names and numbers -> the IR's protocol name. The IR names tcp, udp, icmp, icmpv6,
# esp and gre; any other protocol keeps its Junos name (or its number when Junos has none).
PROTOCOLS: dict[str, str] = {
    "tcp": "tcp",
    "udp": "udp",
    "icmp": "icmp",
    "icmp6": "icmpv6",
    "icmpv6": "icmpv6",
    "esp": "esp",
    "gre": "gre",
    "ah": "ah",
    "egp": "egp",
    "igmp": "igmp",
    "ipip": "ipip",
    "ipv6": "ipv6",
    "ospf": "ospf",
    "pim": "pim",
    "rsvp": "rsvp",
    "sctp": "sctp",
    "vrrp": "vrrp",
}
PROTOCOL_NUMBERS: dict[int, str] = {
    1: "icmp",
    2: "igmp",
    4: "ipip",
    6: "tcp",
    8: "egp",
    17: "udp",
    41: "ipv6",
    46: "rsvp",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "icmpv6",
    89: "ospf",
    103: "pim",
    112: "vrrp",
    132: "sctp",
}
# Names Junos accepts for IPv6 extension headers: `next-header` values that are not an upper
# layer protocol.
EXTENSION_HEADERS = frozenset(
    {"hop-by-hop", "routing", "fragment", "dstopts", "no-next-header", "mobility"}
)

ICMP_TYPES: dict[str, int] = {
    "echo-reply": 0,
    "unreachable": 3,
    "destination-unreachable": 3,
    "source-quench": 4,
    "redirect": 5,
    "echo-request": 8,
    "router-advertisement": 9,
    "router-solicit": 10,
    "time-exceeded": 11,
    "parameter-problem": 12,
    "timestamp": 13,
    "timestamp-reply": 14,
    "info-request": 15,
    "info-reply": 16,
    "mask-request": 17,
    "mask-reply": 18,
}
ICMP6_TYPES: dict[str, int] = {
    "destination-unreachable": 1,
    "packet-too-big": 2,
    "time-exceeded": 3,
    "parameter-problem": 4,
    "echo-request": 128,
    "echo-reply": 129,
    "membership-query": 130,
    "membership-report": 131,
    "membership-termination": 132,
    "router-solicit": 133,
    "router-advertisement": 134,
    "neighbor-solicit": 135,
    "neighbor-advertisement": 136,
    "redirect": 137,
    "router-renumbering": 138,
    "node-information-query": 139,
    "node-information-reply": 140,
    "inverse-neighbor-discovery-solicitation": 141,
    "inverse-neighbor-discovery-advertisement": 142,
    "home-agent-address-discovery-request": 144,
    "home-agent-address-discovery-reply": 145,
    "mobile-prefix-solicitation": 146,
    "mobile-prefix-advertisement": 147,
    "certificate-path-solicitation": 148,
    "certificate-path-advertisement": 149,
    "private-experimentation-100": 100,
    "private-experimentation-101": 101,
    "private-experimentation-200": 200,
    "private-experimentation-201": 201,
}


@dataclass(frozen=True)
class AppTerm:
    """One term of an application: what a policy's ``match application`` matches."""

    protocol: str | None  # IR protocol name; None = any
    src_ports: tuple[tuple[int, int], ...] = ()
    dst_ports: tuple[tuple[int, int], ...] = ()
    icmp_type: int | None = None


def _tcp(port: int, hi: int | None = None) -> tuple[AppTerm, ...]:
    return (AppTerm("tcp", dst_ports=((port, hi or port),)),)


def _udp(port: int, hi: int | None = None) -> tuple[AppTerm, ...]:
    return (AppTerm("udp", dst_ports=((port, hi or port),)),)


# The predefined applications of the junos-defaults group that this parser knows exactly
# (protocol and destination port of each; none of them restricts the source port). Any other
# `junos-*` name is reported as unsupported rather than guessed.
JUNOS_DEFAULT_APPS: dict[str, tuple[AppTerm, ...]] = {
    "junos-bgp": _tcp(179),
    "junos-biff": _udp(512),
    "junos-bootpc": _udp(68),
    "junos-bootps": _udp(67),
    "junos-cvspserver": _tcp(2401),
    "junos-dhcp-client": _udp(68),
    "junos-dhcp-relay": _udp(67),
    "junos-dhcp-server": _udp(67),
    "junos-dns-tcp": _tcp(53),
    "junos-dns-udp": _udp(53),
    "junos-finger": _tcp(79),
    "junos-ftp": _tcp(21),
    "junos-ftp-data": _tcp(20),
    "junos-gre": (AppTerm("gre"),),
    "junos-http": _tcp(80),
    "junos-http-ext": _tcp(7001),
    "junos-https": _tcp(443),
    "junos-icmp-all": (AppTerm("icmp"),),
    "junos-icmp-ping": (AppTerm("icmp", icmp_type=8),),
    "junos-icmp6-all": (AppTerm("icmpv6"),),
    "junos-ident": _tcp(113),
    "junos-ike": _udp(500),
    "junos-ike-nat": _udp(4500),
    "junos-imap": _tcp(143),
    "junos-imaps": _tcp(993),
    "junos-l2tp": _udp(1701),
    "junos-ldap": _tcp(389),
    "junos-ldp-tcp": _tcp(646),
    "junos-ldp-udp": _udp(646),
    "junos-ms-sql": _tcp(1433),
    "junos-nbds": _udp(138),
    "junos-nbname": _udp(137),
    "junos-netbios-session": _tcp(139),
    "junos-nfsd-tcp": _tcp(2049),
    "junos-nfsd-udp": _udp(2049),
    "junos-nntp": _tcp(119),
    "junos-ntp": _udp(123),
    "junos-ospf": (AppTerm("ospf"),),
    "junos-ping": (AppTerm("icmp", icmp_type=8),),
    "junos-pingv6": (AppTerm("icmpv6", icmp_type=128),),
    "junos-pop3": _tcp(110),
    "junos-pptp": _tcp(1723),
    "junos-printer": _tcp(515),
    "junos-radacct": _udp(1813),
    "junos-radius": _udp(1812),
    "junos-rip": _udp(520),
    "junos-rsh": _tcp(514),
    "junos-rtsp": _tcp(554),
    "junos-smb-session": _tcp(445),
    "junos-smtp": _tcp(25),
    "junos-snmp-agentx": _tcp(705),
    "junos-snpp": _tcp(444),
    "junos-sqlnet-v2": _tcp(1521),
    "junos-ssh": _tcp(22),
    "junos-syslog": _udp(514),
    "junos-tacacs": _tcp(49),
    "junos-tacacs-ds": _tcp(65),
    "junos-tcp-any": (AppTerm("tcp"),),
    "junos-telnet": _tcp(23),
    "junos-tftp": _udp(69),
    "junos-udp-any": (AppTerm("udp"),),
    "junos-who": _udp(513),
    "junos-xnm-clear-text": _tcp(3221),
    "junos-xnm-ssl": _tcp(3220),
}

# Predefined applications with an application-layer gateway: a permit also opens the related
# connections the gateway negotiates (FTP data, RTSP media, ...), which are not modelled.
ALG_APPS = frozenset(
    {"junos-ftp", "junos-tftp", "junos-rtsp", "junos-pptp", "junos-sqlnet-v2", "junos-rsh"}
)
# `application-protocol` values of custom applications that open related connections.
ALG_PROTOCOLS = frozenset(
    {
        "ftp",
        "tftp",
        "rtsp",
        "pptp",
        "sqlnet",
        "sqlnet-v2",
        "sip",
        "h323",
        "mgcp-ca",
        "mgcp-ua",
        "sccp",
        "ms-rpc",
        "sun-rpc",
        "rpc",
        "rsh",
        "talk",
        "realaudio",
        "netshow",
        "dce-rpc",
        "dce-rpc-portmap",
        "rpc-portmap",
    }
)
