//! Tolerant deserializers for the JSON real vendor servers send.
//!
//! Use with `#[serde(deserialize_with = "...")]` (or `default` + `deserialize_with`
//! for optional fields):
//! - numbers sent as strings (`"120"`), strings sent as numbers (`754884357`);
//! - booleans spelled `true`, `"true"`, `'true'`, `"YES"`, `"on"`, `1`, `"1"`.

use serde::de::DeserializeOwned;
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

// ---------- shapes ----------

/// The name serde_json gives its raw-value newtype (passed through unwrapped).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A deserializer that refuses a JSON array where a struct (an object) is expected, at
/// every depth. Serde's derived structs otherwise accept an array positionally, so
/// `[true, 3]` would decode as `{"locked": true, "count": 3}`. An empty array is still
/// accepted as an empty object (PHP servers encode `{}` as `[]`). An object where an
/// array is expected is refused by serde itself.
///
/// ```
/// #[derive(serde::Deserialize, Debug)]
/// struct Status { locked: bool }
/// let mut de = serde_json::Deserializer::from_str("[true]");
/// assert!(<Status as serde::Deserialize>::deserialize(conf_core::de::Strict(&mut de)).is_err());
/// assert!(conf_core::de::from_slice_strict::<Status>(br#"{"locked":true}"#).unwrap().locked);
/// ```
#[derive(Debug)]
pub struct Strict<D>(pub D);

/// Decode JSON bytes into `T` directly (no intermediate `serde_json::Value`), refusing
/// arrays where objects are expected ([`Strict`]).
pub fn from_slice_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Strict(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decode a `serde_json::Value` into `T`, refusing arrays where objects are expected.
pub fn from_value_strict<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, serde_json::Error> {
    T::deserialize(Strict(value))
}

struct Wrap<V> {
    inner: V,
    /// The visitor is a struct's: a non-empty sequence is refused.
    is_struct: bool,
}

impl<V> Wrap<V> {
    fn any(inner: V) -> Self {
        Self { inner, is_struct: false }
    }
}

struct WrapSeed<S>(S);
struct WrapMap<A>(A);
struct WrapSeq<A>(A);
struct WrapEnum<A>(A);
struct EmptyMap<E>(std::marker::PhantomData<E>);

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method(Wrap::any(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, Wrap::any(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        if name == RAW_VALUE_TOKEN {
            return self.0.deserialize_newtype_struct(name, visitor);
        }
        self.0.deserialize_newtype_struct(name, Wrap::any(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, Wrap::any(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, name: &'static str, len: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap::any(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(name, fields, Wrap { inner: visitor, is_struct: true })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, Wrap::any(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $t:ty),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit!(
        visit_bool: bool,
        visit_i8: i8,
        visit_i16: i16,
        visit_i32: i32,
        visit_i64: i64,
        visit_i128: i128,
        visit_u8: u8,
        visit_u16: u16,
        visit_u32: u32,
        visit_u64: u64,
        visit_u128: u128,
        visit_f32: f32,
        visit_f64: f64,
        visit_char: char,
        visit_str: &str,
        visit_borrowed_str: &'de str,
        visit_string: String,
        visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8],
        visit_byte_buf: Vec<u8>,
    );

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.is_struct {
            // `[]` is PHP's empty object; anything else in an array is not this struct.
            if seq.next_element::<de::IgnoredAny>()?.is_none() {
                return self.inner.visit_map(EmptyMap::<A::Error>(std::marker::PhantomData));
            }
            return Err(de::Error::invalid_type(Unexpected::Seq, &self.inner));
        }
        self.inner.visit_seq(WrapSeq(seq))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(WrapMap(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(WrapEnum(data))
    }
}

impl<'de, S: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for WrapSeed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for WrapMap<A> {
    type Error = A::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }
    fn next_value_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(WrapSeed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for WrapSeq<A> {
    type Error = A::Error;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(WrapSeed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for WrapEnum<A> {
    type Error = A::Error;
    type Variant = WrapEnum<A::Variant>;
    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0.variant_seed(seed).map(|(v, variant)| (v, WrapEnum(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for WrapEnum<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(WrapSeed(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap::any(visitor))
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap { inner: visitor, is_struct: true })
    }
}

impl<'de, E: de::Error> de::MapAccess<'de> for EmptyMap<E> {
    type Error = E;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>, Self::Error> {
        Ok(None)
    }
    fn next_value_seed<S: de::DeserializeSeed<'de>>(&mut self, _seed: S) -> Result<S::Value, Self::Error> {
        Err(de::Error::custom("no value in an empty object"))
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

    #[derive(Deserialize, Debug, Default)]
    #[serde(default)]
    struct Status {
        locked: bool,
        count: u32,
        inner: Option<Inner>,
        list: Vec<Inner>,
    }

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Inner {
        id: u32,
    }

    #[test]
    fn arrays_are_not_objects_and_objects_are_not_arrays() {
        // serde alone takes an array for a struct, positionally:
        assert!(serde_json::from_str::<Status>("[true, 7]").unwrap().locked);
        for bad in ["[true, 7]", r#"{"inner": [3]}"#, r#"{"list": [[3]]}"#, r#"{"list": {"id": 3}}"#, r#"{"inner": {"id": [1]}}"#] {
            assert!(from_slice_strict::<Status>(bad.as_bytes()).is_err(), "{bad}");
            assert!(from_value_strict::<Status>(serde_json::from_str(bad).unwrap()).is_err(), "{bad}");
        }
        let ok: Status = from_slice_strict(br#"{"locked":true,"count":2,"inner":{"id":1},"list":[{"id":2}]}"#).unwrap();
        assert!(ok.locked && ok.count == 2 && ok.inner == Some(Inner { id: 1 }) && ok.list == vec![Inner { id: 2 }]);
        // PHP's empty object.
        let empty: Status = from_slice_strict(br#"{"inner": []}"#).unwrap();
        assert_eq!(empty.inner, Some(Inner::default()));
        assert!(from_slice_strict::<Status>(b"{} trailing").is_err());
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
