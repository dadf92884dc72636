"""Seeded device lives run end to end: simulators, real entries, a real recorder."""
