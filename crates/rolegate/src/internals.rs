//! Not API, and hidden from the docs: the pieces of the engine's check path that the `request_scope` fuzz target
//! and its replay test (`tests/it/fuzz_replay.rs`) run from outside the crate against the scope parser. They may
//! change in any release; the engine itself keeps them private.

pub use crate::engine::scan::{SCAN_BYTES, Scan, SubScan, scan_lowered, scan_subscription};
