//! Validation rules beyond lengths and ranges: byte lengths, character sets and conditional
//! requirements (`required_if`), all checked before anything is sent.

use anyhow::{Context, Result, bail, ensure};
use proc_macro2::TokenStream;
use quote::quote;

use super::{ModuleGen, int_lit, lit, wire_of};
use crate::codegen::model::{Kind, Ty, parse_ty};
use crate::codegen::names;
use crate::codegen::spec::{Field, Validate, value_text};

/// Checks of a text value (`text` is an expression of type `&str`): byte lengths and
/// character sets.
pub fn text_rules(r: &Validate, text: &TokenStream, wire: &str) -> TokenStream {
    let wl = lit(wire);
    let mut out = TokenStream::new();
    let opt = |x: Option<u64>| match x {
        Some(n) => {
            let l = int_lit(i128::from(n));
            quote!(Some(#l))
        }
        None => quote!(None),
    };
    if r.min_bytes.is_some() || r.max_bytes.is_some() {
        let (a, b) = (opt(r.min_bytes), opt(r.max_bytes));
        out.extend(quote!(super::support::byte_len_range(#wl, #text, #a, #b)?;));
    }
    if let Some(set) = &r.chars {
        out.extend(quote!(super::support::chars_in(#wl, #text, #set)?;));
    }
    if let Some(set) = &r.not_chars {
        out.extend(quote!(super::support::chars_not_in(#wl, #text, #set)?;));
    }
    if let Some(set) = &r.not_edge_chars {
        out.extend(quote!(super::support::edge_chars_not_in(#wl, #text, #set)?;));
    }
    out
}

/// Whether a rule set has text-only rules (an error on a field that is not text).
pub fn has_text_rules(r: &Validate) -> bool {
    r.min_bytes.is_some() || r.max_bytes.is_some() || r.chars.is_some() || r.not_chars.is_some() || r.not_edge_chars.is_some()
}

impl ModuleGen<'_> {
    /// The `required_if` checks of the fields of `owner` (`nested`: inside a struct, where
    /// times and secrets are always optional).
    pub(super) fn conditional_checks(&self, fields: &[(&Field, TokenStream)], nested: bool) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        for (f, owner) in fields {
            let Some(cond) = &f.required_if else { continue };
            let ctx = || format!("field `{}`: `required_if`", f.name);
            ensure!(!f.required, "field `{}`: `required_if` on a field that is always required", f.name);
            let (g, _) = fields
                .iter()
                .find(|(g, _)| g.name == cond.field || wire_of(g) == cond.field)
                .with_context(|| format!("field `{}`: `required_if` names `{}`, which is not a field here", f.name, cond.field))?;
            ensure!(g.name != f.name, "field `{}`: `required_if` names the field itself", f.name);
            let gty = parse_ty(&g.ty, g.type_name.as_deref())?;
            let g_opt = !g.required || (nested && matches!(gty, Ty::Time | Ty::DateTime | Ty::Secret));
            let gid = names::ident(&g.name);
            // `when(body)`: the test on `v`, a reference to the other field's value when set.
            let when = |body: TokenStream| {
                if g_opt { quote!(#owner.#gid.as_ref().is_some_and(|v| #body)) } else { body }
            };
            let (values, negate) = match (&cond.one_of, &cond.not_one_of) {
                (Some(v), None) => (Some(v), false),
                (None, Some(v)) => (Some(v), true),
                (None, None) => (None, false),
                (Some(_), Some(_)) => bail!("{}: give `one_of` or `not_one_of`, not both", ctx()),
            };
            let gwire = wire_of(g);
            let (test, reason) = match values {
                None => {
                    ensure!(g_opt, "{}: `{}` is always set, so the field is simply required", ctx(), cond.field);
                    (quote!(#owner.#gid.is_some()), format!("`{gwire}` is set"))
                }
                Some(vs) => {
                    ensure!(!vs.is_empty(), "{}: an empty value list", ctx());
                    let subject = self.value_subject(&gty).with_context(ctx)?;
                    let pats = self.value_patterns(&gty, vs).with_context(ctx)?;
                    let listed = vs.iter().filter_map(value_text).collect::<Vec<_>>().join(", ");
                    if negate {
                        (when(quote!(!matches!(#subject, #(#pats)|*))), format!("`{gwire}` is not {listed}"))
                    } else {
                        (when(quote!(matches!(#subject, #(#pats)|*))), format!("`{gwire}` is {listed}"))
                    }
                }
            };
            let fid = names::ident(&f.name);
            let fw = lit(&wire_of(f));
            // A required other field is bound to `v` first (no block inside the condition).
            let bind = if g_opt { quote!() } else { quote!(let v = &#owner.#gid;) };
            out.extend(quote! {
                {
                    #bind
                    if #test {
                        super::support::required_when(#owner.#fid.as_ref(), #fw, #reason)?;
                    }
                }
            });
        }
        Ok(out)
    }

    /// The expression compared against the listed values (`v` is a reference to the value).
    fn value_subject(&self, ty: &Ty) -> Result<TokenStream> {
        Ok(match ty {
            Ty::Named(n) if self.reg.is_enum(n) => quote!(v.value()),
            Ty::Str => quote!(v.as_str()),
            t if t.is_int() => quote!(*v),
            Ty::Bool => quote!(*v),
            other => bail!("values of type `{}` cannot be compared", other.spec_name()),
        })
    }

    /// Literal patterns of the compared type.
    fn value_patterns(&self, ty: &Ty, values: &[toml::Value]) -> Result<Vec<TokenStream>> {
        let int_enum = matches!(ty, Ty::Named(n) if matches!(self.reg.types.get(n).map(|t| &t.kind), Some(Kind::Enum { int: true, .. })));
        values
            .iter()
            .map(|v| {
                Ok(match (v, ty) {
                    (toml::Value::Integer(i), t) if t.is_int() || int_enum => int_lit(i128::from(*i)),
                    (toml::Value::String(s), Ty::Str | Ty::Named(_)) if !int_enum => {
                        let l = lit(s);
                        quote!(#l)
                    }
                    (toml::Value::Boolean(b), Ty::Bool) => quote!(#b),
                    (other, _) => bail!("value {other} does not match the type `{}`", ty.spec_name()),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::Service;
    use crate::codegen::model::Registry;
    use crate::codegen::spec::parse;

    /// The error of generating the one endpoint of `params` (next to an int enum `Enc`).
    fn spec_error(params: &str) -> String {
        let text = format!(
            "[[types]]\nname = \"Enc\"\nkind = \"enum\"\nvalues = [ {{ name = \"Off\", value = 0 }} ]\n\
             [[endpoints]]\nname = \"x\"\nmethod = \"POST\"\npath = \"/x\"\nbody = \"json\"\nparams = {params}\n"
        );
        let file = parse(&text).unwrap();
        let mut reg = Registry::default();
        reg.collect("m", "m.toml", &file).unwrap();
        let service = Service { vendor: "v".into(), client: "C".into(), decode: "d".into(), title: "t".into(), group: None };
        let g = ModuleGen { reg: &reg, module: "m", service: &service, spec_path: "m.toml" };
        g.endpoint(&file.endpoints[0]).map_or_else(|e| format!("{e:#}"), |_| String::new())
    }

    #[test]
    fn conditional_requirements_are_checked_in_the_spec() {
        let ok = r#"[ { name = "enc", type = "Enc" }, { name = "key", required_if = { field = "enc", not_one_of = [0] } } ]"#;
        assert_eq!(spec_error(ok), "");
        let cases = [
            (r#"[ { name = "key", required_if = { field = "nope" } } ]"#, "not a field here"),
            (
                r#"[ { name = "enc", type = "Enc" }, { name = "key", required = true, required_if = { field = "enc" } } ]"#,
                "always required",
            ),
            (
                r#"[ { name = "enc", type = "Enc" }, { name = "key", required_if = { field = "enc", one_of = [1], not_one_of = [2] } } ]"#,
                "not both",
            ),
            (r#"[ { name = "enc", type = "Enc" }, { name = "key", required_if = { field = "enc", one_of = ["a"] } } ]"#, "does not match"),
            (r#"[ { name = "enc", type = "Enc", required = true }, { name = "key", required_if = { field = "enc" } } ]"#, "always set"),
            (r#"[ { name = "n", type = "u32", validate = { max_bytes = 3 } } ]"#, "need a string field"),
        ];
        for (params, expected) in cases {
            let e = spec_error(params);
            assert!(e.contains(expected), "{params}: {e}");
        }
    }
}
