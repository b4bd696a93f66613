"""Broadband probe: throughput and latency backends (http, speedtest, iperf3), the agent's link, WAN links, history."""
