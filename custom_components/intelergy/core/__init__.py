"""Intelergy's logic with no Home Assistant imports (a test fails if one appears).

``counter``: the one counter model (lifetime totals counted exactly once);
``throttle``: the recorder write-throttling rule; ``backlog``: an outage's
hourly statistics rows; ``backoff``: retry delays; ``tariff``, ``ledger``,
``prediction``, ``prepaid``, ``invoice``: bills, cycles, projections and PDF
invoices; ``anomaly``: detectors for one power stream; ``<kind>/client.py``:
each kind's protocol (Shelly status + Gen1 HTTP, the ESP32 MQTT contract, PZEM
Modbus, ELNET HTTP JSON; ELNET's reading tracker beside it).
"""
