#![no_main]
//! cargo-fuzz target `device_json`: the body lives in dojang-fuzz, shared with the corpus replay test.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(body) = dojang_fuzz::target("device_json") {
        body(data);
    }
});
