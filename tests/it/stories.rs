//! Scenario-level stories: build a cluster, break something, check what ECS would do and when.

use crate::common::*;
use ecsim::ecs::task::{LastStatus, StopCode};

fn three_big_instances() -> String {
    cluster(
        "30m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"big\"\ninstance_type = \"m5.xlarge\"\ncount = 3",
    ) + &app(256, 512, "{ containerPort = 8080 }", "")
}

/// An instance holding 2 of 4 tasks fails at 10 min: both are replaced on the other instances
/// and the service is back to 4 healthy tasks exactly 15 s (pull + start) + 40 s later.
#[test]
fn instance_holding_two_of_four_tasks_fails_and_both_are_replaced() {
    let toml = three_big_instances()
        + &service("web", 4, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"big-1\"]\n";
    let mut sim = sim(&toml);
    assert_eq!(healthy_at(&mut sim, "web", 599.0), 4);
    let big1 = sim.cluster().find_instance("big-1").unwrap();
    assert_eq!(sim.cluster().instance(big1).tasks.len(), 2, "AZ spread puts the 4th task back on big-1");

    assert_eq!(healthy_at(&mut sim, "web", 600.0), 2, "both tasks on big-1 are lost at once");
    let replacements: Vec<_> = sim.state().tasks().iter().filter(|t| t.created_at == at_s(600.0)).collect();
    assert_eq!(replacements.len(), 2);
    assert!(replacements.iter().all(|t| t.instance != big1));
    assert_eq!(healthy_at(&mut sim, "web", 654.999), 2, "not healthy before RUNNING + 40 s");
    assert_eq!(healthy_at(&mut sim, "web", 655.0), 4, "back to 4 healthy at 600 + 15 + 40 s");

    let lost: Vec<_> = sim.state().tasks().iter().filter(|t| t.instance == big1).collect();
    assert!(lost.iter().all(|t| t.last_status == LastStatus::Stopped));
    assert!(lost.iter().all(|t| t.stopped_reason == "Host EC2 (instance big-1) stopped/terminated."));

    let r = sim.run().unwrap();
    let s = &r.services[0].accum;
    assert_eq!(s.min_healthy, Some(2));
    assert_eq!(s.outage_ms, 0);
    assert_eq!(s.degraded_ms, 55_000);
    assert_eq!(s.availability(), 1.0);
}

/// AZ spread over 3 zones, 2 tasks per zone: losing one zone leaves 4 healthy tasks (the
/// predicted az_loss_margin of 6 - 2), availability stays 1.0, and the lost tasks come back in
/// the surviving zones 55 s later.
#[test]
fn az_outage_with_az_spread_keeps_the_service_available() {
    let toml = cluster(
        "1h",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 6",
    ) + &app(256, 512, "{ containerPort = 8080 }", "")
        + &service("web", 6, "")
        + "[[events]]\nat = \"10m\"\naction = \"az_outage\"\nzone = \"us-east-1a\"\nduration = \"20m\"\n";
    let mut sim = sim(&toml);
    assert_eq!(healthy_at(&mut sim, "web", 599.0), 6);
    assert_eq!(healthy_at(&mut sim, "web", 600.0), 4, "the az_loss_margin before the outage was 6 - 2 = 4");
    assert_eq!(healthy_at(&mut sim, "web", 655.0), 6);
    let zones: Vec<u16> = sim.state().tasks().iter().filter(|t| t.counts().healthy).map(|t| t.zone.0).collect();
    assert_eq!(zones.iter().filter(|&&z| z == 0).count(), 0, "nothing runs in the failed zone");

    let r = sim.run().unwrap();
    let s = &r.services[0].accum;
    assert_eq!(s.availability(), 1.0);
    assert_eq!(s.outage_ms, 0);
    assert_eq!(s.min_healthy, Some(4));
    assert_eq!(s.min_az_loss_margin, Some(2), "4 healthy in two zones of 2: losing one more zone leaves 2");
    assert_eq!(s.min_az_coverage, Some(2));
    // The zone recovers at 30 m and its instances register after the group's 2 m launch time.
    let registered = log_of(&r, "INSTANCE_REGISTERED");
    assert_eq!(registered.len(), 2);
    assert!(r.log.iter().any(|(t, e)| e.kind == "INSTANCE_REGISTERED" && *t == at_s(1920.0)));
}

/// Scale up, down, to zero and back: the scheduler launches and stops tasks of the one revision.
#[test]
fn desired_count_changes_on_the_timeline() {
    let toml = three_big_instances()
        + &service("web", 2, "")
        + "[[events]]\nat = \"5m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 5\n"
        + "[[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 0\n"
        + "[[events]]\nat = \"15m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 3\n";
    let mut sim = sim(&toml);
    assert_eq!(healthy_at(&mut sim, "web", 299.0), 2);
    assert_eq!(healthy_at(&mut sim, "web", 355.0), 5);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(sim.counts("web").live, 0, "scale to zero stops every task at once");
    let stopped: Vec<_> =
        sim.state().tasks().iter().filter(|t| t.stop_code == Some(StopCode::ServiceSchedulerInitiated)).collect();
    assert_eq!(stopped.len(), 5);
    assert_eq!(healthy_at(&mut sim, "web", 955.0), 3);
    let r = sim.run().unwrap();
    assert_eq!(log_of(&r, "SERVICE_TASKS_STOPPED").len(), 1);
    assert!(
        log_of(&r, "SERVICE_TASKS_STOPPED")[0]
            .message
            .starts_with("(service web) has stopped 5 running tasks: (task web-")
    );
    // Desired 0 counts as no outage (outage needs desired > 0), but no task is healthy then.
    let a = &r.services[0].accum;
    assert_eq!(a.outage_ms, 55_000, "only the ramp from 0 to 3 tasks after desired became 3");
    assert!(a.availability() < 1.0);
}

/// Not enough room: the 4th task cannot be placed (static port 80 on 3 instances); the service
/// reports it in ECS's words and places it as soon as a new instance registers.
#[test]
fn placement_failure_is_reported_and_retried_when_capacity_arrives() {
    let toml = cluster(
        "30m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"fleet\"\ninstance_type = \"t3.small\"\ncount = 3\nlaunch_time = \"2m\"",
    ) + &app(256, 256, "{ containerPort = 80, hostPort = 80 }", "")
        + &service("web", 4, "")
        + "[[events]]\nat = \"10m\"\naction = \"add_instances\"\ngroup = \"fleet\"\ncount = 1\n";
    let mut sim = sim(&toml);
    assert_eq!(healthy_at(&mut sim, "web", 719.0), 3);
    assert_eq!(healthy_at(&mut sim, "web", 720.0 + 54.999), 3);
    assert_eq!(healthy_at(&mut sim, "web", 720.0 + 55.0), 4, "placed when fleet-4 registers at 12 m");
    let r = sim.run().unwrap();
    let failures = log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE");
    assert!(!failures.is_empty());
    assert!(failures[0].message.contains("was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance fleet-1) is already using a port required by your task."), "{}", failures[0].message);
    assert_eq!(r.services[0].stats.placement_failures as usize, failures.len());
    assert!(failures.len() <= 2, "retries happen when capacity changes, not on a timer: {}", failures.len());
}

/// ECS notices a lost instance only after `instance_loss_detection`: its tasks stop serving at
/// once, and replacements start when ECS notices.
#[test]
fn detection_latency_delays_replacement_but_not_the_loss() {
    let toml = three_big_instances()
        + "[settings]\ninstance_loss_detection = \"60s\"\n"
        + &service("web", 3, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"big-2\"]\n";
    let mut sim = sim(&toml);
    assert_eq!(healthy_at(&mut sim, "web", 600.0), 2);
    assert_eq!(sim.counts("web").running, 3, "ECS still reports the lost task RUNNING");
    assert_eq!(healthy_at(&mut sim, "web", 659.999), 2);
    sim.run_until(at_s(660.0)).unwrap();
    assert_eq!(sim.counts("web").running, 2);
    assert_eq!(sim.counts("web").pending, 1, "the replacement starts when ECS notices");
    assert_eq!(healthy_at(&mut sim, "web", 715.0), 3);
}

/// Tasks that finish on their own (a `run` time) stop with EssentialContainerExited and the
/// service replaces them.
#[test]
fn batch_tasks_exit_and_are_replaced() {
    let toml = cluster("1h", &["us-east-1a"], "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2")
        + &app(256, 512, "", "").replace("startup = \"5s\" }", "startup = \"5s\", run = \"10m\" }")
        + &service("jobs", 2, "");
    let r = run(&toml);
    let exited = log_of(&r, "TASK_STOPPED");
    assert!(exited.iter().all(|e| e.message.contains("EssentialContainerExited: Essential container in task exited")));
    // Each task lives 15 s + 10 m; replacements start at once: 5 generations per slot in 1 h.
    assert_eq!(exited.len(), 10);
    assert_eq!(r.services[0].stats.tasks_started, 12);
}

/// StopTask from the timeline: UserInitiated, and the service starts a replacement.
#[test]
fn stop_task_is_user_initiated_and_replaced() {
    let toml = three_big_instances()
        + &service("web", 3, "")
        + "[[events]]\nat = \"10m\"\naction = \"stop_task\"\nservice = \"web\"\ntask = \"web-2\"\nreason = \"debugging\"\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    let t = sim.state().tasks().iter().find(|t| t.name == "web-2").unwrap();
    assert_eq!(t.stop_code, Some(StopCode::UserInitiated));
    assert_eq!(t.stopped_reason, "debugging");
    assert_eq!(t.last_status, LastStatus::Stopping, "a running task gets the stop signal first");
    assert_eq!(sim.counts("web").live, 3, "the replacement is already launched");
    assert_eq!(healthy_at(&mut sim, "web", 655.0), 3);
}

/// Seeded instance failures: the count follows the MTBF (100 instances, MTBF 1 day, no
/// replacement: about 100 x (1 - 1/e) = 63 fail in a day), and the same seed gives the same run.
#[test]
fn seeded_instance_failures_follow_the_mtbf() {
    let toml =
        cluster("1d", &["us-east-1a", "us-east-1b"], "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 100")
            + &app(256, 512, "", "")
            + &service("web", 50, "")
            + "[[faults]]\nkind = \"instance_failures\"\nmtbf = \"1d\"\n";
    let a = run(&toml);
    let n = log_of(&a, "INSTANCE_TERMINATED").len();
    assert!((45..=80).contains(&n), "{n} failures");
    assert_eq!(a, run(&toml));
    let other = ecsim::sim::Simulation::new(&scenario(&toml), 99).run().unwrap();
    let times = |r: &ecsim::observer::RunResult| {
        r.log.iter().filter(|(_, e)| e.kind == "INSTANCE_TERMINATED").map(|(t, _)| t.0).collect::<Vec<_>>()
    };
    assert_ne!(times(&other), times(&a), "another seed, other failure times");
}

/// A fault window: exactly `count` failures, all inside the window, each on an instance alive at
/// that moment, each replaced by its group after the replacement delay.
#[test]
fn windowed_instance_failures_strike_count_times_inside_the_window() {
    let toml = cluster(
        "2h",
        &["us-east-1a", "us-east-1b"],
        "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 10\nreplacement_delay = \"5m\"\nlaunch_time = \"0s\"",
    ) + &app(256, 512, "", "")
        + &service("web", 6, "")
        + "[[faults]]\nkind = \"instance_failures\"\ncount = 4\nbetween = [\"10m\", \"40m\"]\n";
    let r = run(&toml);
    let failed: Vec<(u64, String)> = r
        .log
        .iter()
        .filter(|(_, e)| e.kind == "INSTANCE_TERMINATED")
        .map(|(t, e)| (t.0, e.instance.to_string()))
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed.iter().all(|(t, _)| (600_000..=2_400_000).contains(t)), "{failed:?}");
    let mut names: Vec<&String> = failed.iter().map(|(_, n)| n).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 4, "never the same instance twice: {failed:?}");
    let registered: Vec<u64> = log_of_times(&r, "INSTANCE_REGISTERED");
    let expected: Vec<u64> = failed.iter().map(|(t, _)| t + 300_000).collect();
    assert_eq!(registered, expected, "each replaced 5 minutes later");
    assert_eq!(r, run(&toml));
}

fn log_of_times(r: &ecsim::observer::RunResult, kind: &str) -> Vec<u64> {
    r.log.iter().filter(|(_, e)| e.kind == kind).map(|(t, _)| t.0).collect()
}

/// The measured time starts when every service first reaches steady state, so the initial
/// ramp-up is not an outage; `measure_from` overrides it.
#[test]
fn measurement_starts_at_steady_state_or_measure_from() {
    let toml = three_big_instances() + &service("web", 3, "");
    let r = run(&toml);
    assert_eq!(r.measure_start, Some(at_s(55.0)));
    assert_eq!(r.services[0].accum.outage_ms, 0);
    let r = run(&toml.replace("duration = \"30m\"", "duration = \"30m\"\nmeasure_from = \"0s\""));
    assert_eq!(r.measure_start, Some(at_s(0.0)));
    assert_eq!(r.services[0].accum.outage_ms, 55_000);
}

/// The livelock guard: too many events at one instant end the run with a clear error.
#[test]
fn too_many_events_at_one_instant_is_a_clear_error() {
    let toml = three_big_instances()
        + "[settings]\nmax_events_per_instant = 1\n"
        + &service("web", 3, "")
        + &service("api", 3, "");
    let err = sim(&toml).run().unwrap_err().to_string();
    assert_eq!(
        err,
        "runaway simulation: more than 1 event at the instant 0 s (settings.max_events_per_instant): the model is not making progress"
    );
}

/// E-L2: a non-essential sidecar that exits leaves the task RUNNING; the essential container
/// exiting stops the task with EssentialContainerExited.
#[test]
fn e_l2_essential_and_non_essential_exits() {
    let toml = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 1")
        + "[[task_definitions]]\nfamily = \"app\"\ncpu = \"256\"\nmemory = \"512\"\n"
        + "behavior = { image_pull = \"10s\", startup = \"5s\", containers = { sidecar = { run = \"30s\", exit_code = 1 } }, fault = { kind = \"essential_exit\", after = \"10m\" } }\n"
        + "containerDefinitions = [{ name = \"app\", image = \"app\", essential = true }, { name = \"sidecar\", image = \"s\", essential = false }]\n"
        + &service("web", 1, "");
    let mut s = sim(&toml);
    assert_eq!(healthy_at(&mut s, "web", 120.0), 1, "the sidecar exited at 45 s; the task runs on");
    s.run_until(at_s(615.0)).unwrap();
    let t = &s.state().tasks()[0];
    assert_eq!(t.stop_code, Some(StopCode::EssentialContainerExited));
    assert_eq!(t.stopped_reason, "Essential container in task exited");
}

/// Every memory guard stops a run that outgrows it, with the setting to raise named: each
/// scenario is ordinary but for one guard set low. (The guards are looked at every 1,024 events
/// and at the end of the run.) (A run that would exhaust memory, like a
/// billion jobs an hour on ten instances, stops at the default guards within a second: the
/// command-line test of that is in cli.rs.)
#[test]
fn memory_guards_stop_runs_that_outgrow_them() {
    let batch = "[[workloads]]\nname = \"batch\"\ntask_definition = \"app\"\nrate_per_hour = 36000000\nrun = \"10m\"\n";
    let cases = [
        ("max_pending_events = 20", batch.to_string(), "events waiting in the queue"),
        (
            "max_tasks = 5",
            service("web", 6, ""),
            "task records (live tasks, and service tasks stopped within stopped_task_retention)",
        ),
        ("max_instances_registered = 2", service("web", 1, ""), "container instances registered over the run"),
        ("max_queued_jobs = 100", batch.to_string(), "jobs waiting in workload queues"),
        ("max_log_lines = 3", service("web", 6, "") + &service("api", 6, ""), "event-log lines"),
    ];
    for (setting, body, what) in cases {
        let toml = three_big_instances() + &format!("[settings]\n{setting}\n") + &body;
        let err = sim(&toml).run().unwrap_err().to_string();
        let (key, max) = setting.split_once(" = ").unwrap();
        let want = format!("more than {max} {what} at ");
        assert!(err.starts_with(&format!("runaway simulation: {want}")), "{setting}: {err}");
        assert!(err.contains(&format!("(settings.{key}); raise it in [settings]")), "{setting}: {err}");
    }
}

/// ECS forgets a STOPPED task an hour after it stopped (SCHEDULING.md §1), and so does ecsim:
/// four tasks replaced by a forced deployment at 10 min stay describable at 30 min; the next
/// deployment's tasks (at 2 h) take their slots, so a week of daily deployments keeps a table
/// the size of what is live and what stopped within the hour.
#[test]
fn stopped_service_tasks_are_forgotten_an_hour_after_they_stop() {
    let deploy = |at: &str| {
        format!(
            "\n[[events]]\nat = \"{at}\"\naction = \"update_service\"\nservice = \"web\"\nforceNewDeployment = true\n"
        )
    };
    let toml =
        cluster("3h", &["us-east-1a", "us-east-1b"], "name = \"fleet\"\ninstance_type = \"m5.xlarge\"\ncount = 2")
            + &app(256, 512, "{ containerPort = 8080 }", "")
            + &service("web", 4, "")
            + &deploy("10m")
            + &deploy("2h");
    let mut s = sim(&toml);
    let held = |s: &ecsim::sim::Simulation| s.state().tasks().len() - s.state().free_task_slots().len();
    let stopped = |s: &ecsim::sim::Simulation| {
        let st = s.state();
        let free: std::collections::BTreeSet<_> = st.free_task_slots().iter().collect();
        st.tasks().iter().filter(|t| !free.contains(&t.id) && t.last_status == LastStatus::Stopped).count()
    };
    s.run_until(at_s(30.0 * 60.0)).unwrap();
    assert_eq!((held(&s), stopped(&s)), (8, 4), "the replaced tasks are still describable");
    s.run_until(at_s(150.0 * 60.0)).unwrap();
    assert_eq!((held(&s), stopped(&s)), (8, 4), "the first four forgotten, the second four describable");
    assert_eq!(s.state().tasks().len(), 8, "the second deployment's tasks took the forgotten slots");
    let names: Vec<String> = s.state().tasks().iter().filter(|t| t.counts().live).map(|t| t.name.to_string()).collect();
    assert_eq!(names.len(), 4);
    let launched = |n: &String| n.trim_start_matches("web-").parse::<u32>().unwrap();
    assert!(names.iter().all(|n| launched(n) > 8), "the live tasks are the third four launched: {names:?}");
}
