//! The vendor's endpoint inventory: `data/moyun/endpoints.json`, derived from the reference
//! inventory by `data/moyun/derive.py` (see the README there), compiled in.
//!
//! Every request is matched against it: an unknown path is a 404, a known path with another
//! method a 405, and every matched endpoint says which parameters it requires and what its
//! reply carries.

use std::sync::OnceLock;

use axum::http::Method;
use serde_json::Value;

const DATA: &str = include_str!("../../data/moyun/endpoints.json");

/// A parameter or reply field type, as the inventory writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Str,
    Array,
    Object,
    /// A multipart file part.
    File,
    /// Untyped in the inventory (`_method`, the `params` form row).
    Any,
}

impl Ty {
    fn parse(s: &str) -> Self {
        match s {
            "int" => Ty::Int,
            "str" => Ty::Str,
            "array" | "list" => Ty::Array,
            "object" => Ty::Object,
            "File" => Ty::File,
            _ => Ty::Any,
        }
    }
}

/// A request parameter (`a[].b`: field `b` of every element of `a`; `a.b`: field `b` of `a`).
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
}

/// A reply field, with the vendor example's value when it has one of the right type.
#[derive(Debug, Clone)]
pub(crate) struct ReplyField {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    pub(crate) sample: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Var(String),
}

/// One endpoint of the inventory.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) app: String,
    pub(crate) method: Method,
    pub(crate) uri: String,
    segs: Vec<Seg>,
    pub(crate) min_level: u32,
    pub(crate) query: Vec<Param>,
    pub(crate) form: Vec<Param>,
    pub(crate) params_json: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) reply: Vec<ReplyField>,
}

impl Endpoint {
    /// Whether this is an app's API-level query (`/api/{app}/version`), credential-free.
    pub(crate) fn is_version(&self) -> bool {
        !self.uri.starts_with("/api/v")
    }

    /// Whether the list answers a page (start/count or pageid/prgs1page).
    pub(crate) fn is_paged(&self) -> bool {
        let has = |n: &str| self.query.iter().any(|p| p.name == n);
        (has("start") && has("count")) || has("pageid") || has("prgs1page")
    }

    fn literals(&self) -> usize {
        self.segs.iter().filter(|s| matches!(s, Seg::Lit(_))).count()
    }

    /// The path variables if `segs` matches this endpoint's URI template.
    fn bind(&self, segs: &[&str]) -> Option<Vec<(String, String)>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut vars = Vec::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                Seg::Lit(l) if l == got => {}
                Seg::Var(v) if !got.is_empty() => vars.push((v.clone(), (*got).to_string())),
                _ => return None,
            }
        }
        Some(vars)
    }
}

fn params(v: &Value) -> Vec<Param> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            Some(Param { name: row.get(0)?.as_str()?.to_string(), ty: Ty::parse(row.get(1)?.as_str()?), required: row.get(2)?.as_bool()? })
        })
        .collect()
}

fn endpoint(v: &Value) -> Option<Endpoint> {
    let uri = v["uri"].as_str()?.to_string();
    let segs = uri
        .trim_matches('/')
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(var) => Seg::Var(var.to_string()),
            None => Seg::Lit(s.to_string()),
        })
        .collect();
    let reply = v["reply"]
        .as_array()?
        .iter()
        .filter_map(|row| {
            Some(ReplyField { name: row.get(0)?.as_str()?.to_string(), ty: Ty::parse(row.get(1)?.as_str()?), sample: row.get(2).cloned() })
        })
        .collect();
    Some(Endpoint {
        app: v["app"].as_str()?.to_string(),
        method: Method::from_bytes(v["method"].as_str()?.as_bytes()).ok()?,
        uri,
        segs,
        min_level: u32::try_from(v["min_level"].as_u64()?).ok()?,
        query: params(&v["query"]),
        form: params(&v["form"]),
        params_json: v["params_json"].as_bool()?,
        params: params(&v["params"]),
        reply,
    })
}

/// Every endpoint of the inventory (204).
pub(crate) fn all() -> &'static [Endpoint] {
    static ALL: OnceLock<Vec<Endpoint>> = OnceLock::new();
    ALL.get_or_init(|| {
        let data: Value = serde_json::from_str(DATA).expect("data/moyun/endpoints.json is JSON");
        data.as_array().expect("an array of endpoints").iter().map(|e| endpoint(e).expect("a well-formed endpoint")).collect()
    })
}

/// What the inventory says about a request.
pub(crate) enum Lookup {
    /// The endpoint and its path variables.
    Found(&'static Endpoint, Vec<(String, String)>),
    /// The path is known, with these methods only.
    WrongMethod(Vec<Method>),
    /// No endpoint has this path.
    Unknown,
}

/// Match a request; a literal segment wins over a variable (the most literal template wins).
pub(crate) fn lookup(method: &Method, path: &str) -> Lookup {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<(&'static Endpoint, Vec<(String, String)>)> = None;
    let mut allowed = Vec::new();
    for ep in all() {
        let Some(vars) = ep.bind(&segs) else { continue };
        if ep.method != *method {
            if !allowed.contains(&ep.method) {
                allowed.push(ep.method.clone());
            }
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| ep.literals() > b.literals()) {
            best = Some((ep, vars));
        }
    }
    match best {
        Some((ep, vars)) => Lookup::Found(ep, vars),
        None if allowed.is_empty() => Lookup::Unknown,
        None => Lookup::WrongMethod(allowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_inventory_loads_and_matches_itself() {
        assert_eq!(all().len(), 204);
        for ep in all() {
            let path = ep.uri.replace('{', "x").replace('}', "");
            match lookup(&ep.method, &path) {
                Lookup::Found(found, _) => assert_eq!((&found.method, &found.uri), (&ep.method, &ep.uri)),
                _ => panic!("{} {} does not match itself", ep.method, ep.uri),
            }
        }
        assert!(matches!(lookup(&Method::GET, "/api/v1/vc/nothing"), Lookup::Unknown));
        assert!(matches!(lookup(&Method::PATCH, "/api/v1/vc/confs"), Lookup::WrongMethod(m) if m.contains(&Method::GET)));
    }
}
