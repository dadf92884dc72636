"""The Shelly protocol: status documents and the Gen1 HTTP client (no Home Assistant imports)."""
