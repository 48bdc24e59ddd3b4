//! See `crates/rolegate/tests/fuzz_bodies/request_scope.rs`: the body lives there so that the replay test
//! (`crates/rolegate/tests/it/fuzz_replay.rs`) runs exactly what this target runs.

#![no_main]

#[path = "../../crates/rolegate/tests/fuzz_bodies/request_scope.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
