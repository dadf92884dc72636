"""Tests of the simulators that have no kind of their own in tests/."""
