"""Energy logic shared by every source, with no Home Assistant imports.

``totalizer``: lifetime totals from counters that reset; ``throttle``: the
write-throttling rule; ``backlog``: hourly statistics rows from buffered readings;
``tariff``: slab / whole-bill tariffs, fixed charges, tax, time of use, billing
cycles; ``prediction``: a cycle's projected energy and bill; ``invoice``: a PDF
invoice; ``anomaly``: detectors for one power stream.
"""
