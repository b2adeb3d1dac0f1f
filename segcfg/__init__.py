"""segcfg: medical-device segmentation policy compiled into firewall configuration."""

__version__ = "0.1.0"
