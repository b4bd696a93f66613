"""Probes collect evidence and never judge it. Importing this package pulls in no probe library."""
