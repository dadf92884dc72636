"""Blueprints tested inside Home Assistant."""
