"""Wi-Fi benchmark: analyse a 100,000-beacon capture beside tshark (``python -m benchmarks.wifi``)."""
