//! Same scenario + same seed = byte-identical outputs: every bundled scenario runs twice and the
//! report files are compared byte for byte (with the invariant checker on for the small ones).

use std::path::Path;

use ecsim::report;
use ecsim::scenario::load_file;
use ecsim::sim::Simulation;

pub fn render(path: &Path, seed: Option<u64>, check: bool) -> Vec<(String, Vec<u8>)> {
    let mut scenario = load_file(path).unwrap_or_else(|d| panic!("{d}"));
    scenario.settings.check_invariants = check;
    let result = Simulation::new(&scenario, seed.unwrap_or(scenario.seed)).run().unwrap_or_else(|e| panic!("{e}"));
    let mut files = report::render(&result, &scenario, None).unwrap().files;
    for h in report::histories(&result, &scenario) {
        files.push((h.name.clone(), h.bytes().unwrap()));
    }
    files
}

pub fn bundled() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bundled_scenario_gives_identical_bytes_twice() {
    let scenarios = bundled();
    assert!(scenarios.len() >= 4, "{scenarios:?}");
    for path in scenarios {
        // The invariant checker is O(cluster) per event: on for the small scenarios only.
        let instances: u32 = load_file(&path).unwrap().groups.iter().map(|g| g.count).sum();
        let check = instances <= 100;
        let a = render(&path, None, check);
        let b = render(&path, None, false);
        let names = |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b), "{}: the two runs wrote different files", path.display());
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{} {name} differs between two runs", path.display());
        }
    }
}

#[test]
fn the_seed_changes_stochastic_runs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/scale-1k.toml");
    let events = |files: Vec<(String, Vec<u8>)>| files.into_iter().find(|(n, _)| n == "events.csv").unwrap().1;
    let a = events(render(&path, Some(1), false));
    let b = events(render(&path, Some(2), false));
    assert_ne!(a, b, "events.csv should differ between seeds");
}

#[test]
fn the_bundled_quickstart_matches_its_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    assert_eq!(std::fs::read_to_string(path).unwrap(), ecsim::scenario::QUICKSTART);
}
