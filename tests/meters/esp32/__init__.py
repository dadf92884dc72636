"""Tests of ESP32 MQTT meters in Home Assistant, on a real Mosquitto."""
