//! The contract of `#[model]` and `#[request]` (crate `conf-macros`) on hand-written items:
//! generated code is exactly such items, with their docs.

#![allow(missing_docs)]

use conf_core::codegen::{model, request};
use conf_core::{Body, Client, ClientConfig, Error, SecretString, TypedOperation};
use serde_json::json;

#[allow(unused_imports)]
use conf_core::pipeline::typed::decode_json as decode;

/// The vendor name `#[request]` stamps on operations.
const VENDOR: &str = "demo";

#[model(response)]
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub id: String,
    #[wire(required)]
    pub at: Option<conf_core::DateTime>,
    #[wire(missing_ok)]
    pub label: String,
    #[wire(int01)]
    pub on: Option<bool>,
    #[wire(rename = "x-y")]
    pub xy: Option<i64>,
    #[wire(strict)]
    pub n: Option<i64>,
    pub token: Option<SecretString>,
}

#[model]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    #[wire(1)]
    On,
    #[wire(3)]
    Off,
    Unknown(i64),
}

#[model(response)]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomUpdateResponse {
    pub ok: Option<bool>,
}

#[derive(Debug)]
pub struct Demo {
    inner: Client,
}

impl conf_core::ClientHandle for Demo {
    fn core(&self) -> &Client {
        &self.inner
    }
}

/// Update a room.
#[request(http = "PUT /rooms/{room}", client = "Demo", body = "params_json")]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RoomUpdateRequest {
    /// The room.
    pub room: String,
    /// The room key.
    #[wire(header)]
    pub key: SecretString,
    /// Mute everyone (in the `params` object: the body kind's default).
    #[wire(int01)]
    pub mute: bool,
    /// The mode.
    pub mode: Option<Mode>,
    /// Seats.
    #[wire(default = "8")]
    pub size: Option<i64>,
    /// Tags.
    #[wire(query)]
    pub tags: Option<Vec<String>>,
    /// A note, as a form field beside `params`.
    #[wire(form)]
    pub note: Option<String>,
}

fn demo() -> Demo {
    Demo { inner: Client::builder(ClientConfig::parse("http://127.0.0.1:9").unwrap()).build().unwrap() }
}

#[test]
fn models_are_strict_unless_told_and_write_the_vendor_encodings() {
    let full = json!({"id": "r1", "at": "2026-03-01T09:30:00+08:00", "on": 1, "x-y": "7", "n": 5, "token": "t0ken"});
    let r: Reply = serde_json::from_value(full.clone()).unwrap();
    assert_eq!((r.id.as_str(), r.on, r.xy, r.n, r.label.as_str()), ("r1", Some(true), Some(7), Some(5), ""));
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!((back["on"].clone(), back["x-y"].clone(), back["at"].clone()), (json!(1), json!(7), json!("2026-03-01T09:30:00+08:00")));
    assert!(back.get("token").is_none(), "a reply's secret is never serialized: {back}");
    for missing in ["id", "at"] {
        let mut v = full.clone();
        v.as_object_mut().unwrap().remove(missing);
        let e = serde_json::from_value::<Reply>(v).unwrap_err();
        assert!(e.to_string().contains(&format!("missing field `{missing}`")), "{e}");
    }
    let mut v = full.clone();
    v["at"] = json!(null);
    assert_eq!(serde_json::from_value::<Reply>(v).unwrap().at, None, "required, but the vendor may send null");
    let mut v = full;
    v["n"] = json!("5");
    assert!(serde_json::from_value::<Reply>(v).is_err(), "`strict`: no text for a number");
}

#[test]
fn open_enums_keep_unknown_values() {
    assert_eq!((Mode::from_value(3), Mode::from_value(9)), (Mode::Off, Mode::Unknown(9)));
    assert_eq!((Mode::On.value(), Mode::Unknown(9).to_string(), Mode::default()), (1, "9".to_owned(), Mode::Unknown(0)));
    assert_eq!(serde_json::from_value::<Mode>(json!("1")).unwrap(), Mode::On);
    assert_eq!(serde_json::to_value(Mode::Unknown(9)).unwrap(), json!(9));
}

#[test]
fn requests_place_each_field_and_refuse_bad_input_before_sending() {
    let client = demo();
    // `call` and `op` come from the type's name; `output` is `RoomUpdateResponse`.
    let builder = client.room_update().room("a b").key("k3y").mute(true).mode(Mode::Off).tags(vec!["x".into(), "y".into()]).note("hi");
    let req = builder.build().unwrap();
    let op = req.clone().serialize().unwrap();
    assert_eq!((op.vendor, op.name, op.method.as_str(), op.path.as_str()), ("demo", "room_update", "PUT", "/rooms/a%20b"));
    assert!(op.idempotent, "PUT is idempotent by default");
    assert_eq!(op.query, [("tags".to_owned(), "x".to_owned()), ("tags".to_owned(), "y".to_owned())]);
    let key = op.headers.get("key").unwrap();
    assert!(key.is_sensitive(), "a secret header is never logged");
    assert_eq!(key.to_str().unwrap(), "k3y");
    let Body::Form(form) = &op.body else { panic!("a form body") };
    assert_eq!(form, &[("note".to_owned(), "hi".to_owned()), ("params".to_owned(), r#"{"mute":1,"mode":3,"size":8}"#.to_owned())]);
    assert!(!format!("{req:?}").contains("k3y"), "Debug never shows a secret");

    // A missing required field names its setter; an empty path value is refused.
    let e = client.room_update().room("a").mute(false).build().unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "key"), "{e}");
    let e = RoomUpdateRequest::new("", "k", false).serialize().unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "room"), "{e}");
    // The value path: `new` with the required fields and setters for the optional ones.
    let req = RoomUpdateRequest::new("r", "k", false).size(2);
    assert_eq!(req.size, Some(2));
}
