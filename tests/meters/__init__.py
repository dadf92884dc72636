"""Tests of the entry kinds that read a device or an account (custom_components/intelergy/meters)."""
