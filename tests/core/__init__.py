"""Tests of the Home-Assistant-free core (custom_components/intelergy/core), without hass."""
