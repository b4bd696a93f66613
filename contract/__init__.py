"""The shared contract: what probes, the standards map, the agent and the collector exchange.

This package is the leaf of the dependency graph: it imports nothing of the project. Evidence models,
the status vocabulary, results and reports, the signed envelope and secret references live here, so a
consumer never imports upwards into the package that happens to produce them.
"""
