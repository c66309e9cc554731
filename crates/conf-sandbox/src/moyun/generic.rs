//! Every inventory endpoint the emulator does not model: its parameters are checked against
//! the inventory (required ones present, every present one of its type) and it answers a
//! well-formed reply built from the inventory's reply fields.
//!
//! Parameter problems answer [`BAD_PARAMS`](super::BAD_PARAMS) naming the parameter
//! (`mts[1].bitrate`), or, in debug mode (`?debug=1` on a mutating call), the problem list in
//! the document's shape. A reply carries every listed field: the vendor example's value where
//! it has one of the right type, else a zero value (`0`, `""`, `[]`, `{}`); a path variable
//! named like a reply field is echoed; a paged list (start/count or pageid/prgs1page) answers
//! an empty page with its totals at 0, any other list one element.

use serde_json::{Map, Value, json};

use super::inventory::{Endpoint, Param, Ty};
use super::validate::{MISSING, WRONG_TYPE};

/// One parameter problem: the path as `key` / `[i]` tokens and the document's message.
#[derive(Debug, Clone)]
struct Problem {
    tokens: Vec<String>,
    message: &'static str,
    expected: Ty,
}

impl Problem {
    fn path(tokens: &[String]) -> String {
        let mut out = String::new();
        for t in tokens {
            if !t.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(t);
        }
        out
    }
}

/// The problems of one request.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    /// The document's debug shape: first-level key, then a message, an object of deeper keys,
    /// or a list with one object per faulty element (in element order).
    pub(crate) fn to_json(&self) -> Value {
        enum Slot {
            Message(&'static str),
            Fields(Map<String, Value>),
            Elements(Vec<(String, Map<String, Value>)>),
        }
        let mut slots: Vec<(String, Slot)> = Vec::new();
        for p in &self.0 {
            let Some((key, rest)) = p.tokens.split_first() else { continue };
            let at = match slots.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    let slot = match rest.first() {
                        None => Slot::Message(p.message),
                        Some(t) if t.starts_with('[') => Slot::Elements(Vec::new()),
                        Some(_) => Slot::Fields(Map::new()),
                    };
                    slots.push((key.clone(), slot));
                    slots.len() - 1
                }
            };
            match (&mut slots[at].1, rest.split_first()) {
                (Slot::Elements(elements), Some((index, deeper))) if index.starts_with('[') => {
                    let i = match elements.iter().position(|(e, _)| e == index) {
                        Some(i) => i,
                        None => {
                            elements.push((index.clone(), Map::new()));
                            elements.len() - 1
                        }
                    };
                    elements[i].1.insert(Problem::path(deeper), json!(p.message));
                }
                (Slot::Fields(fields), Some(_)) => {
                    fields.insert(Problem::path(rest), json!(p.message));
                }
                _ => {}
            }
        }
        let top: Map<String, Value> = slots
            .into_iter()
            .map(|(k, slot)| {
                let v = match slot {
                    Slot::Message(m) => json!(m),
                    Slot::Fields(f) => Value::Object(f),
                    Slot::Elements(e) => Value::Array(e.into_iter().map(|(_, m)| Value::Object(m)).collect()),
                };
                (k, v)
            })
            .collect();
        Value::Object(top)
    }

    /// A one-line description of the first problem, naming the parameter.
    pub(crate) fn first(&self) -> Option<String> {
        let p = self.0.first()?;
        let path = Problem::path(&p.tokens);
        Some(if p.message == MISSING {
            format!("{path}: {MISSING} (required parameter `{path}` is missing)")
        } else {
            format!("{path}: {WRONG_TYPE} (parameter `{path}` must be {})", type_name(p.expected))
        })
    }

    fn push(&mut self, tokens: Vec<String>, message: &'static str, expected: Ty) {
        self.0.push(Problem { tokens, message, expected });
    }
}

fn type_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Int => "an integer",
        Ty::Str => "a string",
        Ty::Array => "a JSON array",
        Ty::Object => "a JSON object",
        Ty::File => "a file part",
        Ty::Any => "present",
    }
}

/// Whether a `params` JSON value has the type: integers may come as numeric strings and
/// strings as numbers, as the platform's parser takes them.
fn json_type_ok(v: &Value, ty: Ty) -> bool {
    match ty {
        Ty::Int => v.is_i64() || v.is_u64() || v.as_str().is_some_and(|s| s.trim().parse::<i64>().is_ok()),
        Ty::Str => v.is_string() || v.is_number(),
        Ty::Array => v.is_array(),
        Ty::Object => v.is_object(),
        Ty::File | Ty::Any => true,
    }
}

fn is_missing(v: Option<&Value>, ty: Ty) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty() && ty == Ty::Str,
        Some(_) => false,
    }
}

/// Check one (flattened) `params` field under `node`.
fn walk(node: &Value, parts: &[&str], trail: &[String], p: &Param, out: &mut Problems) {
    let Some((part, rest)) = parts.split_first() else { return };
    let (key, is_list) = match part.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*part, false),
    };
    let mut here = trail.to_vec();
    here.push(key.to_string());
    let child = node.get(key);
    if rest.is_empty() {
        if is_missing(child, p.ty) {
            if p.required {
                out.push(here, MISSING, p.ty);
            }
        } else if let Some(v) = child {
            if !json_type_ok(v, p.ty) {
                out.push(here, WRONG_TYPE, p.ty);
            }
        }
        return;
    }
    match child {
        Some(Value::Array(items)) if is_list => {
            for (i, item) in items.iter().enumerate() {
                let mut at = here.clone();
                at.push(format!("[{i}]"));
                walk(item, rest, &at, p, out);
            }
        }
        Some(v @ Value::Object(_)) if !is_list => walk(v, rest, &here, p, out),
        // absent (the container's own row decides) or of the wrong type (reported there)
        _ => {}
    }
}

/// Check a request against the endpoint: form/query fields (`get` looks one up; `has_file`
/// says whether a multipart file part is present) and the `params` JSON.
pub(crate) fn check(ep: &Endpoint, get: impl Fn(&str) -> Option<String>, has_file: impl Fn(&str) -> bool, params: &Value) -> Problems {
    let mut out = Problems::default();
    for p in ep.query.iter().chain(&ep.form) {
        if matches!(p.name.as_str(), "account_token" | "_method" | "params") {
            continue;
        }
        let token = vec![p.name.clone()];
        match p.ty {
            Ty::File => {
                if p.required && !has_file(&p.name) {
                    out.push(token, MISSING, p.ty);
                }
            }
            Ty::Any => {}
            ty => match get(&p.name) {
                None => {
                    if p.required {
                        out.push(token, MISSING, ty);
                    }
                }
                Some(v) if v.is_empty() => {
                    if p.required {
                        out.push(token, MISSING, ty);
                    }
                }
                Some(v) => {
                    if ty == Ty::Int && v.trim().parse::<i64>().is_err() {
                        out.push(token, WRONG_TYPE, ty);
                    }
                }
            },
        }
    }
    if ep.params_json {
        for p in &ep.params {
            let parts: Vec<&str> = p.name.split('.').collect();
            walk(params, &parts, &[], p, &mut out);
        }
    }
    out
}

fn zero(ty: Ty) -> Value {
    match ty {
        Ty::Int => json!(0),
        Ty::Str => json!(""),
        Ty::Array => json!([]),
        Ty::Object => json!({}),
        Ty::File | Ty::Any => Value::Null,
    }
}

/// Put one reply field (path `parts`) into `obj`; `empty_lists`: lists at this level stay empty.
fn put(obj: &mut Map<String, Value>, parts: &[&str], value: Value, empty_lists: bool) {
    let Some((part, rest)) = parts.split_first() else { return };
    let (key, is_list) = match part.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*part, false),
    };
    if rest.is_empty() {
        obj.entry(key.to_string()).or_insert(value);
        return;
    }
    if is_list {
        let entry = obj.entry(key.to_string()).or_insert_with(|| json!([]));
        if !entry.is_array() {
            *entry = json!([]);
        }
        if empty_lists {
            return;
        }
        let list = entry.as_array_mut().expect("an array");
        if list.is_empty() {
            list.push(json!({}));
        }
        if let Some(first) = list[0].as_object_mut() {
            put(first, rest, value, false);
        }
    } else {
        let entry = obj.entry(key.to_string()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        if let Some(inner) = entry.as_object_mut() {
            put(inner, rest, value, false);
        }
    }
}

/// The success reply of the endpoint: `vars` are the path variables, `get` reads a request field.
pub(crate) fn reply(ep: &Endpoint, vars: &[(String, String)], get: impl Fn(&str) -> Option<String>) -> Value {
    build(ep, vars, get, ep.is_paged())
}

/// Add to a modelled endpoint's success reply the fields the inventory lists that it lacks
/// (every element of a list of objects too); present fields are left as they are.
pub(crate) fn complete(ep: &Endpoint, vars: &[(String, String)], reply: &mut Value) {
    let template = build(ep, vars, |_| None, false);
    fill(reply, &template);
}

fn fill(actual: &mut Value, template: &Value) {
    match (actual, template) {
        (Value::Object(a), Value::Object(t)) => {
            for (k, tv) in t {
                match a.get_mut(k) {
                    None => {
                        a.insert(k.clone(), tv.clone());
                    }
                    Some(av) => fill(av, tv),
                }
            }
        }
        (Value::Array(items), Value::Array(t)) => {
            if let Some(first @ Value::Object(_)) = t.first() {
                for item in items.iter_mut().filter(|i| i.is_object()) {
                    fill(item, first);
                }
            }
        }
        _ => {}
    }
}

fn build(ep: &Endpoint, vars: &[(String, String)], get: impl Fn(&str) -> Option<String>, paged: bool) -> Value {
    let mut root = Map::new();
    for f in &ep.reply {
        let top_level = !f.name.contains('.') && !f.name.contains("[]");
        let mut value = f.sample.clone().unwrap_or_else(|| zero(f.ty));
        if top_level {
            if let Some((_, v)) = vars.iter().find(|(k, _)| *k == f.name) {
                value = match f.ty {
                    Ty::Int => v.parse::<i64>().map_or(value, |n| json!(n)),
                    _ => json!(v),
                };
            }
            if paged && f.ty == Ty::Int && (f.name.contains("total") || f.name.ends_with("count")) {
                value = json!(0);
            }
            if paged && f.ty == Ty::Array {
                value = json!([]);
            }
            if paged && f.name == "pageid" {
                value = json!(get("pageid").and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(0));
            }
        }
        let parts: Vec<&str> = f.name.split('.').collect();
        put(&mut root, &parts, value, paged);
    }
    root.insert("success".into(), json!(1));
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::super::inventory::{Lookup, lookup};
    use super::*;
    use axum::http::Method;

    fn ep(method: Method, path: &str) -> &'static Endpoint {
        match lookup(&method, path) {
            Lookup::Found(ep, _) => ep,
            _ => panic!("{path}"),
        }
    }

    #[test]
    fn nested_problems_name_the_element() {
        let e = ep(Method::POST, "/api/v1/vc/confs/1/mts");
        let params = json!({"mts": [
            {"account_type": 5, "account": "2322231", "bitrate": 2048, "protocol": 0},
            {"account_type": 5, "account": "2322232", "protocol": "x"}
        ]});
        let p = check(e, |_| None, |_| false, &params);
        assert_eq!(p.to_json(), json!({"mts": [{"bitrate": MISSING, "protocol": WRONG_TYPE}]}));
        assert!(p.first().unwrap().contains("mts[1].bitrate"), "{:?}", p.first());
        assert!(check(e, |_| None, |_| false, &json!({})).first().unwrap().starts_with("mts: "));
    }

    #[test]
    fn paged_replies_are_empty_pages() {
        let e = ep(Method::GET, "/api/v1/mc/public_templates");
        let r = reply(e, &[], |_| None);
        assert_eq!((r["success"].clone(), r["total"].clone(), r["public_templates"].clone()), (json!(1), json!(0), json!([])));
        let e = ep(Method::GET, "/api/v2/vrs/program");
        let r = reply(e, &[], |n| (n == "pageid").then(|| "3".to_string()));
        assert_eq!((r["prgcount"].clone(), r["pageid"].clone(), r["prginfo"].clone()), (json!(0), json!(3), json!([])));
    }

    #[test]
    fn path_variables_are_echoed() {
        let e = ep(Method::GET, "/api/v1/mc/booked_confs/777");
        let r = reply(e, &[("conf_id".into(), "777".into())], |_| None);
        assert_eq!(r["conf_id"], "777");
    }
}
