"""Tests of billing entries, their sensors and actions."""
