"""Imports every module of the generated ``safetrain_client`` package (fails on any broken one)."""

import importlib
import pkgutil

import safetrain_client

names = [m.name for m in pkgutil.walk_packages(safetrain_client.__path__, prefix="safetrain_client.")]
for name in names:
    importlib.import_module(name)

from safetrain_client.api.audit import list_audit_logs  # noqa: E402
from safetrain_client.api.institutions import change_institution_status, create_institution  # noqa: E402
from safetrain_client.api.registry import list_city_registry  # noqa: E402

for module in (list_audit_logs, change_institution_status, create_institution, list_city_registry):
    assert callable(module.sync_detailed) and callable(module.asyncio_detailed), module.__name__

print(f"[python] safetrain_client imports ({len(names) + 1} modules)")
