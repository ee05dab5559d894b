//! The AWS JSON reader (what `ecsim validate` does with a bare task definition, service or target
//! group file, and what `ecsim import` reads) on arbitrary bytes: diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = ecsim::scenario::aws_file::validate_aws_text("fuzz.json", text);
    let _ = ecsim::scenario::aws_file::validate_unless_scenario("fuzz.json", text);
});
