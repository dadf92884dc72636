"""Tests of the HA-free energy logic."""
