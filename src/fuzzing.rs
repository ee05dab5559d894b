//! What the fuzz targets run (`fuzz/`), shared with the test that replays kept inputs
//! (`tests/it/fuzz.rs`), so a crash found by the fuzzer stays fixed in every test run.

/// The scenario reader on arbitrary bytes, as TOML and as JSON; what it accepts is simulated for
/// a bounded number of events with every invariant checked. Panics on a violated invariant (and
/// on any panic inside, which is the point).
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["fuzz.toml", "fuzz.json"] {
        if let Ok(mut s) = crate::scenario::load_str(name, text, None) {
            s.settings.max_events = s.settings.max_events.min(2_000);
            s.settings.max_log_lines = s.settings.max_log_lines.min(2_000);
            s.settings.check_invariants = true;
            let seed = s.seed;
            if let Err(e @ crate::sim::SimError::Invariant { .. }) = crate::sim::Simulation::new(&s, seed).run() {
                panic!("{e}");
            }
        }
    }
}

/// The AWS JSON reader (`ecsim validate` on a bare task definition, service or target group
/// file) on arbitrary bytes.
pub fn aws_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::scenario::aws_file::validate_aws_text("fuzz.json", text);
    let _ = crate::scenario::aws_file::validate_unless_scenario("fuzz.json", text);
}
