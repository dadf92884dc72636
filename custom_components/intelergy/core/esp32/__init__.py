"""The Intelergy MQTT meter contract (no Home Assistant imports)."""
