"""Tests of scripts/ (the parts without Home Assistant)."""
