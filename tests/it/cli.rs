//! The `ecsim` binary: exit codes, messages for files that cannot be read, and report folders
//! that are written completely or not at all and never overwrite what the user wrote.

use std::path::Path;
use std::process::{Command, Output};

pub fn ecsim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecsim")).args(args).current_dir(dir).output().expect("ecsim runs")
}

/// stdout and stderr as text.
pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn run_without_a_scenario_runs_the_bundled_quickstart() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ecsim(&["run"], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("scenario quickstart"), "{out}");
    assert!(out.contains("sample-app"), "{out}");
    let report = tmp.path().join("reports/quickstart");
    for f in ["summary.json", "timeseries.csv", "events.csv"] {
        assert!(report.join(f).is_file(), "{f}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["services"]["sample-app"]["availability"], 1.0);
    assert_eq!(summary["seed"], 1);
    // Running again replaces the folder ecsim wrote.
    assert_eq!(ecsim(&["run", "--seed", "2"], tmp.path()).status.code(), Some(0));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 2);
}

#[test]
fn a_folder_ecsim_did_not_write_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "precious").unwrap();
    let o = ecsim(&["run", "--out", "mine"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("mine: exists, is not empty and was not written by ecsim; refusing to overwrite it"), "{err}");
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "precious");
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary folder left behind: {leftovers:?}");
}

#[test]
fn missing_files_directories_and_bad_scenarios_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ecsim(&["run", "nope.toml"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("error: nope.toml: cannot read the file: no such file"), "{}", text(&o).1);

    std::fs::create_dir(tmp.path().join("dir.toml")).unwrap();
    let o = ecsim(&["validate", "dir.toml"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("error: dir.toml: is a directory; expected a scenario file (.toml or .json)"));

    std::fs::write(tmp.path().join("bad.toml"), "[scenario]\nduration = \"1 year\"\n").unwrap();
    let o = ecsim(&["run", "bad.toml"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("bad.toml:2:12: scenario.duration: expected a duration"), "{err}");
    assert!(err.contains("bad.toml:1:1: missing required field `cluster`"), "{err}");
    assert!(err.contains("2 problems found; nothing was run."), "{err}");
    assert!(!tmp.path().join("reports").exists(), "nothing written for a bad scenario");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(ecsim(&["run", "--seed", "many"], tmp.path()).status.code(), Some(2));
    assert_eq!(ecsim(&["frobnicate"], tmp.path()).status.code(), Some(2));
    assert_eq!(ecsim(&["validate"], tmp.path()).status.code(), Some(2));
}

#[test]
fn validate_accepts_every_bundled_scenario_and_lists_ignored_fields() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".toml"))
        .collect();
    files.sort();
    let mut args = vec!["validate", "--verbose"];
    args.extend(files.iter().map(String::as_str));
    let o = ecsim(&args, root);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(out.lines().filter(|l| l.contains(": ok (")).count(), files.len());
    assert!(out.contains("accepted, not simulated: task_definitions[0].containerDefinitions[0].mountPoints"), "{out}");
}

#[test]
fn a_runaway_run_ends_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = ecsim::scenario::QUICKSTART.replace("[cluster]", "[settings]\nmax_events = 5\n\n[cluster]");
    std::fs::write(tmp.path().join("q.toml"), scenario).unwrap();
    let o = ecsim(&["run", "q.toml"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("runaway simulation: more than 5 events (settings.max_events)"), "{err}");
    assert!(err.contains("rerun: ecsim run q.toml --seed 1 --check"), "{err}");
}

/// A valid scenario that would exhaust memory (a billion jobs an hour on ten instances) stops at
/// the default guards with exit 2, naming the setting, and writes nothing.
#[test]
fn a_run_that_would_exhaust_memory_stops_at_a_guard() {
    let tmp = tempfile::tempdir().unwrap();
    let flood = "[scenario]\nduration = \"1d\"\n[cluster]\nzones = [\"a\", \"b\"]\n\
        [[instance_groups]]\nname = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 10\n\
        [[task_definitions]]\nfamily = \"job\"\ncpu = \"256\"\nmemory = \"512\"\n\
        containerDefinitions = [{ name = \"job\", image = \"job\", essential = true }]\n\
        [[workloads]]\nname = \"batch\"\ntask_definition = \"job\"\nrate_per_hour = 1e9\nrun = \"10m\"\n";
    std::fs::write(tmp.path().join("flood.toml"), flood).unwrap();
    let o = ecsim(&["run", "flood.toml"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("more than 1000000 jobs waiting in workload queues"), "{err}");
    assert!(err.contains("(settings.max_queued_jobs); raise it in [settings]"), "{err}");
    assert!(!tmp.path().join("reports").exists());
}

/// The scenario example in README is a valid scenario (documentation that cannot rot).
#[test]
fn the_readme_scenario_example_is_valid() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Scenario format").unwrap()..];
    let start = section.find("```toml\n").unwrap() + 8;
    let end = start + section[start..].find("```").unwrap();
    let scenario = ecsim::scenario::load_str("README.md", &section[start..end], None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(scenario.services[0].load_balancers.len(), 1);
    assert!(scenario.services[0].circuit_breaker.enable);
    ecsim::sim::Simulation::new(&scenario, 1).run().unwrap();
}

#[test]
fn explain_prints_the_placement_decisions_of_a_service_or_task() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ecsim(&["run", "--explain", "sample-app-5", "--out", "r"], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // The 5th task replaces the one lost with ecs-asg-1: 5 instances left, 3 already hold port 80.
    assert!(
        out.contains(
            "(task sample-app-5) placed on ecs-asg-5 (us-east-1b): 5 instances; 3 removed (RESOURCE:PORTS 3); spread(attribute:ecs.availability-zone) kept 2; spread(instanceId) kept 2; chosen ecs-asg-5 (ordered tie-break)."
        ),
        "{out}"
    );
    assert_eq!(out.lines().filter(|l| l.contains("placed on")).count(), 1, "{out}");
    let o = ecsim(&["run", "--explain", "nope", "--out", "r2"], tmp.path());
    assert!(text(&o).0.contains("no placement of nope to explain"));
}

/// `ecsim import` prints a scenario that `ecsim validate` accepts; a file that is not
/// describe-services output is refused with exit 2, naming it.
#[test]
fn import_prints_a_scenario_and_refuses_other_files() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/aws-json");
    let tmp = tempfile::tempdir().unwrap();
    let services = format!("{corpus}/services/bugcrowd__ecs-deployment-monitor__describe-ec2-two-deployments.json");
    let o = ecsim(&["import", "--services", &services], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("review before relying on it"), "{err}");
    assert!(out.contains("action = \"update_service\""), "the rollout under way is replayed:\n{out}");
    std::fs::write(tmp.path().join("imported.toml"), &out).unwrap();
    assert_eq!(ecsim(&["validate", "imported.toml"], tmp.path()).status.code(), Some(0));

    let td = format!("{corpus}/task-definitions/aws-samples__aws-containers-task-definitions__nginx-ec2-bridge.json");
    let o = ecsim(&["import", "--services", &td], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(out.is_empty());
    assert!(err.contains("nginx-ec2-bridge.json: expected describe-services output"), "{err}");
}
