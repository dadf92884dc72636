"""Tests of the ELNET API client and the event tracker."""
