//! Helpers: scenarios from TOML text, with the named invariants checked after every event.

use ecsim::engine::SimTime;
use ecsim::observer::RunResult;
use ecsim::scenario::{Scenario, load_str};
use ecsim::sim::Simulation;

pub fn scenario(toml: &str) -> Scenario {
    let mut s = load_str("test.toml", toml, None).unwrap_or_else(|d| panic!("scenario does not load:\n{d}"));
    s.settings.check_invariants = true;
    s
}

pub fn sim(toml: &str) -> Simulation {
    let s = scenario(toml);
    let seed = s.seed;
    Simulation::new(&s, seed)
}

pub fn run(toml: &str) -> RunResult {
    sim(toml).run().unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub fn at_s(s: f64) -> SimTime {
    SimTime((s * 1000.0).round() as u64)
}

/// Runs up to `t` seconds and returns the service's healthy count.
pub fn healthy_at(sim: &mut Simulation, service: &str, t: f64) -> u32 {
    sim.run_until(at_s(t)).unwrap_or_else(|e| panic!("{e}"));
    sim.counts(service).healthy
}

/// Log entries of one kind.
pub fn log_of<'a>(r: &'a RunResult, kind: &str) -> Vec<&'a ecsim::observer::LogEntry> {
    r.log.iter().filter(|(_, e)| e.kind == kind).map(|(_, e)| e).collect()
}

/// A cluster header: zones and one instance group.
pub fn cluster(duration: &str, zones: &[&str], group: &str) -> String {
    let zones: Vec<String> = zones.iter().map(|z| format!("{z:?}")).collect();
    format!(
        "[scenario]\nduration = \"{duration}\"\n\n[cluster]\nzones = [{}]\n\n[[instance_groups]]\n{group}\n",
        zones.join(", ")
    )
}

/// A task definition `app` with fixed timings: 10 s pull, 5 s start, so tasks are RUNNING 15 s
/// after placement and healthy 40 s later.
pub fn app(cpu: u32, memory: u32, port: &str, extra: &str) -> String {
    format!(
        "[[task_definitions]]\nfamily = \"app\"\ncpu = \"{cpu}\"\nmemory = \"{memory}\"\n{extra}\nbehavior = {{ image_pull = \"10s\", startup = \"5s\" }}\ncontainerDefinitions = [{{ name = \"app\", image = \"app:1\", essential = true, portMappings = [{port}] }}]\n"
    )
}

pub fn service(name: &str, desired: u32, extra: &str) -> String {
    format!("[[services]]\nserviceName = \"{name}\"\ntaskDefinition = \"app\"\ndesiredCount = {desired}\n{extra}\n")
}

/// A Python that imports `modules` (`ECSIM_PYTHON`, else `python3`), or `None` with a note that
/// the test is skipped. CI installs one and sets ECSIM_REQUIRE_PYTHON, so there it is never
/// skipped.
pub fn python_with(modules: &str) -> Option<std::path::PathBuf> {
    let python = std::env::var_os("ECSIM_PYTHON").map_or_else(|| "python3".into(), std::path::PathBuf::from);
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("ECSIM_REQUIRE_PYTHON").is_none(),
            "ECSIM_REQUIRE_PYTHON is set but {} cannot import {modules}",
            python.display()
        );
        eprintln!("skipped: no Python with {modules} (set ECSIM_PYTHON)");
    }
    ok.then_some(python)
}

/// Ten minutes of two groups of 4 m5.xlarge, `a` and `b`, behind capacity providers `cp-a` and
/// `cp-b` (no managed scaling): the setting of §2.1's strategy example. Task definitions and
/// services follow.
pub const TWO_PROVIDERS: &str = r#"[scenario]
duration = "10m"

[cluster]
zones = ["us-east-1a", "us-east-1b"]

[[instance_groups]]
name = "a"
instance_type = "m5.xlarge"
count = 4

[[instance_groups]]
name = "b"
instance_type = "m5.xlarge"
count = 4

[[capacity_providers]]
name = "cp-a"
autoScalingGroupProvider = { autoScalingGroupArn = "a" }

[[capacity_providers]]
name = "cp-b"
autoScalingGroupProvider = { autoScalingGroupArn = "b" }
"#;

/// Live tasks on the instances of group `name`.
pub fn live_on_group(sim: &ecsim::sim::Simulation, name: &str) -> usize {
    let c = sim.cluster();
    sim.state()
        .tasks()
        .iter()
        .filter(|t| t.counts().live && c.groups[c.instance(t.instance).group.index()].name == name)
        .count()
}
