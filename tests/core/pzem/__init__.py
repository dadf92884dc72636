"""Tests of the PZEM-004T Modbus client and its register decoding."""
