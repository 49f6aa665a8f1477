"""Marsad: an Arabic news observatory. This package knows nothing of Airflow."""

__version__ = "0.1.0"
PIPELINE_VERSION = __version__
