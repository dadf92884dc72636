"""The PZEM-004T's Modbus protocol (no Home Assistant imports)."""
