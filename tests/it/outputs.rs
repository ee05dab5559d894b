//! What the command line writes and reruns: every output checked before a run (nothing written
//! on exit 2), leftovers of killed runs cleaned up and said, `--set` overrides, and rerun lines
//! that reproduce the failure they follow, including the internal-error path (exit 3).

use std::path::Path;

use crate::cli::{ecsim, text};

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The `rerun:` line of stderr, run again in `dir`: its exit code and stderr.
fn rerun(err: &str, dir: &Path) -> (Option<i32>, String) {
    let line = err.lines().find_map(|l| l.strip_prefix("rerun: ")).unwrap_or_else(|| panic!("no rerun line: {err}"));
    let words = shlex::split(line).unwrap_or_else(|| panic!("not shell words: {line}"));
    assert_eq!(&words[..2], ["ecsim", "run"], "{line}");
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let o = ecsim(&args, dir);
    (o.status.code(), text(&o).1)
}

#[test]
fn a_junit_file_ecsim_did_not_write_is_refused_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("junit.xml"), "<mine/>").unwrap();
    let o = ecsim(&["run", "--junit", "junit.xml"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("junit.xml: exists and was not written by ecsim"), "{err}");
    assert_eq!(names(tmp.path()), ["junit.xml"], "nothing written: no reports folder, no lock, no temporary");
    let o = ecsim(&["run", "--markdown", "same.md", "--junit", "same.md"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--junit and --markdown both name same.md"), "{}", text(&o).1);
}

#[test]
fn a_read_only_report_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(ecsim(&["run", "--out", "r"], tmp.path()).status.code(), Some(0));
    let r = tmp.path().join("r");
    std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = std::fs::read(r.join("summary.json")).unwrap();
    let o = ecsim(&["run", "--out", "r", "--seed", "9"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("r: is read-only; refusing to replace it"), "{err}");
    assert_eq!(std::fs::read(r.join("summary.json")).unwrap(), before);
    assert_eq!(names(tmp.path()), ["r"], "no temporary or old copy left beside it");
    std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn leftovers_of_killed_runs_are_removed_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    // What a run killed while writing leaves: its temporary folder, an old copy, its lock file
    // (old enough to be sure it is not a run just starting), a sweep's scratch rows. Pids far
    // above any real one.
    std::fs::create_dir(reports.join(".quickstart.ecsim-tmp-4000001")).unwrap();
    std::fs::write(reports.join(".quickstart.ecsim-tmp-4000001/summary.json"), "{").unwrap();
    std::fs::create_dir(reports.join(".quickstart.ecsim-old-4000002")).unwrap();
    std::fs::write(reports.join(".quickstart.ecsim-runs.csv-4000003"), "run\n").unwrap();
    let lock = reports.join(".quickstart.ecsim-lock-4000001");
    let f = std::fs::File::create(&lock).unwrap();
    // Setting a file's time needs the type the simulation may not use (clippy.toml).
    #[allow(clippy::disallowed_types)]
    f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    drop(f);
    // Another output's leftovers are not this run's business.
    std::fs::create_dir(reports.join(".other.ecsim-tmp-4000004")).unwrap();
    let o = ecsim(&["run"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for gone in [".quickstart.ecsim-tmp-4000001", ".quickstart.ecsim-old-4000002", ".quickstart.ecsim-runs.csv-4000003"]
    {
        assert!(
            err.contains(&format!("note: removed reports/{gone}, left by an ecsim run that did not finish")),
            "{err}"
        );
    }
    assert_eq!(names(&reports), [".other.ecsim-tmp-4000004", "quickstart"]);
}

#[test]
fn set_overrides_a_field_by_path_and_bad_ones_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ecsim(&["run", "--set", "services[sample-app].desiredCount=3", "--format", "json"], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["services"]["sample-app"]["desired_count"], 3);
    let o = ecsim(&["run", "--set", "services[nope].desiredCount=3"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no entry named \"nope\""), "{}", text(&o).1);
    let o = ecsim(&["run", "--set", "services[0].desiredCount=1,2"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("expected one value, found 2"), "{}", text(&o).1);
}

/// The internal-error path end to end: a checker fires, exit 3, and the printed rerun (with the
/// overrides of the run) reproduces the run.
#[test]
fn a_violated_invariant_exits_3_with_a_rerun_command() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ecsim(
        &["run", "--set", "services[0].desiredCount=3", "--debug-corrupt", "service_counts_match_tasks@10m"],
        tmp.path(),
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(
            "internal error (a bug in ecsim): internal invariant violated at 600 s: service_counts_match_tasks"
        ),
        "{err}"
    );
    assert!(err.contains("rerun: ecsim run --seed 1 --check --set 'services[0].desiredCount=3'"), "{err}");
    assert!(!tmp.path().join("reports").exists(), "nothing written on a failed run");
    let (code, again) = rerun(&err, tmp.path());
    assert_eq!(code, Some(0), "the rerun without the corruption passes its checks: {again}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("reports/quickstart/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["services"]["sample-app"]["desired_count"], 3, "the rerun kept the override");
}

/// A sweep whose variant trips a runaway guard prints a rerun line with the variant's values,
/// and that line fails the same way.
#[test]
fn a_failing_sweep_run_prints_a_rerun_that_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let scenario = scenario.to_str().unwrap();
    let o = ecsim(&["sweep", scenario, "--seeds", "1..2", "--vary", "settings.max_events=500000000,10"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("error: variant max_events=10 seed 1: runaway simulation"), "{err}");
    assert!(err.contains("--set 'settings.max_events=10'"), "{err}");
    let (code, again) = rerun(&err, tmp.path());
    assert_eq!(code, Some(2), "{again}");
    assert!(again.contains("more than 10 events (settings.max_events)"), "{again}");
}
