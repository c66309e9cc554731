//! Tolerant deserializers for the JSON real vendor servers send.
//!
//! Use with `#[serde(deserialize_with = "...")]` (or `default` + `deserialize_with`
//! for optional fields):
//! - numbers sent as strings (`"120"`), strings sent as numbers (`754884357`);
//! - booleans spelled `true`, `"true"`, `'true'`, `"YES"`, `"on"`, `1`, `"1"`.

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Parse a lenient boolean from text: `true/false`, `yes/no`, `on/off`, `1/0`, `allow/deny`
/// (any case, surrounding quotes `'` or `"` ignored).
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().trim_matches(|c| c == '\'' || c == '"').trim().to_ascii_lowercase();
    match t.as_str() {
        "true" | "yes" | "y" | "on" | "1" | "allow" | "enabled" => Some(true),
        "false" | "no" | "n" | "off" | "0" | "deny" | "disabled" | "" => Some(false),
        _ => None,
    }
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean, 0/1, or a string like \"true\", \"YES\", \"On\"")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        Ok(v != 0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        Ok(v != 0)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        Ok(v != 0.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        parse_bool(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A lenient `bool`.
pub fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// A lenient `Option<bool>` (`null` or absent is `None`).
pub fn opt_bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<LenientBool>::deserialize(d).map(|o| o.map(|b| b.0))
}

/// A `bool` that deserializes leniently and serializes as a JSON boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct LenientBool(pub bool);

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bool_lenient(d).map(LenientBool)
    }
}

impl Serialize for LenientBool {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(self.0)
    }
}

macro_rules! lenient_int {
    ($name:ident, $opt:ident, $t:ty) => {
        #[doc = concat!("A lenient `", stringify!($t), "`: a JSON number or a string holding one.")]
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = $t;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(concat!("a number or a string holding a ", stringify!($t)))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                    <$t>::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                    <$t>::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<$t, E> {
                    if v.fract() == 0.0 { Ok(v as $t) } else { Err(E::invalid_value(Unexpected::Float(v), &self)) }
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                    v.trim().trim_matches(|c| c == '\'' || c == '"').parse::<$t>().map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
                }
            }
            d.deserialize_any(V)
        }

        #[doc = concat!("A lenient `Option<", stringify!($t), ">`: `null`, `\"\"`, a number or a numeric string.")]
        pub fn $opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Raw {
                N(serde_json::Number),
                S(String),
            }
            match Option::<Raw>::deserialize(d)? {
                None => Ok(None),
                Some(Raw::S(s)) if s.trim().is_empty() => Ok(None),
                Some(Raw::S(s)) => {
                    s.trim().parse::<$t>().map(Some).map_err(|_| de::Error::invalid_value(Unexpected::Str(&s), &stringify!($t)))
                }
                Some(Raw::N(n)) => {
                    let parsed = if let Some(i) = n.as_i64() {
                        <$t>::try_from(i).ok()
                    } else if let Some(u) = n.as_u64() {
                        <$t>::try_from(u).ok()
                    } else {
                        None
                    };
                    parsed.map(Some).ok_or_else(|| de::Error::custom(format!("{n} is not a valid {}", stringify!($t))))
                }
            }
        }
    };
}

lenient_int!(i64_lenient, opt_i64_lenient, i64);
lenient_int!(u64_lenient, opt_u64_lenient, u64);
lenient_int!(u32_lenient, opt_u32_lenient, u32);
lenient_int!(i32_lenient, opt_i32_lenient, i32);

/// A string that may arrive as a JSON number, string, or bool (kept as text).
pub fn string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string_lenient(d)?.unwrap_or_default())
}

/// An optional string that may arrive as a number.
pub fn opt_string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_json::Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(de::Error::custom(format!("expected a string or number, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "bool_lenient")]
        b: bool,
        #[serde(deserialize_with = "u64_lenient")]
        n: u64,
        #[serde(default, deserialize_with = "opt_u64_lenient")]
        o: Option<u64>,
        #[serde(deserialize_with = "string_lenient")]
        s: String,
    }

    #[test]
    fn tolerant_shapes() {
        for (b, expect) in [
            ("true", true),
            ("\"true\"", true),
            ("\"'true'\"", true),
            ("\"YES\"", true),
            ("\"On\"", true),
            ("1", true),
            ("\"NO\"", false),
            ("0", false),
            ("\"off\"", false),
        ] {
            let t: T = serde_json::from_str(&format!(r#"{{"b":{b},"n":"120","s":754884357}}"#)).unwrap();
            assert_eq!(t.b, expect, "{b}");
            assert_eq!(t.n, 120);
            assert_eq!(t.s, "754884357");
            assert_eq!(t.o, None);
        }
        let t: T = serde_json::from_str(r#"{"b":false,"n":5,"o":"7","s":"x"}"#).unwrap();
        assert_eq!(t.o, Some(7));
        let t: T = serde_json::from_str(r#"{"b":false,"n":5,"o":"","s":"x"}"#).unwrap();
        assert_eq!(t.o, None);
        assert!(serde_json::from_str::<T>(r#"{"b":"maybe","n":5,"s":"x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b":true,"n":"x5","s":"x"}"#).is_err());
    }
}
