"""Proof with real packets: load generated nftables/iptables rule sets into a router network
namespace and send TCP, UDP and ICMP probes between namespaces holding the site's addresses."""
