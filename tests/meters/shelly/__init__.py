"""Tests of Shelly entries and their simulator."""
