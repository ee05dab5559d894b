//! The scenario reader on arbitrary bytes, as TOML and as JSON: it must answer every input with
//! a scenario or diagnostics, never a panic; and what it accepts must simulate a little without
//! one (the run is bounded by small guards).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["fuzz.toml", "fuzz.json"] {
        if let Ok(mut s) = ecsim::scenario::load_str(name, text, None) {
            s.settings.max_events = s.settings.max_events.min(2_000);
            s.settings.max_log_lines = s.settings.max_log_lines.min(2_000);
            s.settings.check_invariants = true;
            let seed = s.seed;
            if let Err(e @ ecsim::sim::SimError::Invariant { .. }) = ecsim::sim::Simulation::new(&s, seed).run() {
                panic!("{e}");
            }
        }
    }
});
