"""Platform junos_srx: running-config parser into the rule IR."""
