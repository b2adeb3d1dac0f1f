"""Platform iptables: running-config parser into the rule IR."""
