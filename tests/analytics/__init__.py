"""Tests of the entry kinds that consume any sensor (custom_components/intelergy/analytics)."""
