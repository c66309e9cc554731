//! Decoding of join tokens (`/h5/index.html?token=`), written from the document's Java
//! and PHP reference code: URL-decode, Base64-decode, AES-256-CBC decrypt (PKCS#7),
//! then two JSON decodings (the plaintext is a JSON string holding the object's JSON).

use aes::Aes256;
use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// Key material the emulator accepts tokens under.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKeys {
    /// Name reported for tokens that decrypt under it (`java`, `php`).
    pub name: &'static str,
    key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("name", &self.name).finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Java flavour: key (64 hex digits) and IV (32 hex digits). `None` when malformed.
    pub fn java_hex(key_hex: &str, iv_hex: &str) -> Option<Self> {
        let key: [u8; 32] = hex::decode(key_hex).ok()?.try_into().ok()?;
        let iv: [u8; 16] = hex::decode(iv_hex).ok()?.try_into().ok()?;
        Some(Self { name: "java", key, iv })
    }

    /// PHP flavour: `$dx = md5($dx . $passphrase . $passkey, true)` appended until 48
    /// bytes; key = bytes 0..32, IV = bytes 32..48.
    pub fn php(passkey: &str, passphrase: &str) -> Self {
        let mut salted: Vec<u8> = Vec::new();
        let mut dx: Vec<u8> = Vec::new();
        while salted.len() < 48 {
            let mut input = dx.clone();
            input.extend_from_slice(passphrase.as_bytes());
            input.extend_from_slice(passkey.as_bytes());
            dx = Md5::digest(&input).to_vec();
            salted.extend_from_slice(&dx);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&salted[0..32]);
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&salted[32..48]);
        Self { name: "php", key, iv }
    }

    fn decrypt(&self, data: &[u8]) -> Option<Vec<u8>> {
        cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv.into()).decrypt_padded_vec_mut::<Pkcs7>(data).ok()
    }
}

/// A token that decrypted and decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    /// Names of the configured keys it decrypts under.
    pub keys: Vec<&'static str>,
    /// Which reference code's escaping the plaintext is consistent with: `java`, `php` or `either`.
    pub encoding: &'static str,
    /// The decrypted plaintext.
    pub plaintext: String,
    /// The decoded object.
    pub payload: Map<String, Value>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not URL/Base64 text, or not whole AES blocks.
    Malformed,
    /// No configured key decrypts it.
    WrongKey,
    /// Decrypts, but is not a JSON string holding a JSON object.
    NotJson,
}

/// Decode a token as it arrives in the query string (already percent-decoded once by
/// the query parser, so `%2B` etc. were turned back into Base64 characters).
pub fn decode(token: &str, keys: &[TokenKeys]) -> Result<DecodedToken, TokenError> {
    // A token that was URL-encoded twice (or passed raw) still decodes.
    let mut text = token.trim().to_owned();
    if text.contains('%') {
        text = percent_encoding::percent_decode_str(&text).decode_utf8().map_err(|_| TokenError::Malformed)?.into_owned();
    }
    let text = text.replace(' ', "+");
    let data = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(|_| TokenError::Malformed)?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err(TokenError::Malformed);
    }
    let mut found: Option<(Vec<&'static str>, String)> = None;
    for k in keys {
        if let Some(plain) = k.decrypt(&data).and_then(|p| String::from_utf8(p).ok()) {
            match &mut found {
                Some((names, p)) if *p == plain => names.push(k.name),
                Some(_) => {}
                None => found = Some((vec![k.name], plain)),
            }
        }
    }
    let (names, plaintext) = found.ok_or(TokenError::WrongKey)?;
    let inner: String = serde_json::from_str(&plaintext).map_err(|_| TokenError::NotJson)?;
    let payload: Map<String, Value> = serde_json::from_str(&inner).map_err(|_| TokenError::NotJson)?;
    Ok(DecodedToken { keys: names, encoding: encoding_of(&plaintext), plaintext, payload })
}

/// Tell the two reference implementations apart by their escaping: the PHP code escapes
/// every non-ASCII character and writes `/` as `\\\/`; the Java code leaves characters
/// below U+4E00 raw and writes `/` as `\/`.
fn encoding_of(plaintext: &str) -> &'static str {
    let raw_non_ascii = !plaintext.is_ascii();
    let php_slash = plaintext.contains("\\\\\\/");
    let java_slash = plaintext.contains("\\/") && !php_slash;
    let low_escape = plaintext
        .match_indices("\\\\u")
        .any(|(i, _)| plaintext.get(i + 3..i + 7).and_then(|h| u32::from_str_radix(h, 16).ok()).is_some_and(|v| v < 0x4E00));
    if raw_non_ascii || java_slash {
        "java"
    } else if php_slash || low_escape {
        "php"
    } else {
        "either"
    }
}
