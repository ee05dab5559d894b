//! Batch workloads: arrivals, a FIFO queue that waits for capacity, queueing delays.

use crate::common::*;

fn batch(workload: &str) -> String {
    cluster("2h", &["us-east-1a"], "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 1")
        + "[[task_definitions]]\nfamily = \"job\"\ncpu = \"1024\"\nmemory = \"1024\"\nbehavior = { image_pull = \"0s\", startup = \"0s\", stop = \"0s\" }\n"
        + "containerDefinitions = [{ name = \"job\", image = \"job:1\", essential = true }]\n"
        + "[[workloads]]\nname = \"jobs\"\ntask_definition = \"job\"\n"
        + workload
}

/// One instance fits 2 jobs of 1024 CPU; a job arrives every minute and runs 5 minutes: the
/// queue grows, each job waits for a slot, and the delays show it.
#[test]
fn jobs_queue_for_capacity() {
    let r = run(&batch("arrivals = \"1m\"\nrun = \"5m\"\ncount = 6\n"));
    let w = &r.workloads[0];
    assert_eq!((w.arrived, w.started, w.never_started), (6, 6, 0));
    // Arrivals at 1..6 min; slots free at 6, 7, 11, 12 min: delays 0, 0, 3, 3, 6, 6 min.
    assert_eq!((w.delay_ms_p50, w.delay_ms_max), (180_000, 360_000));
    assert_eq!(r.standalone_tasks, 6);
}

/// Arrival times from a CSV, and jobs still queued at the end are reported as never started.
#[test]
fn arrivals_from_csv_and_never_started() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("arrivals.csv"), "time_s\n10\n20\n30\n4000\n").unwrap();
    std::fs::write(dir.path().join("s.toml"), batch("arrivals_csv = \"arrivals.csv\"\nrun = \"3h\"\n")).unwrap();
    let s = ecsim::scenario::load_file(&dir.path().join("s.toml")).unwrap();
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let w = &r.workloads[0];
    assert_eq!((w.arrived, w.started, w.never_started), (4, 2, 2));
}

/// A Poisson stream and drawn sizes are seeded: same seed, same run.
#[test]
fn poisson_arrivals_are_seeded() {
    let toml = batch(
        "rate_per_hour = 60\nrun = { distribution = \"uniform\", min = \"1m\", max = \"10m\" }\ncpu = [256, 512, 1024]\nmemory_mib = [512, 1024]\n",
    );
    let a = run(&toml);
    let n = a.workloads[0].arrived;
    assert!((90..=150).contains(&n), "about 120 arrivals in 2 h: {n}");
    assert_eq!(a, run(&toml));
}

/// `--explain` on a workload: each placement says what the random choice had to pick from; a job
/// that fits nowhere is explained once (not at every retry); explaining changes nothing else.
#[test]
fn workload_placements_are_explained() {
    let toml = batch("arrivals = \"1m\"\nrun = \"5m\"\ncount = 3\n");
    let mut s = scenario(&toml);
    s.settings.explain = Some("jobs".into());
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let lines: Vec<String> = log_of(&r, "PLACEMENT_EXPLANATION").iter().map(|e| e.message.clone()).collect();
    assert_eq!(
        lines,
        [
            "(task job-1) placed on fleet-1 (us-east-1a): 1 instance; random kept 1; chosen fleet-1 (random tie-break).",
            "(task job-2) placed on fleet-1 (us-east-1a): 1 instance; random kept 1; chosen fleet-1 (random tie-break).",
            "(workload jobs) could not place a task: 1 instance; 1 removed (RESOURCE:CPU 1).",
            "(task job-3) placed on fleet-1 (us-east-1a): 1 instance; random kept 1; chosen fleet-1 (random tie-break).",
        ]
    );
    let plain = run(&toml);
    assert_eq!(r.workloads, plain.workloads);
    assert_eq!(r.standalone_tasks, plain.standalone_tasks);
}
