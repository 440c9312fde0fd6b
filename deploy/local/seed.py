"""Demo data for ``make run``: python -m deploy.local.seed

The launcher (deploy/local/run.py) runs this once every service answers /readyz, with its
own environment plus ``PISHKHAN_<SERVICE>_URL`` for each service. Each service's seed
writes to that service's own database through its own rules and publishes its events
through its outbox, so it is safe to run twice: what is there already stays as it is."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from services.kit.migrations import SchemaNotCurrent
from services.licensing.seed import seed_demo
from services.licensing.settings import LicensingSettings


def licensing_settings() -> LicensingSettings:
    # the launcher hands the broker's URL to the services as <SERVICE>_RABBIT_URL, not to us
    overrides = {}
    rabbit_url = os.environ.get("PISHKHAN_RABBIT_URL", "").strip()
    if rabbit_url and not os.environ.get("LICENSING_RABBIT_URL"):
        overrides["rabbit_url"] = rabbit_url
    return LicensingSettings(**overrides)


def main() -> int:
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        result = asyncio.run(seed_demo(licensing_settings()))
    except SchemaNotCurrent:  # logged, with the command that migrates the database
        return 1
    print(f"licensing seed: {result.created} demo offices and licenses imported, "
          f"{result.existing} already there", flush=True)
    if result.unpublished:
        print(f"licensing seed: {result.unpublished} events are still in the outbox; the "
              "licensing service publishes them when it reaches the broker", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
