//! RunTask and StartTask: standalone tasks (SCHEDULING.md §5.6, E-PL6, E-PL7).

use crate::common::*;

fn batch(events: &str) -> String {
    cluster("2h", &["us-east-1a", "us-east-1b"], "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2")
        + "[[task_definitions]]\nfamily = \"job\"\ncpu = \"1024\"\nmemory = \"2048\"\n"
        + "behavior = { image_pull = \"10s\", startup = \"5s\", run = \"10m\" }\n"
        + "containerDefinitions = [{ name = \"job\", image = \"job:1\", essential = true }]\n"
        + events
}

/// RunTask places up to 10 tasks; those that do not fit are reported with a reason and not
/// retried; finished tasks are not replaced.
#[test]
fn run_task_places_what_fits_and_reports_the_rest() {
    // Two m5.large (2048 CPU each) fit 4 tasks of 1024 CPU.
    let r = run(&batch("[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\ncount = 6\n"));
    assert_eq!(r.standalone_tasks, 4);
    assert_eq!(r.run_task_failures, [("RESOURCE:CPU".to_string(), 2)]);
    let failure = r.log.iter().find(|(_, e)| e.kind == "RUN_TASK_FAILURE").unwrap();
    assert!(failure.1.message.starts_with("RunTask job:1 failures: (reason RESOURCE:CPU)"), "{}", failure.1.message);
    assert_eq!(r.standalone_completed, 4, "all four ran their 10 minutes");
    assert!(log_of(&r, "TASK_STOPPED").is_empty(), "completions are counted, not logged");
    assert!(r.log.iter().filter(|(_, e)| e.kind == "RUN_TASK").count() == 1, "never retried");
}

/// StartTask: one task per named instance; unknown and terminated instances fail with MISSING
/// and INACTIVE.
#[test]
fn start_task_on_named_instances() {
    let toml = batch(
        "[[events]]\nat = \"1m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-2\"]\n\
         [[events]]\nat = \"2m\"\naction = \"start_task\"\ntaskDefinition = \"job\"\ncontainerInstances = [\"fleet-1\", \"fleet-2\", \"fleet-9\"]\n",
    );
    let r = run(&toml);
    assert_eq!(r.standalone_tasks, 1);
    assert_eq!(r.run_task_failures, [("INACTIVE".to_string(), 1), ("MISSING".to_string(), 1)]);
}

/// E-I1: standalone tasks on a DRAINING instance are left alone.
#[test]
fn draining_leaves_standalone_tasks_alone() {
    let toml = batch(
        "[[events]]\nat = \"1m\"\naction = \"start_task\"\ntaskDefinition = \"job\"\ncontainerInstances = [\"fleet-1\"]\n\
         [[events]]\nat = \"2m\"\naction = \"drain_instances\"\ninstances = [\"fleet-1\"]\n",
    );
    let r = run(&toml);
    assert_eq!(r.standalone_completed, 1, "it ran to the end");
    // The drain finished when the task did: RUNNING at 1 min 15 s (pull and start), exited 10
    // minutes later, STOPPED after its stop time.
    let drained = log_of(&r, "INSTANCE_DRAINED");
    assert_eq!(drained.len(), 1);
    let t = r.log.iter().find(|(_, e)| e.kind == "INSTANCE_DRAINED").unwrap().0;
    assert!(t >= at_s(675.0) && t <= at_s(675.0 + 30.0), "drained at {t:?}");
}

/// `log_completed_standalone_tasks` puts each completion in the log; a standalone task that
/// stops for another reason is always logged.
#[test]
fn completed_standalone_tasks_are_logged_on_request_and_failures_always() {
    let events = "[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\ncount = 4\n\
                  [[events]]\nat = \"5m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-1\"]\n";
    let quiet = run(&batch(events));
    let stopped = log_of(&quiet, "TASK_STOPPED");
    // Four tasks fill both instances: two die with fleet-1, two complete on fleet-2.
    assert_eq!(quiet.standalone_completed, 2);
    assert_eq!(stopped.len(), 2, "only the tasks on the terminated instance");
    assert!(stopped.iter().all(|e| e.message.contains("stopped/terminated")), "{}", stopped[0].message);

    let verbose = run(&(batch(events) + "[settings]\nlog_completed_standalone_tasks = true\n"));
    let stopped = log_of(&verbose, "TASK_STOPPED");
    assert_eq!(stopped.len(), 4);
    assert!(stopped.iter().any(|e| e.message.contains("EssentialContainerExited: Essential container in task exited")));
}

/// A stopped standalone task is forgotten (as ECS forgets stopped tasks): a stream of jobs run
/// one after another keeps a task table the size of the jobs alive at once.
#[test]
fn stopped_standalone_tasks_are_forgotten() {
    let mut events = String::new();
    for i in 0..30 {
        events += &format!("[[events]]\nat = \"{}m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\n", 1 + i * 11);
    }
    let toml = batch(&events).replace("duration = \"2h\"", "duration = \"6h\"");
    let mut sim = sim(&toml);
    sim.run_until(at_s(6.0 * 3600.0)).unwrap();
    assert_eq!(sim.state().standalone_tasks().1, 30);
    assert!(sim.state().tasks().len() <= 2, "{} task records kept", sim.state().tasks().len());
}

/// E-PL6: RunTask count 11 and StartTask with 11 instances are rejected; E-PL7: 4 constraints in
/// the task definition plus 7 in the request is 11 > 10.
#[test]
fn e_pl6_e_pl7_request_limits() {
    let err = |toml: &str| ecsim::scenario::load_str("t.toml", toml, None).unwrap_err().to_string();
    let e = err(&batch("[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\ncount = 11\n"));
    assert!(e.contains("events[0].count: expected an integer from 1 to 10, found 11"), "{e}");
    let ids: Vec<String> = (1..=11).map(|i| format!("\"fleet-{}\"", 1 + i % 2)).collect();
    let e = err(&batch(&format!(
        "[[events]]\nat = \"1m\"\naction = \"start_task\"\ntaskDefinition = \"job\"\ncontainerInstances = [{}]\n",
        ids.join(", ")
    )));
    assert!(e.contains("expected 1 to 10 container instances, found 11"), "{e}");
    let c = "{ type = \"memberOf\", expression = \"attribute:ecs.os-type == linux\" }";
    let td_constraints = format!("placementConstraints = [{}]\n", [c; 4].join(", "));
    let toml = batch(&format!(
        "[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\nplacementConstraints = [{}]\n",
        [c; 7].join(", ")
    ))
    .replace("memory = \"2048\"\n", &format!("memory = \"2048\"\n{td_constraints}"));
    let e = err(&toml);
    assert!(
        e.contains(
            "expected at most 10 placement constraints per task (task definition and request together), found 11"
        ),
        "{e}"
    );
}

/// RunTask's default placement is random: the same seed gives the same placement, another seed
/// may not.
#[test]
fn run_task_default_placement_is_random_and_seeded() {
    let toml = batch("[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\ncount = 2\n");
    let a = run(&toml);
    assert_eq!(a, run(&toml));
    let places = |seed: u64| {
        let s = scenario(&toml);
        let mut sim = ecsim::sim::Simulation::new(&s, seed);
        sim.run_until(at_s(61.0)).unwrap();
        sim.state().tasks().iter().map(|t| t.instance.0).collect::<Vec<_>>()
    };
    let distinct: std::collections::BTreeSet<Vec<u32>> = (1..20).map(places).collect();
    assert!(distinct.len() > 1, "random placement varies with the seed");
}

/// `--explain` on a RunTask family: placed tasks and the ones that fit nowhere, per check.
#[test]
fn run_task_placements_are_explained() {
    let mut s =
        scenario(&batch("[[events]]\nat = \"1m\"\naction = \"run_task\"\ntaskDefinition = \"job\"\ncount = 5\n"));
    s.settings.explain = Some("job".into());
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let e = log_of(&r, "PLACEMENT_EXPLANATION");
    assert_eq!(e.iter().filter(|e| e.message.contains("placed on")).count(), 4);
    assert_eq!(
        e.last().unwrap().message,
        "(RunTask job:1) could not place a task: 2 instances; 2 removed (RESOURCE:CPU 2)."
    );
    // The first task saw both instances with room.
    assert!(
        e[0].message.ends_with("2 instances; random kept 2; chosen fleet-1 (random tie-break).")
            || e[0].message.ends_with("2 instances; random kept 2; chosen fleet-2 (random tie-break)."),
        "{}",
        e[0].message
    );
}

/// RunTask with a capacity provider strategy: base and weights count within the call (§2.1:
/// base 2 on A, weights 1 and 3, 10 tasks: A 4, B 6); with launchType FARGATE the tasks run on
/// Fargate, never on the instances.
#[test]
fn run_task_follows_its_capacity_provider_strategy() {
    let toml = TWO_PROVIDERS.to_string()
        + r#"
[[task_definitions]]
family = "job"
networkMode = "awsvpc"
cpu = "256"
memory = "512"
behavior = { run = "1h" }
containerDefinitions = [{ name = "job", image = "job:1", essential = true }]

[[events]]
at = "1m"
action = "run_task"
taskDefinition = "job"
count = 10
capacityProviderStrategy = [{ capacityProvider = "cp-a", base = 2, weight = 1 }, { capacityProvider = "cp-b", weight = 3 }]
placementStrategy = [{ type = "spread", field = "instanceId" }]

[[events]]
at = "2m"
action = "run_task"
taskDefinition = "job"
count = 3
group = "fargate-jobs"
launchType = "FARGATE"
networkConfiguration = { awsvpcConfiguration = { subnets = ["subnet-1"] } }
"#;
    let mut sim = sim(&toml);
    sim.run_until(at_s(61.0)).unwrap();
    assert_eq!((live_on_group(&sim, "a"), live_on_group(&sim, "b")), (4, 6));
    sim.run_until(at_s(121.0)).unwrap();
    assert_eq!(live_on_group(&sim, "FARGATE"), 3);
    assert_eq!((live_on_group(&sim, "a"), live_on_group(&sim, "b")), (4, 6));
}

/// RunTask on a capacity provider with managed scaling: tasks that find no instance wait in
/// PROVISIONING (not RunTask failures), count in the provider's reservation, and start when the
/// group's instances register. Here an empty group of m5.large (2 vCPU) and RunTask of 6 tasks of
/// 1 vCPU at 5 min: the datapoint at 6 min reads 200 % (need, no instances) and the group goes
/// to 2, which register 90 s later and take 4; the 2 left ask for one more instance, launched
/// at 11 min when the first two are out of their 300 s warm-up, and start when it registers at
/// 12.5 min. An oversized task (4 vCPU) is not compatible and stops after the
/// provisioning timeout; nothing replaces it.
#[test]
fn run_task_waits_in_provisioning_for_managed_scaling() {
    let toml = r#"[scenario]
duration = "1h"

[cluster]
zones = ["us-east-1a", "us-east-1b"]

[[instance_groups]]
name = "asg"
instance_type = "m5.large"
count = 0
launch_time = "90s"

[[capacity_providers]]
name = "asg-cp"
autoScalingGroupProvider = { autoScalingGroupArn = "asg", managedScaling = { status = "ENABLED", targetCapacity = 100 } }

[[task_definitions]]
family = "job"
cpu = "1024"
memory = "512"
behavior = { run = "2h" }
containerDefinitions = [{ name = "job", image = "job:1", essential = true }]

[[task_definitions]]
family = "huge"
cpu = "4096"
memory = "512"
containerDefinitions = [{ name = "huge", image = "huge:1", essential = true }]

[[events]]
at = "5m"
action = "run_task"
taskDefinition = "job"
count = 6
capacityProviderStrategy = [{ capacityProvider = "asg-cp", weight = 1 }]

[[events]]
at = "5m"
action = "run_task"
taskDefinition = "huge"
capacityProviderStrategy = [{ capacityProvider = "asg-cp", weight = 1 }]
"#;
    let mut sim = sim(toml);
    sim.run_until(at_s(300.0)).unwrap();
    assert_eq!(sim.state().provisioning_total(), 7, "6 jobs and the huge task wait");
    assert_eq!(sim.state().standalone_tasks().0, 0);
    sim.run_until(at_s(360.0)).unwrap();
    assert_eq!(sim.state().group_desired()[0], 2, "CPR 200 from zero: 2 instances");
    sim.run_until(at_s(450.0)).unwrap();
    assert_eq!(sim.state().standalone_tasks().0, 4, "two per m5.large once they register at 7.5 min");
    assert_eq!(sim.state().provisioning_total(), 3);
    let r = sim.run().unwrap();
    let times = |kind: &str| -> Vec<f64> { log_of_times(&r, kind) };
    assert_eq!(times("MANAGED_SCALING_SCALE_OUT"), [360.0, 660.0]);
    assert_eq!(times("RUN_TASK_PROVISIONED"), [450.0, 450.0, 750.0]);
    assert_eq!(r.standalone_tasks, 6, "every job ran in the end");
    assert!(log_of(&r, "RUN_TASK_FAILURE").is_empty(), "waiting in PROVISIONING is not a RunTask failure");
    assert_eq!(log_of(&r, "RUN_TASK_PROVISIONING").len(), 2);
    assert_eq!(times("RUN_TASK_PROVISIONING_TIMEOUT"), [300.0 + 1800.0], "the huge task stops 30 min after RunTask");
    assert!(r.run_task_failures.contains(&("PROVISIONING_TIMEOUT".to_string(), 1)), "{:?}", r.run_task_failures);
    let cp = &r.capacity_providers[0];
    assert_eq!((cp.provisioned_tasks, cp.provisioning_given_up, cp.instances_max), (6, 1, 3));
}

fn log_of_times(r: &ecsim::observer::RunResult, kind: &str) -> Vec<f64> {
    r.log.iter().filter(|(_, e)| e.kind == kind).map(|(t, _)| t.as_secs_f64()).collect()
}
