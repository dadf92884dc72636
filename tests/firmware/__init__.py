"""Tests of the ESP32 meter firmware's host side (firmware/esp32-meter)."""
