"""Platform cisco_asa: running-config parser into the rule IR."""
