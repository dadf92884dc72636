"""Entry kinds that consume any integration's sensors: bills and anomaly monitors."""
