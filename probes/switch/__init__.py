"""Switch probe: read-only SSH (netmiko) and SNMP (pysnmp 7) collection, one module per platform.

Adding a platform is one module (see :mod:`probes.switch.platforms`) and one fixture folder under
``tests/fixtures/switch/<platform>/``.
"""
