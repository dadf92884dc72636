"""Device and API simulators on loopback: used by the tests and by scripts/develop."""
