"""Tests for the Intelergy integration."""
