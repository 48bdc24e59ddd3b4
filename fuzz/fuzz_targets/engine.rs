//! See `crates/rolegate/tests/fuzz_bodies/engine.rs`: the body lives there so that the replay test
//! (`crates/rolegate/tests/it/fuzz_replay.rs`) runs exactly what this target runs, against the same reference
//! evaluator as the agreement test.

#![no_main]

#[path = "../../crates/rolegate/tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../../crates/rolegate/tests/support/reference_engine.rs"]
mod reference_engine;
#[path = "../../crates/rolegate/tests/support/reference_matcher.rs"]
mod reference_matcher;

#[path = "../../crates/rolegate/tests/fuzz_bodies/engine.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
