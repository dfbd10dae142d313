"""``warrantykit schema [--facts]``: print the JSON Schema of policies or of facts."""

from __future__ import annotations

import argparse
import json
from typing import Any

from warrantykit.schema import facts_schema, policy_schema


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("schema", help="print the JSON Schema")
    p.add_argument("--facts", action="store_true", help="the schema of claim/ticket/asset facts")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    schema = facts_schema() if args.facts else policy_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True))
    return 0
