"""Billing entries: configuration keys, defaults and timing."""

from __future__ import annotations

from typing import Final

from ...core.tariff import LINE_CHARGES

# Entry data: the household / tariff name (also the entry title).
CONF_NAME: Final = "name"

# Entry options: the billed sensors, the tariff, the projection. The tariff is
# Tariff.as_dict() while it is one version in force since ever (as entries
# always stored it), else TariffSchedule.as_dict() (dated versions).
CONF_ENTITIES: Final = "entities"
CONF_TARIFF: Final = "tariff"
CONF_METHOD: Final = "method"

# Form fields of the tariff (turned into CONF_TARIFF on save).
CONF_CURRENCY: Final = "currency"
CONF_CYCLE_TYPE: Final = "cycle_type"
CONF_CYCLE: Final = "cycle"  # the second step's section: the chosen cycle's fields
CONF_CYCLE_DAY: Final = "cycle_day"
CONF_CYCLE_DAYS: Final = "cycle_days"
CONF_CYCLE_ANCHOR: Final = "cycle_anchor"
CONF_TARIFF_TYPE: Final = "tariff_type"
CONF_FIXED_CHARGE: Final = "fixed_charge"
CONF_FIXED_PER_KW: Final = "fixed_per_kw"
CONF_SANCTIONED_KW: Final = "sanctioned_kw"
CONF_TAX_PERCENT: Final = "tax_percent"
CONF_SLABS: Final = "slabs"
CONF_TOU_BANDS: Final = "tou_bands"
CONF_EFFECTIVE: Final = "effective"  # options: the date the rates take effect
CONF_REMOVE_VERSIONS: Final = "remove_versions"  # options: future versions to drop
CONF_CHARGES: Final = "charges"  # the section of the lines besides energy
# The section's fields: named as the tariff's own keys (Tariff.as_dict()).
CHARGE_FIELDS: Final = LINE_CHARGES
CONF_REBATE_LIMIT: Final = "rebate_limit"
CONF_TAXED_LINES: Final = "taxed_lines"

# Row fields of the slab and TOU tables.
ROW_TABLE_UPTO: Final = "table_upto"
ROW_UPTO: Final = "upto"
ROW_RATE: Final = "rate"
ROW_NAME: Final = "name"
ROW_START: Final = "start"
ROW_END: Final = "end"

CYCLE_MONTHLY: Final = "monthly"
CYCLE_ROLLING: Final = "rolling"
TARIFF_SLABS: Final = "slabs"
TARIFF_TABLES: Final = "tables"
DEFAULT_METHOD: Final = "average"
DEFAULT_CYCLE_DAYS: Final = 60

# The recorder compiles its 5-minute statistics 10 s past every fifth minute;
# the billing sensors read them 30 s later.
REFRESH_MINUTES: Final = tuple(range(0, 60, 5))
REFRESH_SECOND: Final = 40

# Invoices: <config>/<INVOICE_DIR>/…pdf, served behind the login (invoices.py).
INVOICE_DIR: Final = "intelergy/invoices"
