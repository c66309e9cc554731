//! Join tokens per second, both flavours, against a baseline measured in the same run:
//! the bare AES-256-CBC encryption of the same plaintext under the same, already
//! expanded key schedule (what no token code can beat).
//!
//! Rounds alternate baseline and token so machine noise hits both alike; the median of
//! the rounds is reported as `RESULT <name> <value> <unit>` lines (collected by
//! `cargo xtask bench`). The ratio is token throughput / baseline throughput (1.0 would
//! mean JSON escaping, Base64 and URL encoding cost nothing). For reference a second
//! ratio compares with one-shot AES-256-CBC that expands the key on every call, as the
//! vendor's reference code does (`openssl_encrypt`, `Cipher.init` per token).
//!
//! Run: `cargo bench -p webapi --bench tokens` (env `WEBAPI_BENCH_ITERS` scales the work).

use std::hint::black_box;
use std::time::Instant;

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};
use conf_core::secret::secret;
use webapi::token::{JoinPayload, JoinRole, TokenKey, encoded_plaintext};

fn per_sec(iters: u32, f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    f64::from(iters) / t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let iters: u32 = std::env::var("WEBAPI_BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let rounds = 7;
    let payload = JoinPayload::new("424038499", "87366947", "张三/李四。Zoë Müller", JoinRole::Speaker);
    let java = TokenKey::java(
        &secret("ffb8bce714b197fb03faa032ed6194def6e110aabe5889e2ff950142ff64e92e"),
        &secret("d7a471945d47ab2fa27188b590e7cac3"),
    )
    .expect("valid key");
    let php = TokenKey::php(&secret("2Ig_k4nh"), &secret("l803XxR2d1A")).expect("valid key");
    // The same key material as raw bytes, for the one-shot reference.
    let (key_bytes, iv_bytes) = ([0x5au8; 32], [0xa5u8; 16]);
    for (name, key) in [("java", &java), ("php", &php)] {
        let plain = encoded_plaintext(key.flavour(), &payload);
        let (mut base, mut tok, mut one_shot) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            base.push(per_sec(iters, &mut || {
                black_box(key.encrypt(black_box(plain.as_bytes())));
            }));
            tok.push(per_sec(iters, &mut || {
                black_box(key.token(black_box(&payload)).expect("token"));
            }));
            one_shot.push(per_sec(iters, &mut || {
                let c = cbc::Encryptor::<Aes256>::new(&black_box(key_bytes).into(), &iv_bytes.into());
                black_box(c.encrypt_padded_vec_mut::<Pkcs7>(black_box(plain.as_bytes())));
            }));
        }
        let (b, t, o) = (median(base), median(tok), median(one_shot));
        let ratio = t / b;
        println!(
            "{name}: bare AES-256-CBC {b:>10.0} ops/s, join token {t:>10.0} tokens/s, ratio {ratio:.3} \
             (one-shot AES with key setup {o:>10.0} ops/s, ratio {:.3})",
            t / o
        );
        println!("RESULT webapi_token_{name}_aes_baseline {b:.0} ops/s");
        println!("RESULT webapi_token_{name} {t:.0} tokens/s");
        println!("RESULT webapi_token_{name}_ratio {ratio:.3} x");
        println!("RESULT webapi_token_{name}_one_shot_aes {o:.0} ops/s");
    }
    // Key derivation of the PHP flavour (done once per TokenKey, not per token).
    let derive = median(
        (0..rounds)
            .map(|_| {
                per_sec(iters, &mut || {
                    black_box(TokenKey::php(black_box(&secret("2Ig_k4nh")), &secret("l803XxR2d1A")).expect("key"));
                })
            })
            .collect(),
    );
    println!("RESULT webapi_php_key_derivation {derive:.0} keys/s");
}
