//! The scenario reader on arbitrary bytes, as TOML and as JSON: every input gets a scenario or
//! diagnostics, never a panic; what it accepts simulates (a bounded run, invariants checked)
//! without one. The body is `ecsim::fuzzing::scenario`, which the tests replay too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecsim::fuzzing::scenario(data));
