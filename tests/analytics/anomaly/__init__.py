"""Tests of anomaly monitors in Home Assistant."""
