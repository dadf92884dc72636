"""ELNET: typed parsing vs the built-in RESTful-sensor path, on the captured payloads.

The built-in alternative is what a user would configure without Intelergy: HA's
``rest`` integration fetching both endpoints and one ``value_template`` per sensor
(``{{ value_json.Data.Balance }}``). Each such sensor renders its template against
the response text, which parses the JSON again. Intelergy parses each response
once into a dataclass that every entity reads. Both sides turn the same two
responses into the same 20 values; the script prints time per poll and the ratio.

    PYTHONPATH=. .venv/bin/python benchmarks/elnet_parse.py   (or benchmarks/run)
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import timeit

from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template

from custom_components.intelergy.core.elnet.client import (
    parse_home_data,
    parse_live_updates,
)
from simulators.elnet import FIXTURES

LIVE_TEXT = (FIXTURES / "GetLiveUpdates.json").read_text()
HOME_TEXT = (FIXTURES / "HomeData.json").read_text()
LIVE_FIELDS = (
    "Balance",
    "PresentLoad",
    "EB",
    "DG",
    "Solar",
    "SanctionEB",
    "SanctionDG",
    "Supply",
    "UpdatedOn",
)
HOME_FIELDS = (
    "kWhRecToday", "kWhDelToday", "SolarToday", "kWhRecMonth", "kWhDelMonth", "SolarMonth",
    "CurrentDay_EB", "CurrentDay_DG", "CurrentMonth_EB", "CurrentMonth_DG", "RelStatus",
)  # fmt: skip


def intelergy_poll() -> list[object]:
    """One poll the Intelergy way: parse each response once, read 20 values."""
    live = parse_live_updates(json.loads(LIVE_TEXT))
    home = parse_home_data(json.loads(HOME_TEXT))
    return [
        live.balance, live.present_load_kw, live.grid_kwh, live.generator_kwh,
        live.solar_kwh, live.sanctioned_grid_kw, live.sanctioned_generator_kw,
        live.source, live.updated_on, home.grid_kwh_today, home.generator_kwh_today,
        home.solar_kwh_today, home.grid_kwh_month, home.generator_kwh_month,
        home.solar_kwh_month, home.grid_cost_today, home.generator_cost_today,
        home.grid_cost_month, home.generator_cost_month, home.relay_on,
    ]  # fmt: skip


async def main() -> None:
    """Time both paths in the same run and print the ratio."""
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        templates = [
            (Template(f"{{{{ value_json.Data.{field} }}}}", hass), LIVE_TEXT)
            for field in LIVE_FIELDS
        ] + [
            (Template(f"{{{{ value_json.Data.{field} }}}}", hass), HOME_TEXT)
            for field in HOME_FIELDS
        ]

        def builtin_poll() -> list[object]:
            """One poll the RESTful-sensor way: every sensor renders its template."""
            return [
                t.async_render_with_possible_json_value(text) for t, text in templates
            ]

        assert len(builtin_poll()) == len(intelergy_poll()) == 20  # noqa: S101
        # Same balance both ways (templates render to strings).
        assert float(builtin_poll()[0]) == intelergy_poll()[0]  # noqa: S101
        rounds = 2000
        ours = min(timeit.repeat(intelergy_poll, number=rounds, repeat=5)) / rounds
        builtin = min(timeit.repeat(builtin_poll, number=rounds, repeat=5)) / rounds
        await hass.async_stop(force=True)
    print("ELNET poll → 20 entity values (both endpoints, captured payloads)")
    print(f"  intelergy typed parse : {ours * 1e6:8.1f} µs / poll")
    print(f"  HA rest + templates   : {builtin * 1e6:8.1f} µs / poll")
    print(
        f"  ratio built-in / intelergy: {builtin / ours:.1f} (intelergy is that many times faster)"
    )


if __name__ == "__main__":
    asyncio.run(main())
