"""Tests for PZEM-004T v3 meters over Modbus."""
