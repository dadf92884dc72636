"""ELNET's HTTP JSON API and the tracker of its readings (no Home Assistant imports)."""
