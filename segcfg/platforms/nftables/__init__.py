"""Platform nftables: running-config parser into the rule IR."""
