#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| conf_sdk_fuzz::webapi_envelope(data));
