#!/usr/bin/env python3
"""Derive endpoints.json (the emulator's inventory) from the vendor reference inventory.

Usage: python3 derive.py path/to/kedacom-api.json > endpoints.json

Nothing reads this script or its input at build or test time: the output is committed.
See README.md for what is kept and the one correction applied.
"""
import json
import sys

JSON_TYPES = {"int": int, "str": str, "array": list, "list": list, "object": dict}


def rows(params):
    return [[p["name"], p.get("type") or "", bool(p.get("required"))] for p in params]


def lookup(example, path):
    """The example's value at a flattened path (`a[].b`: field b of the first element of a)."""
    node = example
    for part in path.split("."):
        is_list = part.endswith("[]")
        key = part[:-2] if is_list else part
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        if is_list:
            if not isinstance(node, list) or not node:
                return None
            node = node[0]
    return node


def fix_containers(fields, example):
    """A field typed as a scalar that has nested fields is a container: take its kind from
    the vendor's example (the one case: `invite_members`, typed `int`, an array in the example)."""
    names = {f["name"] for f in fields}
    renames = {}
    for f in fields:
        n = f["name"]
        if f["type"] in ("array", "list", "object"):
            continue
        if any(m.startswith(n + ".") for m in names):
            kind = lookup(example, n) if example is not None else None
            if isinstance(kind, list):
                f["type"] = "array"
                renames[n + "."] = n + "[]."
            else:
                f["type"] = "object"
    for f in fields:
        for old, new in renames.items():
            if f["name"].startswith(old):
                f["name"] = new + f["name"][len(old):]


def reply_rows(ep):
    try:
        example = json.loads(ep["response_example"]) if ep.get("response_example") else None
    except ValueError:
        example = None
    fields = [dict(f) for f in ep["response_fields"]]
    fix_containers(fields, example)
    out = []
    for f in fields:
        t = f.get("type") or ""
        sample = lookup(example, f["name"]) if example is not None else None
        want = JSON_TYPES.get(t)
        ok = want is not None and isinstance(sample, want) and not (want is int and isinstance(sample, bool))
        if t in ("array", "list", "object"):
            # containers are built from their nested fields; keep a sample only for a
            # list of scalars (e.g. `audio_formats: [2, 3]`)
            ok = ok and isinstance(sample, list) and all(not isinstance(v, (dict, list)) for v in sample)
        if not ok:
            sample = None
            enum = f.get("enum_parsed")
            if t == "int" and enum:
                sample = enum[0]["value"]
        row = [f["name"], t]
        if sample is not None:
            row.append(sample)
        out.append(row)
    return out


def main():
    src = json.load(open(sys.argv[1], encoding="utf-8"))
    lines = []
    for ep in src["endpoints"]:
        override = ep.get("method_override")
        item = {
            "app": ep["app"],
            "method": ep["method"],
            "uri": ep["uri"],
            "min_level": ep["min_api_level"],
            "override": override["value"] if override else None,
            "query": rows(ep["query_params"]),
            "form": rows(ep["form_params"]),
            "params_json": bool(ep["body_is_params_json"]),
            "params": rows(ep["body_params"]) if ep["body_is_params_json"] else [],
            "reply": reply_rows(ep),
        }
        lines.append(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    sys.stdout.write("[\n" + ",\n".join(lines) + "\n]\n")


if __name__ == "__main__":
    main()
