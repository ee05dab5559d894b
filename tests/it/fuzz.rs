//! Inputs the fuzzers kept (`tests/fuzz/<target>/`, sampled from corpora that found new coverage,
//! and any input that ever crashed one) replayed through the same code as the fuzz targets on
//! every test run, on the stable toolchain: a crash once fixed stays fixed.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "{}: the kept inputs are missing", dir.display());
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panicked", path.display());
    }
}

#[test]
fn scenario_inputs_kept_from_fuzzing_never_panic() {
    replay("scenario", ecsim::fuzzing::scenario);
}

#[test]
fn aws_json_inputs_kept_from_fuzzing_never_panic() {
    replay("aws_json", ecsim::fuzzing::aws_json);
}
