#!/usr/bin/env python3
"""Convert the Kedacom/摩云 endpoint inventory (kedacom-api.json) into the conf-sdk
endpoint spec (crates/moyun-api/spec/*.toml) and the error table (errors.tsv).

Run once to (re)import; the TOML it writes is the checked-in source of truth afterwards.
See README.md in this directory for the rules it applies.

    python3 crates/moyun-api/spec/import/kedacom_to_spec.py \
        --api ../shared/reference/kedacom-api.json \
        --errors ../shared/reference/kedacom_error_codes.tsv \
        --out crates/moyun-api/spec
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glossary import (  # noqa: E402
    ENUMS, ENUM_FIELDS, FIELD_DOCS, ENGLISH_DOCS, FIELD_ORDER_OVERRIDES, TYPE_NAME_OVERRIDES, NAME_OVERRIDES, RESOURCE_WORDS, VERB_WORDS, APP_TITLES,
)
from errors_en import ERRORS_EN, ERROR_NAMES, RETRYABLE  # noqa: E402

APPS = ["system", "mc", "vc", "nms", "amc", "vrs"]
RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
}
NOT_PLURAL = {"vrs", "dcs", "sms", "safty", "status", "vrsip", "simple", "progress", "mix", "vip", "poll"}
# Fields the platform wants but the SDK adds itself.
SKIP_FIELDS = {"account_token", "_method"}
# Fields that carry credentials (passwords, keys, tokens): `secret` on both sides, so
# they never reach Debug output, logs or errors.
SECRET_LEAVES = {"password", "psd", "oauth_consumer_secret", "encrypted_key", "roompwd", "encryptkey"}
SECRET_PATHS = {("system_get_token", "account_token"), ("vrs_login", "token"), ("amc_reset_account_password", "value")}


# ---------------------------------------------------------------- helpers

def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def camel(s):
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\W]+", s) if p)


def singular(word):
    if word in NOT_PLURAL or not word.endswith("s") or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1]


def rust_field(name):
    n = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if n in RUST_KEYWORDS:
        n = n + "_"
    if n[:1].isdigit():
        n = "f_" + n
    return n


def first_line(text):
    if not text:
        return ""
    return text.strip().splitlines()[0].strip().rstrip("；;。")


def doc_for(app, leaf, desc_zh):
    """English where the glossary knows the field, the vendor's Chinese otherwise."""
    zh = (desc_zh or "").strip()
    en = FIELD_DOCS.get(leaf)
    one = " ".join(line.strip() for line in zh.splitlines() if line.strip())
    if en and one:
        return f"{en} ({one})"
    return en or one or leaf


def max_len(desc):
    m = re.search(r"最大字符长度[：:]\s*(\d+)\s*个字符", desc or "")
    return int(m.group(1)) if m else None


def example_value(example, path):
    """Navigate a JSON example along a flattened path (a[].b) and return the value seen."""
    try:
        cur = json.loads(example) if isinstance(example, str) else example
    except (ValueError, TypeError):
        return None
    for part in re.split(r"\.", path.replace("[]", "[]")):
        is_list = part.endswith("[]")
        key = part[:-2] if is_list else part
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
        if is_list:
            if not isinstance(cur, list) or not cur:
                return None
            cur = cur[0]
    return cur


# ---------------------------------------------------------------- naming

def resource_parts(app, uri):
    segs = [s for s in uri.split("/") if s]
    # /api/v1/<app>/... or /api/v2/vrs/... or /api/<app>/version
    if len(segs) >= 3 and re.fullmatch(r"v\d+", segs[1]):
        segs = segs[3:]
    else:
        segs = segs[2:]
    words = []
    for i, s in enumerate(segs):
        if s.startswith("{"):
            continue
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        words.append(singular(s) if nxt and nxt.startswith("{") else s)
    # Everything in vc lives under a conference: drop the leading `conf` of sub-resources.
    if app == "vc" and len(words) > 1 and words[0] == "conf":
        words = words[1:]
    return words


def verb_for(ep):
    zh = ep["name_zh"]
    method = ep["method"]
    if method == "GET":
        last = ep["uri"].rstrip("/").split("/")[-1]
        plural = last.endswith("s") and last not in NOT_PLURAL
        return "list" if not last.startswith("{") and ("列表" in zh or plural) else "get"
    for key, verb in VERB_WORDS:
        if key in zh:
            if verb == "get" and "列表" in zh and not ep["uri"].endswith("}"):
                return "list"
            return verb
    return {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete"}[method]


def endpoint_name(ep):
    key = f"{ep['method']} {ep['uri']}"
    if key in NAME_OVERRIDES:
        return NAME_OVERRIDES[key]
    app = ep["app"]
    words = resource_parts(app, ep["uri"])
    verb = verb_for(ep)
    if words and verb in ("create", "start") and "批量" not in ep["name_zh"]:
        words[-1] = singular(words[-1])
    return "_".join([app, verb] + words)


def english_doc(name, ep):
    if name in ENGLISH_DOCS:
        return with_note(ENGLISH_DOCS[name], ep)
    app, verb, *rest = name.split("_")
    if verb == "hang":
        rest = rest[1:]
    phrase_words = []
    i = 0
    while i < len(rest):
        for k in range(len(rest) - i, 0, -1):   # longest known word group first
            key = "_".join(rest[i:i + k])
            if key in RESOURCE_WORDS or k == 1:
                phrase_words.append(RESOURCE_WORDS.get(key, key.replace("_", " ")))
                i += k
                break
    phrase = " ".join(w for w in phrase_words if w)
    verb_en = {
        "list": "List", "get": "Get", "create": "Create", "add": "Add", "update": "Update",
        "delete": "Delete", "end": "End", "start": "Start", "stop": "Stop", "close": "Close",
        "cancel": "Cancel", "set": "Set", "extend": "Extend", "send": "Send", "upload": "Upload",
        "call": "Call", "hang": "Hang up", "heartbeat": "Keep alive", "login": "Log in",
        "disable": "Disable", "reset": "Reset", "move": "Move", "publish": "Publish",
        "control": "Control", "request": "Request", "rename": "Rename", "pause": "Pause",
        "resume": "Resume", "keep": "Keep alive", "operate": "Operate on",
    }.get(verb, verb.capitalize())
    text = f"{verb_en} {phrase}".strip()
    if app == "vc" and ep["uri"].startswith("/api/v1/vc/confs/{conf_id}/"):
        text += " of a conference"
    return with_note(text, ep)


def with_note(text, ep):
    """The English sentence, plus the vendor's remark when it says more than the name."""
    note = " ".join((ep.get("comment_zh") or "").split())
    if note and note != ep["name_zh"]:
        return f"{text} ({ep['name_zh']}). Vendor note: {note}"
    return f"{text} ({ep['name_zh']})."


# ---------------------------------------------------------------- types

class TypeRegistry:
    def __init__(self):
        self.by_sig = {}      # (app, side, sig) -> name
        self.names = set()    # every name in the crate
        self.defs = {a: [] for a in APPS}   # app -> list of type tables (emit order)

    def reserve(self, name):
        self.names.add(name)

    def register(self, app, side, sig, candidates, table):
        key = (app, side, sig)
        if key in self.by_sig:
            return self.by_sig[key]
        name = None
        for c in candidates:
            if c not in self.names:
                name = c
                break
        if name is None:
            base, i = candidates[-1], 2
            while f"{base}{i}" in self.names:
                i += 1
            name = f"{base}{i}"
        self.names.add(name)
        self.by_sig[key] = name
        table["name"] = name
        self.defs[app].append(table)
        return name


REG = TypeRegistry()


def enum_for(app, path, leaf, field):
    """The curated enum a field uses, if any."""
    spec = ENUM_FIELDS.get(leaf)
    if spec is None:
        return None
    if isinstance(spec, dict):
        parent = path.split(".")[-2].rstrip("[]") if "." in path else ""
        return spec.get(parent)
    return spec


def children(rows, prefix):
    """Direct children of `prefix` (either `prefix[].x` or `prefix.x`)."""
    out = []
    for r in rows:
        n = r["name"]
        for sep in ("[].", "."):
            p = prefix + sep
            if n.startswith(p) and "." not in n[len(p):].replace("[]", ""):
                out.append((r, n[len(p):]))
    return out


def field_type(app, side, ep_name, rows, row, path, leaf, example):
    """Spec type of one field; registers nested named types."""
    t = row["type"]
    kids = children(rows, path)
    # A scalar with documented sub-fields (`invite_members` is typed `int`) is a list of objects.
    listy = t in ("array", "list") or any(r["name"].startswith(path + "[].") for r, _ in kids) or (
        bool(kids) and t not in ("object",))
    if kids:
        fields = [make_field(app, side, ep_name, rows, r, r["name"], sub, example) for r, sub in kids]
        order = FIELD_ORDER_OVERRIDES.get((ep_name, path))
        if order:
            fields.sort(key=lambda f: order.index(f["name"]) if f["name"] in order else len(order))
        sig = json.dumps([(f["name"], f["type"], f.get("required", False)) for f in fields])
        base = camel(singular(leaf))
        suffix = "Spec" if side == "req" else ""
        parent = path.split(".")[-2].rstrip("[]") if "." in path else ""
        cands = [TYPE_NAME_OVERRIDES[(ep_name, path)]] if (ep_name, path) in TYPE_NAME_OVERRIDES else []
        cands.append(base + suffix)
        if side == "resp":
            cands.append(base + "Info")
        if parent:
            cands.append(camel(singular(parent)) + base + suffix)
        cands.append(camel(ep_name) + base + suffix)
        zh = first_line(row.get("desc_zh"))
        what = FIELD_DOCS.get(leaf) or leaf.replace("_", " ")
        gloss = "" if what.lower() == leaf.replace("_", " ") else f" ({what.lower()})"
        lead = f"One item of `{leaf}`{gloss}" if listy else f"The `{leaf}` object{gloss}"
        table = {
            "kind": "struct",
            "doc": f"{lead}: {zh}." if zh else f"{lead}.",
            "fields": fields,
        }
        name = REG.register(app, side, sig, cands, table)
        return f"list<{name}>" if listy else name
    enum = enum_for(app, path, leaf, row)
    if t in ("array", "list"):
        v = example_value(example, path) if example else None
        if enum:
            return f"list<{enum}>"
        if isinstance(v, list) and v:
            if isinstance(v[0], bool):
                return "list<json>"
            if isinstance(v[0], int):
                return "list<i64>"
            if isinstance(v[0], str):
                return "list<string>"
        if row.get("enum_parsed"):
            return "list<i64>"
        return "list<json>"
    if t == "object":
        return "json"
    if enum:
        return enum
    if t == "int":
        if side == "resp" and example:
            v = example_value(example, path)
            if isinstance(v, str):
                return "string"   # the docs say int, the examples send text (e.g. "0512110001003")
        return "i64"
    if t == "File":
        return "file"
    if leaf in SECRET_LEAVES or (ep_name, path) in SECRET_PATHS:
        return "secret"
    return "string"


def make_field(app, side, ep_name, rows, row, path, leaf, example):
    leaf_clean = leaf.replace("[]", "")
    f = {"name": rust_field(leaf_clean)}
    if f["name"] != leaf_clean:
        f["wire"] = leaf_clean
    f["type"] = field_type(app, side, ep_name, rows, row, path, leaf_clean, example)
    if side == "req" and row.get("required"):
        f["required"] = True
    f["doc"] = doc_for(app, leaf_clean, row.get("desc_zh"))
    if side == "req" and f["type"] == "string":
        n = max_len(row.get("desc_zh"))
        if n:
            f["validate"] = {"max_len": n}
    return f


def top_level(rows):
    return [r for r in rows if "." not in r["name"] and "[]" not in r["name"]]


# ---------------------------------------------------------------- endpoints

def convert_endpoint(ep):
    app = ep["app"]
    name = endpoint_name(ep)
    method = ep["method"]
    uri = ep["uri"]
    path = uri
    if uri == "/api/vrs/ver2sion":
        path = "/api/vrs/version"   # the vendor table's typo; every other app uses /version
    override = (ep.get("method_override") or {}).get("value")
    is_version = path.endswith("/version") and "/v1/" not in path and "/v2/" not in path
    no_auth = is_version or uri in ("/api/v1/system/token", "/api/v1/system/token/{account_token}/heartbeat",
                                    "/api/v1/system/login")
    out = {
        "name": name,
        "doc": english_doc(name, ep),
        "method": method,
        "path": path,
    }
    params = []
    for p in ep["path_params"]:
        f = {"name": rust_field(p["name"]), "in": "path", "type": "string", "required": True}
        if f["name"] != p["name"]:
            f["wire"] = p["name"]
        hint = p.get("desc_hint_from_push_doc_zh")
        f["doc"] = doc_for(app, p["name"], hint) if hint else doc_for(app, p["name"], None)
        f["validate"] = {"non_empty": True}
        if p["name"] == "account_token":
            f["type"] = "secret"
        params.append(f)

    raw = ep.get("raw") or {}
    undocumented_params = "params" in raw and not ep["body_params"] or (
        "params" in raw and "no params说明" in raw.get("params", ""))
    if method == "GET":
        rows = ep["query_params"]
        for r in rows:
            if r["name"] in SKIP_FIELDS:
                continue
            if r["name"] == "params":
                params.append({"name": "params", "in": "query", "type": "string",
                               "doc": "Raw JSON `params` value (its content is not documented by the vendor)."})
                continue
            f = make_field(app, "req", name, rows, r, r["name"], r["name"], None)
            f["in"] = "query"
            params.append(f)
        body = "query" if any(p["in"] == "query" for p in params) else "none"
    else:
        form_rows = [r for r in ep["form_params"] if r["name"] not in SKIP_FIELDS and r["name"] != "params"]
        body = "none"
        if ep["body_is_params_json"] and ep["body_params"] and not undocumented_params:
            body = "params_json"
            rows = ep["body_params"]
            for r in top_level(rows):
                if r["name"] in SKIP_FIELDS:
                    continue
                f = make_field(app, "req", name, rows, r, r["name"], r["name"], ep.get("params_example"))
                f["in"] = "params"
                params.append(f)
        elif any(r["name"] == "params" for r in ep["form_params"]):
            body = "form"
            params.append({"name": "params", "in": "body", "type": "string",
                           "doc": "Raw JSON `params` value (its content is not documented by the vendor)."})
        for r in form_rows:
            f = make_field(app, "req", name, form_rows, r, r["name"], r["name"], None)
            if f["type"] == "file":
                body = "multipart"
            elif body in ("none",):
                body = "form"
            f["in"] = "body"
            params.append(f)
        if uri == "/api/v1/system/login":
            params.append({"name": "account_token", "in": "body", "type": "secret", "required": True,
                           "doc": "The application token from `system_get_token`."})
            body = "form"
        if override and body == "none":
            body = "form"
    out["body"] = body
    if override:
        out["method_override"] = override
        out["idempotent"] = True
    if not no_auth:
        out["min_level"] = {"app": app, "level": int(ep.get("min_api_level") or 1)}
    if no_auth:
        out["auth"] = "none"
    if uri in ("/api/v1/system/token", "/api/v1/system/login", "/api/v2/vrs/login"):
        out["sensitive"] = True

    # paging
    qnames = {r["name"] for r in ep["query_params"]}
    resp_rows = [r for r in ep["response_fields"] if r["name"] not in ("success", "error_code")]
    tops = top_level(resp_rows)
    paged = None
    if method == "GET" and {"start", "count"} <= qnames:
        paged = "start_count"
    elif method == "GET" and "pageid" in qnames:
        paged = "pageid"

    # response
    resp_fields = []
    for r in tops:
        f = make_field(app, "resp", name, resp_rows, r, r["name"], r["name"], ep.get("response_example"))
        resp_fields.append(f)
    response = {"fields": resp_fields}
    if paged:
        items = next((f for f in resp_fields if f["type"].startswith("list<")), None)
        total = next((f for f in resp_fields if f["name"] in ("total", "total_count", "prgcount", "roomcount", "livecount")), None)
        if items and total:
            response["items"] = items["name"]
            response["total"] = total["name"]
        else:
            paged = None
    if paged:
        out["paged"] = paged
    out["params"] = params
    out["response"] = response
    return out


# ---------------------------------------------------------------- emit

def emit_inline(d):
    parts = []
    for k, v in d.items():
        parts.append(f"{k} = {emit_value(v)}")
    return "{ " + ", ".join(parts) + " }"


def emit_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, dict):
        return emit_inline(v)
    if isinstance(v, list):
        return "[" + ", ".join(emit_value(x) for x in v) + "]"
    raise TypeError(v)


def emit_fields(fields, indent="  "):
    if not fields:
        return "[]"
    return "[\n" + "".join(f"{indent}{emit_inline(f)},\n" for f in fields) + "]"


FIELD_ORDER = ["name", "wire", "in", "type", "required", "doc", "default", "validate", "encode"]


def ordered(f):
    return {k: f[k] for k in FIELD_ORDER if k in f} | {k: v for k, v in f.items() if k not in FIELD_ORDER}


def emit_app(app, endpoints, with_common):
    lines = [
        f"# Moyun (摩云) platform API: {APP_TITLES[app]}.",
        "# Imported from kedacom-api.json by spec/import/kedacom_to_spec.py, then maintained here.",
        "",
        "[service]",
        'vendor = "moyun"',
        'client = "MoyunClient"',
        'call = "call"',
        'title = "Moyun (摩云) platform API"',
        f'module = "{app}"',
        "",
    ]
    if with_common:
        lines += ["[error_table]", 'file = "errors.tsv"', ""]
        for en in ENUMS:
            lines += [
                "[[types]]",
                f'name = "{en["name"]}"',
                'kind = "enum"',
                'repr = "int"',
                f"doc = {toml_str(en['doc'])}",
                "values = [",
            ]
            for vname, value, vdoc in en["values"]:
                lines.append(f"  {{ name = \"{vname}\", value = {value}, doc = {toml_str(vdoc)} }},")
            lines += ["]", ""]
    for t in REG.defs[app]:
        lines += [
            "[[types]]",
            f'name = "{t["name"]}"',
            'kind = "struct"',
            f"doc = {toml_str(t['doc'])}",
            f"fields = {emit_fields([ordered(f) for f in t['fields']])}",
            "",
        ]
    for ep in endpoints:
        lines.append("[[endpoints]]")
        for k in ["name", "doc", "method", "path", "body", "method_override", "idempotent",
                  "min_level", "auth", "sensitive", "paged"]:
            if k in ep:
                lines.append(f"{k} = {emit_value(ep[k])}")
        for p in ep["params"]:
            lines.append("")
            lines.append("  [[endpoints.params]]")
            for k, v in ordered(p).items():
                lines.append(f"  {k} = {emit_value(v)}")
        lines.append("")
        lines.append("  [endpoints.response]")
        r = ep["response"]
        for k in ("items", "total"):
            if k in r:
                lines.append(f"  {k} = {toml_str(r[k])}")
        lines.append(f"  fields = {emit_fields([ordered(f) for f in r['fields']], '    ')}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def emit_errors(path, out):
    rows = []
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            code, scope, zh = line.rstrip("\n").split("\t")
            rows.append((code, scope, zh))
    names = set()
    lines = ["code\tname\tzh\ten\tretryable\tscope"]
    missing = []
    for code, scope, zh in rows:
        key = (scope, code)
        en = ERRORS_EN.get(key)
        if en is None:
            missing.append(key)
            en = zh
        name = ERROR_NAMES.get(key) or name_from_en(en, code, scope)
        base = name
        if name in names:
            name = f"{base}{'Vrs' if scope == 'vrs' else ''}{code}"
        names.add(name)
        retry = "true" if key in RETRYABLE else "false"
        lines.append("\t".join([code, name, zh.replace("\t", " "), en.replace("\t", " "), retry, scope]))
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return missing


STOP = {"a", "an", "the", "is", "are", "was", "be", "to", "of", "for", "in", "on", "and", "or", "with",
        "by", "at", "as", "it", "its", "this", "that", "please", "cannot", "can", "not"}


def name_from_en(en, code, scope):
    words = re.findall(r"[A-Za-z0-9]+", en.replace("'s ", " "))
    picked = []
    for w in words:
        if w.lower() in STOP and picked:
            if w.lower() in ("not", "cannot"):
                picked.append("Not")
            continue
        if w.isupper() and len(w) > 1:
            w = w[:1] + w[1:].lower()   # MCU -> Mcu
        picked.append(w[:1].upper() + w[1:])
        if len(picked) >= 6:
            break
    name = "".join(picked) or f"Code{code}"
    if name[:1].isdigit():
        name = "E" + name
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--errors", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.api, encoding="utf-8") as fh:
        api = json.load(fh)
    for en in ENUMS:
        REG.reserve(en["name"])
    REG.reserve("ErrorCode")
    eps = api["endpoints"]
    # reserve generated request/response names
    names = [endpoint_name(ep) for ep in eps]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        for ep in eps:
            if endpoint_name(ep) in dup:
                print("duplicate name:", endpoint_name(ep), ep["method"], ep["uri"], ep["name_zh"], file=sys.stderr)
        sys.exit(1)
    for n in names:
        REG.reserve(camel(n) + "Request")
        REG.reserve(camel(n) + "Response")
    converted = {a: [] for a in APPS}
    for ep in eps:
        converted[ep["app"]].append(convert_endpoint(ep))
    for app in APPS:
        text = emit_app(app, converted[app], app == "system")
        with open(os.path.join(args.out, f"{app}.toml"), "w", encoding="utf-8") as fh:
            fh.write(text)
    missing = emit_errors(args.errors, os.path.join(args.out, "errors.tsv"))
    total = sum(len(v) for v in converted.values())
    print(f"{total} endpoints, {sum(len(v) for v in REG.defs.values())} named structs, "
          f"{len(ENUMS)} enums; {len(missing)} error codes without English", file=sys.stderr)


if __name__ == "__main__":
    main()
