"""Tests for ELNET prepaid-meter accounts."""
