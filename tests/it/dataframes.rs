//! Every CSV ecsim writes loads in pandas and polars with default settings (DESIGN.md §6): the
//! header on line 1, one value per cell, the same number of cells on every line. The shape is
//! checked here on every report of every bundled scenario and on a sweep's files; the libraries
//! themselves read them when a Python with pandas and polars is found (`ECSIM_PYTHON`, else
//! `python3`); CI installs them and sets ECSIM_REQUIRE_PYTHON, so there it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::ecsim;
use crate::determinism::{bundled, render};

/// Header on line 1 (no comment), every record as wide as the header, no empty header cell, and
/// no cell that packs several values (`a=1 b=2`).
fn check_shape(name: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: not UTF-8: {e}"));
    assert!(!text.starts_with('#'), "{name}: line 1 is a comment, not the header");
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = r.headers().unwrap().clone();
    assert!(header.iter().all(|h| !h.is_empty() && h.trim() == h), "{name}: header {header:?}");
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rec.len(), header.len(), "{name} line {}: {rec:?}", i + 2);
        // Messages are prose; every other cell is one value.
        for (h, cell) in header.iter().zip(rec.iter()).filter(|(h, _)| *h != "message") {
            assert!(!(cell.contains('=') && cell.contains(' ')), "{name} line {}: {h} packs values: {cell:?}", i + 2);
        }
    }
}

#[test]
fn every_report_csv_has_the_shape_dataframe_readers_expect() {
    for path in bundled() {
        for (name, bytes) in render(&path, None, false) {
            if name.ends_with(".csv") {
                check_shape(&format!("{}/{name}", path.display()), &bytes);
            }
        }
    }
}

#[test]
fn every_csv_loads_in_pandas_and_polars() {
    let Some(python) = crate::common::python_with("pandas, polars") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut csvs: Vec<PathBuf> = Vec::new();
    for path in bundled() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = tmp.path().join(&stem);
        std::fs::create_dir(&dir).unwrap();
        for (name, bytes) in render(&path, None, false) {
            if name.ends_with(".csv") {
                std::fs::write(dir.join(&name), bytes).unwrap();
                csvs.push(dir.join(name));
            }
        }
    }
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare-strategies.toml");
    let o = ecsim(
        &[
            "sweep",
            scenario.to_str().unwrap(),
            "--seeds",
            "1..3",
            "--swarm",
            "--out",
            "sweep",
            "--vary",
            "services[web].desiredCount=6,12",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    csvs.extend(["runs.csv", "aggregate.csv"].map(|f| tmp.path().join("sweep").join(f)));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/load_csvs.py");
    let out = Command::new(python).arg(script).args(&csvs).output().expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
}
