"""Tests of ESP32 MQTT meters and their contract."""
