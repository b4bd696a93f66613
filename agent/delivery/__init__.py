"""Delivery: everything between a finished report and the trust's collector.

signing (the agent's Ed25519 key and the signed envelope), outbox (reports waiting to be sent), upload (sending
them, with backoff), enroll (registering the key with a collector) and schedule (the nightly unattended run).
"""
