"""Entry kinds that read a device or an account: Shelly, ESP32 (MQTT), PZEM (Modbus), ELNET."""
