"""Prefect orchestration of newsmon's stages: thin by design, the work lives in `newsmon`."""
