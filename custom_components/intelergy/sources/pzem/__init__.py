"""PZEM-004T v3 energy meters over Modbus (RTU, RTU over TCP, Modbus TCP)."""
