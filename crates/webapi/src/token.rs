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

use aes::{Aes256, Aes256Enc};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit, KeyIvInit};
use conf_core::{Error, ExposeSecret, SecretString};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// Role of a user joining by URL (`joinRole`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
#[non_exhaustive]
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

    /// Check what document 002 asks of the fields: a meeting number (`serial`), a user
    /// id (`userid`) and a role (`joinRole`) that are not empty. `username` is a free
    /// nickname: required means present, and an empty name is valid, as the vendor's
    /// reference code accepts it. Nothing is trimmed: `" "` is a value like any other.
    pub fn validate(&self) -> Result<(), Error> {
        for (field, v) in [("serial", self.serial.as_str()), ("userid", self.userid.as_str()), ("joinRole", self.join_role.as_str())] {
            if v.is_empty() {
                return Err(Error::invalid_input(field, "must not be empty"));
            }
        }
        Ok(())
    }

    fn pairs(&self) -> [(&'static str, &str); 4] {
        [("serial", &self.serial), ("userid", &self.userid), ("username", &self.username), ("joinRole", self.join_role.as_str())]
    }
}

/// Which of the document's two reference implementations to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// AES-256-CBC key material for join tokens, with the AES key schedule expanded once
/// (build one per passphrase or key and reuse it: every token then costs one CBC pass,
/// the escaping and the encoding). `Debug` never shows the key or IV.
#[derive(Clone)]
pub struct TokenKey {
    flavour: TokenFlavour,
    key: [u8; 32],
    iv: [u8; 16],
    /// The expanded encryption key schedule, built once.
    cipher: Aes256Enc,
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
        Ok(Self::from_parts(TokenFlavour::Java, key, iv))
    }

    /// PHP flavour: key and IV derived from the vendor's `passkey` and `passphrase`
    /// (`$dx = md5($dx . $passphrase . $passkey, true)` until 48 bytes). Like the
    /// vendor's PHP code, any strings are accepted, empty ones included.
    pub fn php(passkey: &SecretString, passphrase: &SecretString) -> Result<Self, Error> {
        let (key, iv) = derive_php_key(passkey.expose_secret().as_bytes(), passphrase.expose_secret().as_bytes());
        Ok(Self::from_parts(TokenFlavour::Php, key, iv))
    }

    fn from_parts(flavour: TokenFlavour, key: [u8; 32], iv: [u8; 16]) -> Self {
        Self { flavour, key, iv, cipher: Aes256Enc::new(&key.into()) }
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
    ///
    /// The plaintext is escaped straight into one buffer (both JSON encodings in one
    /// pass), encrypted in place under the expanded key, and Base64 and URL encoding
    /// are done together into the pre-sized result: byte for byte what
    /// [`encoded_plaintext`], AES-256-CBC, Base64 and [`url_encode`] give one after the other.
    pub fn token(&self, payload: &JoinPayload) -> Result<String, Error> {
        let mut out = String::new();
        self.token_into(payload, &mut out)?;
        Ok(out)
    }

    /// [`TokenKey::token`] into `out` (cleared first), so a loop making many tokens can
    /// reuse one allocation.
    pub fn token_into(&self, payload: &JoinPayload, out: &mut String) -> Result<(), Error> {
        payload.validate()?;
        let bound = plaintext_capacity(payload);
        if bound <= STACK_PLAIN {
            let mut buf = [0u8; STACK_PLAIN];
            let len = write_encoded_plaintext(self.flavour, payload, &mut buf);
            self.finish_token(&mut buf, len, out);
        } else {
            let mut buf = vec![0u8; bound];
            let len = write_encoded_plaintext(self.flavour, payload, &mut buf);
            self.finish_token(&mut buf, len, out);
        }
        Ok(())
    }

    /// Encrypt an already encoded plaintext and finish it as a token (Base64, URL-encoded).
    pub fn token_for_plaintext(&self, plaintext: &str) -> String {
        let len = plaintext.len();
        let mut buf = vec![0u8; len - len % 16 + 16];
        buf[..len].copy_from_slice(plaintext.as_bytes());
        let mut out = String::new();
        self.finish_token(&mut buf, len, &mut out);
        out
    }

    /// AES-256-CBC with PKCS#7 padding under this key and IV.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        self.encryptor().encrypt_padded_vec_mut::<Pkcs7>(plaintext)
    }

    /// A CBC encryptor over the already expanded key schedule (borrowed, not copied).
    fn encryptor(&self) -> cbc::Encryptor<&Aes256Enc> {
        cbc::Encryptor::inner_iv_init(&self.cipher, &self.iv.into())
    }

    /// Pad and encrypt the plaintext `buf[..len]` in place (`buf` has room for the
    /// padding block), then write it to `out` as URL-encoded Base64.
    fn finish_token(&self, buf: &mut [u8], len: usize, out: &mut String) {
        let cipher = self.encryptor().encrypt_padded_mut::<Pkcs7>(buf, len).expect("the buffer holds a whole padding block");
        base64_url_encode_into(cipher, out);
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
#[non_exhaustive]
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

/// Upper bound of the encoded plaintext's length for `payload`, plus one AES block of
/// padding: every input byte becomes at most 7 output bytes (an ASCII control
/// character becomes `\\u001f`).
fn plaintext_capacity(p: &JoinPayload) -> usize {
    let values = p.serial.len() + p.userid.len() + p.username.len() + p.join_role.as_str().len();
    SKELETON_LEN + values * 7 + 16
}

/// The fixed text around the four values, identical in both flavours (the keys hold
/// nothing either flavour escapes): `"{\"serial\":\"` ... `\"}"`.
const SKELETON_0: &[u8; 15] = br#""{\"serial\":\""#;
const SKELETON_1: &[u8; 16] = br#"\",\"userid\":\""#;
const SKELETON_2: &[u8; 18] = br#"\",\"username\":\""#;
const SKELETON_3: &[u8; 18] = br#"\",\"joinRole\":\""#;
const SKELETON_4: &[u8; 4] = br#"\"}""#;

/// Total length of the fixed text.
const SKELETON_LEN: usize = SKELETON_0.len() + SKELETON_1.len() + SKELETON_2.len() + SKELETON_3.len() + SKELETON_4.len();

/// What one ASCII byte of a value becomes after both JSON encodings: either itself
/// (`0`) or an index into [`ASCII_ESCAPES`].
const fn ascii_escape_table(php: bool) -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 0x20 {
        t[b] = ESC_CONTROL;
        b += 1;
    }
    t[0x08] = ESC_B;
    t[b'\t' as usize] = ESC_T;
    t[b'\n' as usize] = ESC_N;
    t[0x0c] = ESC_F;
    t[b'\r' as usize] = ESC_R;
    t[b'"' as usize] = ESC_QUOTE;
    t[b'\\' as usize] = ESC_BACKSLASH;
    t[b'/' as usize] = if php { ESC_SLASH_PHP } else { ESC_SLASH_JAVA };
    t
}

const ESC_CONTROL: u8 = 1;
const ESC_B: u8 = 2;
const ESC_T: u8 = 3;
const ESC_N: u8 = 4;
const ESC_F: u8 = 5;
const ESC_R: u8 = 6;
const ESC_QUOTE: u8 = 7;
const ESC_BACKSLASH: u8 = 8;
const ESC_SLASH_JAVA: u8 = 9;
const ESC_SLASH_PHP: u8 = 10;

/// The double-encoded text of each escape class (four bytes stored, the first `len`
/// kept; `ESC_CONTROL` is written with its hex digits instead).
const ASCII_ESCAPES: [([u8; 4], u8); 11] = [
    (*b"    ", 0),
    (*b"    ", 0),
    (*br"\\b ", 3),
    (*br"\\t ", 3),
    (*br"\\n ", 3),
    (*br"\\f ", 3),
    (*br"\\r ", 3),
    (*br#"\\\""#, 4),
    (*br"\\\\", 4),
    (*br"\/  ", 2),
    (*br"\\\/", 4),
];

const JAVA_ASCII: [u8; 128] = ascii_escape_table(false);
const PHP_ASCII: [u8; 128] = ascii_escape_table(true);

/// Stack room for the plaintext of ordinary payloads; longer ones use the heap.
const STACK_PLAIN: usize = 512;

/// Stack room for the URL-encoded Base64 text of ordinary tokens (ciphertexts up to
/// 165 bytes, whatever their digits); longer ones use the heap.
const STACK_BASE64: usize = 680;

/// Writes into a slice known to be long enough (see [`plaintext_capacity`]).
struct SliceWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl SliceWriter<'_> {
    /// A byte.
    #[inline]
    fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    /// Bytes of a length known at compile time (plain stores, no `memcpy` call).
    #[inline]
    fn array<const N: usize>(&mut self, bytes: &[u8; N]) {
        self.buf[self.pos..self.pos + N].copy_from_slice(bytes);
        self.pos += N;
    }

    /// The first `len` of eight bytes: all eight are stored (there is room, see
    /// [`plaintext_capacity`]), the position moves by `len`.
    #[inline]
    fn partial(&mut self, bytes: &[u8; 8], len: usize) {
        self.buf[self.pos..self.pos + 8].copy_from_slice(bytes);
        self.pos += len;
    }

    /// The first `len` of four bytes: all four are stored (there is room, see
    /// [`plaintext_capacity`]), the position moves by `len`.
    #[inline]
    fn short(&mut self, bytes: &[u8; 4], len: usize) {
        self.buf[self.pos..self.pos + 4].copy_from_slice(bytes);
        self.pos += len;
    }
}

/// Writes [`encoded_plaintext`] to the start of `out` in one pass over the values,
/// without the intermediate `inner_json` text, and returns its length. `out` must
/// hold [`plaintext_capacity`] bytes.
fn write_encoded_plaintext(flavour: TokenFlavour, p: &JoinPayload, out: &mut [u8]) -> usize {
    let (table, control_hex) = match flavour {
        TokenFlavour::Java => (&JAVA_ASCII, UPPER_HEX),
        TokenFlavour::Php => (&PHP_ASCII, LOWER_HEX),
    };
    let mut w = SliceWriter { buf: out, pos: 0 };
    w.array(SKELETON_0);
    write_value(flavour, table, control_hex, &p.serial, &mut w);
    w.array(SKELETON_1);
    write_value(flavour, table, control_hex, &p.userid, &mut w);
    w.array(SKELETON_2);
    write_value(flavour, table, control_hex, &p.username, &mut w);
    w.array(SKELETON_3);
    write_value(flavour, table, control_hex, p.join_role.as_str(), &mut w);
    w.array(SKELETON_4);
    w.pos
}

/// One value, doubly escaped, byte by byte (values are short: single stores beat
/// `memcpy` calls for runs).
fn write_value(flavour: TokenFlavour, table: &[u8; 128], control_hex: &[u8; 16], value: &str, w: &mut SliceWriter<'_>) {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            // Eight bytes at a time: all eight stored, the position moves past those
            // that need no escape (there is room, see `plaintext_capacity`).
            if let Some(chunk) = bytes.get(i..i + 8) {
                let word: [u8; 8] = chunk.try_into().unwrap_or_default();
                let plain = plain_prefix(u64::from_le_bytes(word));
                w.partial(&word, plain);
                i += plain;
                if plain == 8 {
                    continue;
                }
            }
            let b = bytes[i];
            if b < 0x80 {
                match table[usize::from(b)] {
                    0 => w.byte(b),
                    ESC_CONTROL => {
                        w.array(&[b'\\', b'\\', b'u', b'0', b'0', control_hex[usize::from(b >> 4)], control_hex[usize::from(b & 0xF)]]);
                    }
                    class => {
                        let (text, len) = ASCII_ESCAPES[usize::from(class)];
                        w.short(&text, usize::from(len));
                    }
                }
                i += 1;
                continue;
            }
        }
        let b = bytes[i];
        // A multi-byte character (the text is valid UTF-8): its width from the lead
        // byte, its code point from the continuation bytes.
        let cont = |k: usize| u32::from(bytes[i + k] & 0x3F);
        let (width, cp) = match b {
            0xC0..=0xDF => (2, (u32::from(b & 0x1F) << 6) | cont(1)),
            0xE0..=0xEF => (3, (u32::from(b & 0x0F) << 12) | (cont(1) << 6) | cont(2)),
            _ => (4, (u32::from(b & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3)),
        };
        if flavour == TokenFlavour::Java && cp < 0x4E00 {
            for &c in &bytes[i..i + width] {
                w.byte(c);
            }
        } else if cp >= 0x1_0000 {
            let v = cp - 0x1_0000;
            w.array(&unit_escape(0xD800 | (v >> 10)));
            w.array(&unit_escape(0xDC00 | (v & 0x3FF)));
        } else {
            w.array(&unit_escape(cp));
        }
        i += width;
    }
}

/// How many of the eight bytes of `x` (little-endian: text order), from the first,
/// are ASCII that neither flavour escapes: not a control character, `"`, `\` or `/`,
/// and below 0x80. (Borrows in the byte-wise tests only ever run towards later bytes,
/// so the first flagged byte is exact.)
#[inline]
fn plain_prefix(x: u64) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let has_zero = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let special = has_zero(x ^ (ONES * u64::from(b'"'))) | has_zero(x ^ (ONES * u64::from(b'\\'))) | has_zero(x ^ (ONES * u64::from(b'/')));
    let flagged = (x & HIGH) | below_space | special;
    (flagged.trailing_zeros() / 8) as usize
}

/// A UTF-16 unit as the plaintext carries it: `\\u` and four lowercase hex digits.
#[inline]
fn unit_escape(unit: u32) -> [u8; 7] {
    let h = |shift: u32| LOWER_HEX[(unit >> shift) as usize & 0xF];
    [b'\\', b'\\', b'u', h(12), h(8), h(4), h(0)]
}

/// Base64 (standard alphabet, `=` padding) of `data`, URL-encoded as
/// [`url_encode`] would (`+` `/` `=` as `%2B` `%2F` `%3D`), into `out` (cleared first):
/// both encodings in one pass into a scratch buffer, then one copy into `out`.
fn base64_url_encode_into(data: &[u8], out: &mut String) {
    // Each group of 3 bytes becomes at most 4 x 3 bytes; 8 bytes of slack for the
    // 8-byte stores.
    let bound = data.len().div_ceil(3) * 12 + 8;
    if bound <= STACK_BASE64 {
        let mut tmp = [0u8; STACK_BASE64];
        let len = base64_url_into(data, &mut tmp);
        set_ascii(out, &tmp[..len]);
    } else {
        let mut tmp = vec![0u8; bound];
        let len = base64_url_into(data, &mut tmp);
        set_ascii(out, &tmp[..len]);
    }
}

/// `out` := `ascii`, reusing `out`'s allocation.
fn set_ascii(out: &mut String, ascii: &[u8]) {
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.extend_from_slice(ascii);
    *out = String::from_utf8(bytes).expect("Base64 and URL encoding write ASCII");
}

/// Each Base64 digit as URL-encoded text (first `len` of 4 bytes).
const B64_URL: [([u8; 4], u8); 64] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [([0u8; 4], 0u8); 64];
    let mut i = 0;
    while i < 62 {
        t[i] = ([alphabet[i], 0, 0, 0], 1);
        i += 1;
    }
    t[62] = (*b"%2B ", 3);
    t[63] = (*b"%2F ", 3);
    t
};

/// Two Base64 digits for every 12-bit value, as the little-endian `u16` of the two
/// bytes in text order (8 KiB): one lookup per two digits.
static B64_PAIRS: [u16; 4096] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = u16::from_le_bytes([alphabet[i >> 6], alphabet[i & 0x3F]]);
        i += 1;
    }
    t
};

/// Whether any byte of `x` is below `0x30`: among Base64 digits only `+` (0x2B) and
/// `/` (0x2F) are, the two that URL encoding changes.
#[inline]
fn has_url_special(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    (x.wrapping_sub(ONES * 0x30) & !x & (ONES * 0x80)) != 0
}

/// Writes URL-encoded Base64 of `data` to the start of `out` (long enough: see
/// [`base64_url_encode_into`]) and returns its length.
fn base64_url_into(data: &[u8], out: &mut [u8]) -> usize {
    let mut w = SliceWriter { buf: out, pos: 0 };
    let pair = |n: u32| u32::from(B64_PAIRS[(n & 0xFFF) as usize]);
    let digit = |w: &mut SliceWriter<'_>, s: u32| {
        let (text, len) = B64_URL[(s & 0x3F) as usize];
        w.short(&text, usize::from(len));
    };
    // Four digits of three bytes: two table lookups, one 4-byte store when (as in 15
    // groups of 16) no digit is `+` or `/`.
    let quad = |w: &mut SliceWriter<'_>, n: u32| {
        let word = pair(n >> 12) | (pair(n) << 16);
        if has_url_special(u64::from(word) | 0x3030_3030_0000_0000) {
            for shift in [18, 12, 6, 0] {
                digit(w, n >> shift);
            }
        } else {
            w.array(&word.to_le_bytes());
        }
    };
    // Eight digits of six bytes: one 8-byte store when (4 groups in 5) none is `+` or `/`.
    let mut groups = data.chunks_exact(6);
    for g in &mut groups {
        let hi = (u32::from(g[0]) << 16) | (u32::from(g[1]) << 8) | u32::from(g[2]);
        let lo = (u32::from(g[3]) << 16) | (u32::from(g[4]) << 8) | u32::from(g[5]);
        let word = u64::from(pair(hi >> 12) | (pair(hi) << 16)) | (u64::from(pair(lo >> 12) | (pair(lo) << 16)) << 32);
        if has_url_special(word) {
            quad(&mut w, hi);
            quad(&mut w, lo);
        } else {
            w.array(&word.to_le_bytes());
        }
    }
    let mut chunks = groups.remainder().chunks_exact(3);
    for c in &mut chunks {
        quad(&mut w, (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]));
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            digit(&mut w, n >> 18);
            digit(&mut w, n >> 12);
            w.array(b"%3D%3D");
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            digit(&mut w, n >> 18);
            digit(&mut w, n >> 12);
            digit(&mut w, n >> 6);
            w.array(b"%3D");
        }
        _ => {}
    }
    w.pos
}

/// Whether [`url_encode`] keeps a byte as it is (letters, digits, `-_.`), by lookup.
const URL_KEEP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.');
        b += 1;
    }
    t
};

/// [`url_encode`] of ASCII `text` into `out` (cleared first): runs of kept bytes are
/// copied at once, the result is sized exactly before anything is written.
fn url_encode_into(text: &[u8], out: &mut String) {
    let escaped = text.iter().filter(|&&b| !URL_KEEP[usize::from(b)]).count();
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve_exact(text.len() + 2 * escaped);
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if URL_KEEP[usize::from(b)] {
            continue;
        }
        bytes.extend_from_slice(&text[start..i]);
        if b == b' ' {
            bytes.push(b'+');
        } else {
            bytes.extend_from_slice(&[b'%', UPPER_HEX[usize::from(b >> 4)], UPPER_HEX[usize::from(b & 0xF)]]);
        }
        start = i + 1;
    }
    bytes.extend_from_slice(&text[start..]);
    *out = String::from_utf8(bytes).expect("URL encoding writes ASCII");
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
    let mut out = String::new();
    url_encode_into(s.as_bytes(), &mut out);
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
    fn empty_username_is_a_valid_name() {
        // Document 002: `username` is required (present); the vendor's reference code
        // encrypts an empty name like any other.
        let java = TokenKey::java(&secret("00".repeat(32)), &secret("11".repeat(16))).unwrap();
        let php = TokenKey::php(&secret("k"), &secret("p")).unwrap();
        for key in [&java, &php] {
            for name in ["", " "] {
                let p = payload(name);
                let t = key.token(&p).unwrap();
                let back = key.inspect(&t).unwrap();
                assert_eq!(back.payload().unwrap(), p);
                assert_eq!(back.fields["username"], name);
            }
        }
        assert!(java.token(&payload("")).unwrap() != java.token(&payload(" ")).unwrap());
    }

    #[test]
    fn empty_ids_and_role_are_rejected_but_blank_ones_are_values() {
        let k = TokenKey::php(&secret("k"), &secret("p")).unwrap();
        let field = |p: JoinPayload| match k.token(&p) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(JoinPayload::new("", "u", "n", JoinRole::Presenter)), "serial");
        assert_eq!(field(JoinPayload::new("1", "", "n", JoinRole::Presenter)), "userid");
        assert_eq!(field(JoinPayload::new("1", "u", "n", JoinRole::Other(String::new()))), "joinRole");
        assert!(k.token(&JoinPayload::new("1", " ", "n", JoinRole::Presenter)).is_ok());
    }

    #[test]
    fn php_key_accepts_empty_strings_like_the_vendor_code() {
        // PHP: md5('' . '' . '', true) chained; nothing refuses empty strings.
        let k = TokenKey::php(&secret(""), &secret("")).unwrap();
        let t = k.token(&payload("x")).unwrap();
        assert_eq!(k.inspect(&t).unwrap().payload().unwrap(), payload("x"));
        // The derivation really ran: the key is md5("") and md5(md5("")), not zeros.
        assert!(!k.same_material(&TokenKey::java(&secret("00".repeat(32)), &secret("00".repeat(16))).unwrap()));
    }

    /// Every ASCII byte, the escape boundaries of both flavours and characters of every
    /// UTF-8 width, alone and in runs.
    fn tricky_texts() -> Vec<String> {
        let mut chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        chars.extend([
            '\u{80}',
            'é',
            '\u{7ff}',
            '\u{800}',
            '\u{4dff}',
            '\u{4e00}',
            '我',
            '。',
            '\u{fffd}',
            '\u{ffff}',
            '\u{10000}',
            '😀',
            '\u{10ffff}',
        ]);
        let mut texts: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
        texts.push(chars.iter().collect());
        texts.push(chars.iter().rev().collect());
        for (i, c) in chars.iter().enumerate() {
            texts.push(format!("ab{c}cd{}", chars[(i * 7 + 3) % chars.len()]));
        }
        texts.push(String::new());
        texts
    }

    #[test]
    fn one_pass_plaintext_equals_the_two_encodings() {
        for flavour in [TokenFlavour::Java, TokenFlavour::Php] {
            for t in tricky_texts() {
                let p = JoinPayload::new(format!("1{t}"), format!("u{t}"), t.clone(), JoinRole::Other(format!("r{t}")));
                // The bound is the whole buffer: writing past it would panic.
                let mut buf = vec![0u8; plaintext_capacity(&p)];
                let len = write_encoded_plaintext(flavour, &p, &mut buf);
                assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), encoded_plaintext(flavour, &p), "{flavour} {t:?}");
                assert!(len + 16 <= buf.len(), "no room for the padding block with {t:?}");
            }
        }
    }

    #[test]
    fn fast_token_equals_the_step_by_step_token() {
        let java = TokenKey::java(&secret("ab".repeat(32)), &secret("cd".repeat(16))).unwrap();
        let php = TokenKey::php(&secret("2Ig_k4nh"), &secret("l803XxR2d1A")).unwrap();
        let mut reused = String::from("left over");
        for key in [&java, &php] {
            for t in tricky_texts() {
                let p = JoinPayload::new("424038499", "87366947", t.clone(), JoinRole::Speaker);
                let slow = url_encode(
                    &BASE64.encode(
                        cbc::Encryptor::<Aes256>::new(&key.key.into(), &key.iv.into())
                            .encrypt_padded_vec_mut::<Pkcs7>(encoded_plaintext(key.flavour(), &p).as_bytes()),
                    ),
                );
                assert_eq!(key.token(&p).unwrap(), slow, "{t:?}");
                key.token_into(&p, &mut reused).unwrap();
                assert_eq!(reused, slow);
            }
        }
        // Every Base64 remainder (0, 1 and 2 bytes), on the stack and on the heap.
        let mut out = String::from("left over");
        for n in (0..40).chain(520..530) {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 250) as u8).collect();
            base64_url_encode_into(&data, &mut out);
            assert_eq!(out, BASE64.encode(&data).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"), "{n} bytes");
        }
        // A payload too long for the stack buffer takes the heap path.
        let long = JoinPayload::new("1", "2", "\u{1}我".repeat(100), JoinRole::Presenter);
        assert!(plaintext_capacity(&long) > STACK_PLAIN);
        assert_eq!(php.inspect(&php.token(&long).unwrap()).unwrap().payload().unwrap(), long);
    }

    #[test]
    fn url_encode_keeps_only_letters_digits_and_three_marks() {
        let all: String = (0u8..0x80).map(char::from).chain(['é', '我']).collect();
        let expected: String = all
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
                b' ' => "+".to_owned(),
                b => format!("%{b:02X}"),
            })
            .collect();
        assert_eq!(url_encode(&all), expected);
    }
}
