"""The firewall area: the boundary seen from the network (exposure, inbound, egress) and, from
``probes.firewall.device``, the firewall's own configuration."""
