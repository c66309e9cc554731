//! Join tokens for the single-parameter join URL (`/h5/index.html?token=`), byte-exact
//! with the vendor document's two reference implementations.
//!
//! Both flavours encrypt a JSON object (`serial`, `userid`, `username`, `joinRole`) that
//! has been JSON-encoded *twice* (the object, then the resulting text as a JSON string)
//! with AES-256-CBC and PKCS#7 padding, encode the ciphertext in Base64 and URL-encode
//! that. They differ in the key material and in how the JSON is escaped:
//!
//! | | [`TokenFlavour::Java`] | [`TokenFlavour::Php`] |
//! |---|---|---|
//! | key / IV | given as hex (64 + 32 digits) | `md5(prev . passphrase . passkey)` repeated until 48 bytes: key = 0..32, IV = 32..48 |
//! | `/` | `\/` (in the outer string only) | `\/` in the object, `\\\/` in the outer string |
//! | non-ASCII below U+4E00 | raw UTF-8 | `\uXXXX` (surrogate pairs above U+FFFF) |
//! | UTF-16 units from U+4E00 | a backslash pair, `u`, lowercase hex | `\uXXXX` |
//!
//! The Java code of the document writes `"\\\\u"`, i.e. *two* backslashes before the `u`
//! inside the already quoted string: once the outer string is decoded, the object text
//! holds a normal `\uXXXX` escape, so both flavours decode to the same payload.

use std::fmt;

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use conf_core::{Error, ExposeSecret, SecretString};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// Role of a user joining by URL (`joinRole`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JoinRole {
    /// `presenter`: an ordinary participant (普通用户).
    Presenter,
    /// `speaker`: the lecturer (主讲).
    Speaker,
    /// `chairman`: the chair (主席).
    Chairman,
    /// Any other value the platform may know.
    Other(String),
}

impl JoinRole {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Presenter => "presenter",
            Self::Speaker => "speaker",
            Self::Chairman => "chairman",
            Self::Other(s) => s,
        }
    }

    /// Parse a wire value (unknown values become [`JoinRole::Other`]).
    pub fn from_wire(s: &str) -> Self {
        match s {
            "presenter" => Self::Presenter,
            "speaker" => Self::Speaker,
            "chairman" => Self::Chairman,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for JoinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a join token carries, in the document's field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinPayload {
    /// Meeting number (`serial`).
    pub serial: String,
    /// User id, unique per user (`userid`).
    pub userid: String,
    /// Display name (`username`).
    pub username: String,
    /// Role (`joinRole`).
    pub join_role: JoinRole,
}

impl JoinPayload {
    /// A payload.
    pub fn new(serial: impl Into<String>, userid: impl Into<String>, username: impl Into<String>, join_role: JoinRole) -> Self {
        Self { serial: serial.into(), userid: userid.into(), username: username.into(), join_role }
    }

    /// Check the fields a server needs: none empty.
    pub fn validate(&self) -> Result<(), Error> {
        for (field, v) in [("serial", &self.serial), ("userid", &self.userid), ("username", &self.username)] {
            if v.trim().is_empty() {
                return Err(Error::invalid_input(field, "must not be empty"));
            }
        }
        if self.join_role.as_str().is_empty() {
            return Err(Error::invalid_input("joinRole", "must not be empty"));
        }
        Ok(())
    }

    fn pairs(&self) -> [(&'static str, &str); 4] {
        [("serial", &self.serial), ("userid", &self.userid), ("username", &self.username), ("joinRole", self.join_role.as_str())]
    }
}

/// Which of the document's two reference implementations to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenFlavour {
    /// The Java `Token` class (Jackson, hex key and IV).
    Java,
    /// The PHP `getToken` function (`json_encode`, key and IV from passkey and passphrase).
    Php,
}

impl fmt::Display for TokenFlavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Java => "java",
            Self::Php => "php",
        })
    }
}

/// AES-256-CBC key material for join tokens. `Debug` never shows the key or IV.
#[derive(Clone)]
pub struct TokenKey {
    flavour: TokenFlavour,
    key: [u8; 32],
    iv: [u8; 16],
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey").field("flavour", &self.flavour).field("key", &"<redacted>").field("iv", &"<redacted>").finish()
    }
}

impl TokenKey {
    /// Java flavour: the key (64 hex digits) and IV (32 hex digits) the vendor provides.
    pub fn java(key_hex: &SecretString, iv_hex: &SecretString) -> Result<Self, Error> {
        let key = decode_hex::<32>("key_hex", key_hex.expose_secret())?;
        let iv = decode_hex::<16>("iv_hex", iv_hex.expose_secret())?;
        Ok(Self { flavour: TokenFlavour::Java, key, iv })
    }

    /// PHP flavour: key and IV derived from the vendor's `passkey` and `passphrase`
    /// (`$dx = md5($dx . $passphrase . $passkey, true)` until 48 bytes).
    pub fn php(passkey: &SecretString, passphrase: &SecretString) -> Result<Self, Error> {
        if passkey.expose_secret().is_empty() {
            return Err(Error::invalid_input("passkey", "must not be empty"));
        }
        if passphrase.expose_secret().is_empty() {
            return Err(Error::invalid_input("passphrase", "must not be empty"));
        }
        let (key, iv) = derive_php_key(passkey.expose_secret().as_bytes(), passphrase.expose_secret().as_bytes());
        Ok(Self { flavour: TokenFlavour::Php, key, iv })
    }

    /// Whether `other` holds the same AES key and IV (whatever the flavours): e.g. a PHP
    /// passkey/passphrase pair and the hex key/IV the vendor derived from it.
    pub fn same_material(&self, other: &TokenKey) -> bool {
        // Constant-time comparison: no early exit on the first differing byte.
        let diff = self.key.iter().zip(other.key.iter()).chain(self.iv.iter().zip(other.iv.iter())).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }

    /// The flavour this key material belongs to (it selects the JSON escaping).
    pub fn flavour(&self) -> TokenFlavour {
        self.flavour
    }

    /// Make a join token for `payload` (URL-encoded, ready for `?token=`).
    pub fn token(&self, payload: &JoinPayload) -> Result<String, Error> {
        payload.validate()?;
        Ok(self.token_for_plaintext(&encoded_plaintext(self.flavour, payload)))
    }

    /// Encrypt an already encoded plaintext and finish it as a token (Base64, URL-encoded).
    pub fn token_for_plaintext(&self, plaintext: &str) -> String {
        url_encode(&BASE64.encode(self.encrypt(plaintext.as_bytes())))
    }

    /// AES-256-CBC with PKCS#7 padding under this key and IV.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext)
    }

    /// Decrypt and decode a token (URL-encoded or plain Base64), for support work:
    /// which meeting, user and role does this link carry? Fails with
    /// [`Error::InvalidInput`] (field `token`) when the token is not one of this key's.
    pub fn inspect(&self, token: &str) -> Result<InspectedToken, Error> {
        let b64 = if token.contains('%') {
            percent_encoding::percent_decode_str(token)
                .decode_utf8()
                .map_err(|_| Error::invalid_input("token", "percent-encoding does not decode to text"))?
                .into_owned()
        } else {
            token.to_owned()
        };
        // A token that went through form decoding has spaces where `+` was.
        let b64 = b64.trim().replace(' ', "+");
        let cipher = BASE64.decode(b64.as_bytes()).map_err(|e| Error::invalid_input("token", format!("not Base64: {e}")))?;
        if cipher.is_empty() || cipher.len() % 16 != 0 {
            return Err(Error::invalid_input("token", format!("ciphertext of {} bytes is not a whole number of AES blocks", cipher.len())));
        }
        let plain = cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&cipher)
            .map_err(|_| Error::invalid_input("token", "bad padding after decryption: the token was made with other key material"))?;
        let encoded_plaintext =
            String::from_utf8(plain).map_err(|_| Error::invalid_input("token", "decrypted bytes are not UTF-8: wrong key material"))?;
        let inner_json: String = serde_json::from_str(&encoded_plaintext)
            .map_err(|e| Error::invalid_input("token", format!("plaintext is not a JSON string: {e}")))?;
        let fields: Map<String, Value> = serde_json::from_str(&inner_json)
            .map_err(|e| Error::invalid_input("token", format!("inner text is not a JSON object: {e}")))?;
        Ok(InspectedToken { encoded_plaintext, inner_json, fields })
    }
}

/// A decrypted token.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectedToken {
    /// The decrypted plaintext (the object JSON-encoded twice).
    pub encoded_plaintext: String,
    /// The object's JSON text after one decoding.
    pub inner_json: String,
    /// The object's fields.
    pub fields: Map<String, Value>,
}

impl InspectedToken {
    /// The payload, when all four fields are present as strings.
    pub fn payload(&self) -> Option<JoinPayload> {
        let get = |k: &str| self.fields.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(JoinPayload {
            serial: get("serial")?,
            userid: get("userid")?,
            username: get("username")?,
            join_role: JoinRole::from_wire(&get("joinRole")?),
        })
    }
}

/// The object's JSON text as the flavour's first encoding writes it
/// (Java: as Jackson writes a map, non-ASCII raw; PHP: `json_encode`).
pub fn inner_json(flavour: TokenFlavour, payload: &JoinPayload) -> String {
    let quote = match flavour {
        TokenFlavour::Java => jackson_string,
        TokenFlavour::Php => php_string,
    };
    let mut out = String::from("{");
    for (i, (k, v)) in payload.pairs().into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quote(&mut out, k);
        out.push(':');
        quote(&mut out, v);
    }
    out.push('}');
    out
}

/// The exact plaintext that is encrypted: the object's JSON text encoded once more as
/// a JSON string, with the flavour's escaping (see the module documentation).
pub fn encoded_plaintext(flavour: TokenFlavour, payload: &JoinPayload) -> String {
    let inner = inner_json(flavour, payload);
    let mut out = String::with_capacity(inner.len() * 2);
    match flavour {
        TokenFlavour::Java => {
            // One pass doing what the Java code does in three: Jackson quotes the text
            // (only ASCII escapes, `/` and non-ASCII stay raw), then `/` becomes `\/`,
            // then every UTF-16 unit >= U+4E00 becomes "\\\\u" + lowercase hex.
            let mut units = [0u16; 2];
            out.push('"');
            for c in inner.chars() {
                match c {
                    '/' => out.push_str("\\/"),
                    c if u32::from(c) >= 0x4E00 => {
                        for u in c.encode_utf16(&mut units) {
                            // Units >= U+4E00 always have four hex digits.
                            out.push_str("\\\\u");
                            push_hex4(&mut out, *u, LOWER_HEX);
                        }
                    }
                    c => jackson_char(&mut out, c),
                }
            }
            out.push('"');
        }
        TokenFlavour::Php => php_string(&mut out, &inner),
    }
    out
}

/// Jackson's string quoting: `"` and `\` escaped, control characters as `\n`-style or
/// `\u00XX` (uppercase hex), everything else (including `/` and non-ASCII) raw.
fn jackson_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        jackson_char(out, c);
    }
    out.push('"');
}

/// One character inside a Jackson-quoted string.
fn jackson_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x20 => {
            out.push_str("\\u");
            push_hex4(out, c as u16, UPPER_HEX);
        }
        c => out.push(c),
    }
}

/// PHP `json_encode` string quoting with default flags: `"`, `\` and `/` escaped,
/// control characters as `\n`-style or `\u00xx`, every non-ASCII character as
/// `\uxxxx` (lowercase hex, surrogate pairs above U+FFFF).
fn php_string(out: &mut String, s: &str) {
    out.push('"');
    let mut units = [0u16; 2];
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u");
                push_hex4(out, c as u16, LOWER_HEX);
            }
            c if c.is_ascii() => out.push(c),
            c => {
                for u in c.encode_utf16(&mut units) {
                    out.push_str("\\u");
                    push_hex4(out, *u, LOWER_HEX);
                }
            }
        }
    }
    out.push('"');
}

/// `URLEncoder.encode(s, "UTF-8")` / PHP `urlencode`: letters, digits and `-_.` kept,
/// space as `+`, everything else `%XX` (uppercase). (Java also keeps `*`, PHP encodes it;
/// Base64 text never contains `*` or a space, so both flavours agree on tokens.)
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            b => {
                out.push('%');
                out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
                out.push(char::from(UPPER_HEX[usize::from(b & 0xF)]));
            }
        }
    }
    out
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Four hex digits of a UTF-16 unit.
fn push_hex4(out: &mut String, unit: u16, digits: &[u8; 16]) {
    for shift in [12, 8, 4, 0] {
        out.push(char::from(digits[usize::from((unit >> shift) & 0xF)]));
    }
}

/// Key and IV of the PHP flavour (an OpenSSL `EVP_BytesToKey`-style MD5 chain).
fn derive_php_key(passkey: &[u8], passphrase: &[u8]) -> ([u8; 32], [u8; 16]) {
    let mut salted = Vec::with_capacity(48);
    let mut dx: Vec<u8> = Vec::new();
    while salted.len() < 48 {
        let mut h = Md5::new();
        h.update(&dx);
        h.update(passphrase);
        h.update(passkey);
        dx = h.finalize().to_vec();
        salted.extend_from_slice(&dx);
    }
    let mut key = [0u8; 32];
    let mut iv = [0u8; 16];
    key.copy_from_slice(&salted[..32]);
    iv.copy_from_slice(&salted[32..48]);
    (key, iv)
}

fn decode_hex<const N: usize>(field: &str, text: &str) -> Result<[u8; N], Error> {
    let text = text.trim();
    let bytes = hex::decode(text).map_err(|_| Error::invalid_input(field, "not hexadecimal"))?;
    bytes.try_into().map_err(|b: Vec<u8>| Error::invalid_input(field, format!("{} bytes, expected {N} ({} hex digits)", b.len(), N * 2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_core::secret::secret;

    fn payload(name: &str) -> JoinPayload {
        JoinPayload::new("111111", "123456", name, JoinRole::Presenter)
    }

    #[test]
    fn java_escapes_from_4e00_with_two_backslashes() {
        let p = encoded_plaintext(TokenFlavour::Java, &payload("a/我😀。"));
        assert!(p.contains(r"a\/\\u6211\\ud83d\\ude00。"), "{p}");
    }

    #[test]
    fn php_escapes_all_non_ascii_and_slash() {
        assert_eq!(
            inner_json(TokenFlavour::Php, &payload("a/é😀")).split("username\":").nth(1).unwrap(),
            r#""a\/\u00e9\ud83d\ude00","joinRole":"presenter"}"#
        );
    }

    #[test]
    fn control_characters_follow_each_library() {
        assert!(inner_json(TokenFlavour::Java, &payload("a\u{1f}\n")).contains(r"a\u001F\n"));
        assert!(inner_json(TokenFlavour::Php, &payload("a\u{1f}\n")).contains(r"a\u001f\n"));
    }

    #[test]
    fn roundtrip_both_flavours_and_wrong_key_fails() {
        let java = TokenKey::java(&secret("00".repeat(32)), &secret("11".repeat(16))).unwrap();
        let php = TokenKey::php(&secret("k"), &secret("p")).unwrap();
        for key in [&java, &php] {
            let p = JoinPayload::new("9", "u 1", "张三 & #1 \"q\" \\ /x é", JoinRole::Chairman);
            let t = key.token(&p).unwrap();
            assert_eq!(key.inspect(&t).unwrap().payload().unwrap(), p);
            // Already URL-decoded tokens work too.
            let decoded = percent_encoding::percent_decode_str(&t).decode_utf8().unwrap().into_owned();
            assert_eq!(key.inspect(&decoded).unwrap().payload().unwrap(), p);
        }
        let t = java.token(&payload("x")).unwrap();
        assert!(matches!(php.inspect(&t), Err(Error::InvalidInput { .. })));
    }

    #[test]
    fn bad_key_material_is_invalid_input_without_the_value() {
        let e = TokenKey::java(&secret("zz-secret-zz"), &secret("11".repeat(16))).unwrap_err();
        assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "key_hex"));
        assert!(!e.to_string().contains("secret"));
        assert!(TokenKey::java(&secret("00".repeat(31)), &secret("11".repeat(16))).is_err());
        let k = TokenKey::php(&secret("passkey-value"), &secret("phrase-value")).unwrap();
        assert!(!format!("{k:?}").contains("value"));
    }

    #[test]
    fn empty_payload_fields_are_rejected() {
        let k = TokenKey::php(&secret("k"), &secret("p")).unwrap();
        assert!(matches!(k.token(&payload(" ")), Err(Error::InvalidInput { field, .. }) if field == "username"));
    }
}
