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

/// `ecsim run` streams the histories to its folder as the run goes; the files are the bytes the
/// kept histories give, and every other file of the folder is the rendered one, for scenarios
/// with target groups, deployments, disruptions and Service Auto Scaling.
#[test]
fn streamed_histories_are_the_kept_ones() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["deploy-during-az-outage", "diurnal-autoscaling", "spot-interruptions"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
        let out = tmp.path().join(name);
        let o = crate::cli::ecsim(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()], tmp.path());
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", crate::cli::text(&o).1);
        let kept = render(&path, None, false);
        let mut written: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        written.retain(|f| f != ".ecsim-report");
        written.sort();
        let mut names: Vec<String> = kept.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        assert_eq!(written, names, "{name}: the folder's files");
        for (file, bytes) in kept {
            assert!(std::fs::read(out.join(&file)).unwrap() == bytes, "{name}: {file} differs");
        }
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{name}: scratch files left beside the folder: {leftovers:?}");
    }
}
