"""Tests of the dashboard's back end: the household model, its command and module."""
