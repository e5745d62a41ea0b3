#![no_main]
//! cargo-fuzz target `ocsp`: the body lives in dojang-fuzz, shared with the corpus replay test.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(body) = dojang_fuzz::target("ocsp") {
        body(data);
    }
});
