"""Tests of the Shelly protocol client: Gen1 and Gen2+ status parsing, the Gen1 HTTP client."""
