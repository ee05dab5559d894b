//! The AWS JSON reader (what `ecsim validate` does with a bare task definition, service or target
//! group file) on arbitrary bytes: diagnostics, never a panic. The body is
//! `ecsim::fuzzing::aws_json`, which the tests replay too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecsim::fuzzing::aws_json(data));
