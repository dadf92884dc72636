"""Tests of the ESP32 MQTT contract: payload parsing against the schemas and vectors."""
