//! The integration tests of the rolegate library: one entry point, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../support/reference_condition.rs"]
mod reference_condition;
#[path = "../support/reference_engine.rs"]
mod reference_engine;
#[path = "../support/reference_matcher.rs"]
mod reference_matcher;

mod bad_input;
mod catalog;
mod condition;
mod engine_agreement;
mod fail_closed;
mod fuzz_replay;
mod limits;
mod matcher;
mod reverse_agreement;
mod reverse_scenarios;
mod roundtrip;
mod scenarios;
mod schemas;
mod scope;
mod shapes;
mod support;
mod tenant;
