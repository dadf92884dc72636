"""Energy logic shared by every source, with no Home Assistant imports.

``totalizer``: lifetime totals from counters that reset; ``throttle``: the
write-throttling rule; ``backlog``: hourly statistics rows from buffered readings.
"""
