"""Platform cisco_ios: running-config parser into the rule IR."""
