//! Rolling deployments, the throttle and the circuit breaker: the worked examples of
//! SCHEDULING.md §8 (E-R, E-D, E-C, E-T), each a test named after its label.

use crate::common::*;
use ecsim::sim::Simulation;

/// Revision 1 is good; revision 2 carries `v2_behavior` extras (a fault). Timings are fixed:
/// RUNNING 15 s after placement, healthy 40 s later, stopped 2 s after the stop signal.
fn two_revisions(group: &str, desired: u32, deployment: &str, v2_extra: &str, events: &str) -> String {
    format!(
        r#"[scenario]
duration = "2h"

[cluster]
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]

[[instance_groups]]
{group}

[[task_definitions]]
family = "app"
cpu = "256"
memory = "512"
behavior = {{ image_pull = "10s", startup = "5s" }}
containerDefinitions = [{{ name = "app", image = "app:1", essential = true }}]

[[task_definitions]]
family = "app"
cpu = "256"
memory = "512"
behavior = {{ image_pull = "10s", startup = "5s"{v2_extra} }}
containerDefinitions = [{{ name = "app", image = "app:2", essential = true }}]

[[services]]
serviceName = "web"
taskDefinition = "app:1"
desiredCount = {desired}
deploymentConfiguration = {{ {deployment} }}

[[events]]
at = "10m"
action = "update_service"
service = "web"
taskDefinition = "app:2"
{events}"#
    )
}

const ROOMY: &str = "name = \"big\"\ninstance_type = \"m5.4xlarge\"\ncount = 3";

fn live(sim: &Simulation, revision: u32) -> usize {
    sim.state()
        .tasks()
        .iter()
        .filter(|t| t.counts().live && sim.state().task_definitions()[t.task_definition.index()].revision == revision)
        .count()
}

fn healthy(sim: &Simulation, revision: u32) -> usize {
    sim.state()
        .tasks()
        .iter()
        .filter(|t| {
            t.counts().healthy && sim.state().task_definitions()[t.task_definition.index()].revision == revision
        })
        .count()
}

fn at(sim: &mut Simulation, t: f64) -> (usize, usize) {
    sim.run_until(at_s(t)).unwrap();
    (live(sim, 1), live(sim, 2))
}

fn rollout(sim: &Simulation, d: usize) -> ecsim::ecs::deployment::RolloutState {
    sim.service("web").unwrap().deployments[d].rollout_state
}

use ecsim::ecs::deployment::RolloutState::{Completed, Failed, InProgress};

/// E-R1: D=4, min 50, max 200: 2 old stop at once and 4 new start; when the new ones are
/// healthy the last 2 old stop; the deployment completes with 4 new.
#[test]
fn e_r1_min_50_max_200() {
    let mut sim = sim(&two_revisions(ROOMY, 4, "minimumHealthyPercent = 50, maximumPercent = 200", "", ""));
    assert_eq!(at(&mut sim, 600.0), (2, 4));
    assert_eq!(at(&mut sim, 654.9), (2, 4));
    assert_eq!(at(&mut sim, 655.0), (0, 4), "new tasks healthy at 600 + 15 + 40 s: the last old ones go");
    assert_eq!(rollout(&sim, 1), InProgress);
    sim.run_until(at_s(657.0)).unwrap();
    assert_eq!(rollout(&sim, 1), Completed, "completes when the old tasks have stopped");
    assert_eq!(sim.service("web").unwrap().deployments[1].finished_at, Some(at_s(657.0)));
}

/// E-R2: D=4, min 100, max 200: 4 new start first, nothing stops until they are healthy; peak 8.
#[test]
fn e_r2_min_100_max_200_starts_first() {
    let mut sim = sim(&two_revisions(ROOMY, 4, "minimumHealthyPercent = 100, maximumPercent = 200", "", ""));
    assert_eq!(at(&mut sim, 600.0), (4, 4));
    assert_eq!(at(&mut sim, 654.9), (4, 4));
    assert_eq!(healthy(&sim, 1), 4, "never below 100% healthy");
    assert_eq!(at(&mut sim, 655.0), (0, 4));
    let r = sim.run().unwrap();
    assert_eq!(r.services[0].accum.min_healthy, Some(4));
}

/// E-R3: D=3, min 100, max 125: neither stop nor start is allowed: the documented event.
#[test]
fn e_r3_stuck_configuration() {
    let mut sim = sim(&two_revisions(ROOMY, 3, "minimumHealthyPercent = 100, maximumPercent = 125", "", ""));
    assert_eq!(at(&mut sim, 1800.0), (3, 0));
    assert_eq!(rollout(&sim, 1), InProgress);
    let r = sim.run().unwrap();
    let stuck = log_of(&r, "SERVICE_DEPLOYMENT_STUCK");
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        stuck[0].message,
        "(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
    );
}

/// E-R4: D=2, min 75 (ceil 1.5 = 2): no old task may stop first; max 200 starts 2 new first;
/// max 100 is stuck.
#[test]
fn e_r4_min_75_rounds_up() {
    let mut sim = sim(&two_revisions(ROOMY, 2, "minimumHealthyPercent = 75, maximumPercent = 200", "", ""));
    assert_eq!(at(&mut sim, 600.0), (2, 2));
    assert_eq!(at(&mut sim, 655.0), (0, 2));
    let r = run(&two_revisions(ROOMY, 2, "minimumHealthyPercent = 75, maximumPercent = 100", "", ""));
    assert_eq!(log_of(&r, "SERVICE_DEPLOYMENT_STUCK").len(), 1);
}

/// E-R5: D=1, min 100, max 200: no downtime; min 0, max 100: stop first, downtime.
#[test]
fn e_r5_single_task() {
    let r = run(&two_revisions(ROOMY, 1, "minimumHealthyPercent = 100, maximumPercent = 200", "", ""));
    assert_eq!(r.services[0].accum.outage_ms, 0);
    let mut sim = sim(&two_revisions(ROOMY, 1, "minimumHealthyPercent = 0, maximumPercent = 100", "", ""));
    assert_eq!(at(&mut sim, 600.0), (0, 0), "old stopping, new waits for it (max 100%)");
    assert_eq!(at(&mut sim, 602.0), (0, 1));
    let r = sim.run().unwrap();
    assert_eq!(r.services[0].accum.outage_ms, 57_000, "600 to 657 s without a healthy task");
}

/// E-R6: D=4, min 25, max 100: 3 old stop at once; once stopped (they hold their place under
/// maximumPercent while stopping) 3 new start; when healthy the last old stops, then the 4th new.
#[test]
fn e_r6_min_25_max_100() {
    let mut sim = sim(&two_revisions(ROOMY, 4, "minimumHealthyPercent = 25, maximumPercent = 100", "", ""));
    assert_eq!(at(&mut sim, 600.0), (1, 0));
    assert_eq!(at(&mut sim, 602.0), (1, 3));
    assert_eq!(at(&mut sim, 657.0), (0, 3));
    assert_eq!(at(&mut sim, 659.0), (0, 4));
    sim.run_until(at_s(714.0)).unwrap();
    assert_eq!(rollout(&sim, 1), Completed);
}

/// E-D1 (Best Practices guide): D=6, min 100, max 200, room for exactly 8 tasks: three rounds of
/// start 2 / stop 2.
#[test]
fn e_d1_room_for_eight_takes_three_rounds() {
    let group = "name = \"one\"\ncpu = 2048\nmemory_mib = 16384\ncount = 1";
    let r = run(&two_revisions(group, 6, "minimumHealthyPercent = 100, maximumPercent = 200", "", ""));
    let after: Vec<&str> = r
        .log
        .iter()
        .filter(|(t, e)| t.0 >= 600_000 && (e.kind == "SERVICE_TASKS_STARTED" || e.kind == "SERVICE_TASKS_STOPPED"))
        .map(|(_, e)| &e.message[..e.message.find(':').unwrap()])
        .collect();
    assert_eq!(
        after,
        [
            "(service web) has started 2 tasks",
            "(service web) has stopped 2 running tasks",
            "(service web) has started 2 tasks",
            "(service web) has stopped 2 running tasks",
            "(service web) has started 2 tasks",
            "(service web) has stopped 2 running tasks",
        ]
    );
    assert_eq!(r.services[0].accum.min_healthy, Some(6));
    assert_eq!(r.services[0].deployments[1].rollout_state, "COMPLETED");
}

/// E-D2: D=6, min 50, max 200, room for 8: stop 3 old → start 5 new (8 in all) → stop the last 3
/// old → start the 6th new.
#[test]
fn e_d2_min_50_room_for_eight() {
    let group = "name = \"one\"\ncpu = 2048\nmemory_mib = 16384\ncount = 1";
    let mut sim = sim(&two_revisions(group, 6, "minimumHealthyPercent = 50, maximumPercent = 200", "", ""));
    assert_eq!(at(&mut sim, 600.0).0, 3);
    // 2 new fit beside the 6 old at once; the 3 freed slots are retried 30 s after the
    // placement failure (settings.placement_retry_interval).
    assert_eq!(at(&mut sim, 600.0), (3, 2));
    assert_eq!(at(&mut sim, 630.0), (3, 5), "8 tasks: 3 old + 5 new");
    let r = sim.run().unwrap();
    assert_eq!(r.services[0].deployments[1].rollout_state, "COMPLETED");
    assert_eq!(r.services[0].accum.min_healthy, Some(3));
}

/// E-D3: D=6, min 50, max 200, room to spare: stop 3 old → start 6 new → stop the other 3 old.
#[test]
fn e_d3_min_50_room_to_spare() {
    let mut sim = sim(&two_revisions(ROOMY, 6, "minimumHealthyPercent = 50, maximumPercent = 200", "", ""));
    assert_eq!(at(&mut sim, 600.0), (3, 6));
    assert_eq!(at(&mut sim, 655.0), (0, 6));
}

/// E-R7: without load balancer or health check a new task counts healthy 40 s after RUNNING, so
/// the old tasks of a min-100% deployment stop only then.
#[test]
fn e_r7_forty_second_rule() {
    let mut sim = sim(&two_revisions(ROOMY, 2, "minimumHealthyPercent = 100, maximumPercent = 200", "", ""));
    sim.run_until(at_s(615.0)).unwrap();
    assert_eq!(sim.counts("web").running, 4, "new tasks RUNNING at 615 s");
    assert_eq!(at(&mut sim, 654.999), (2, 2));
    assert_eq!(at(&mut sim, 655.0), (0, 2));
}

/// E-R8: a desiredCount change is not a deployment; a new task definition is.
#[test]
fn e_r8_desired_count_is_not_a_deployment() {
    let toml = two_revisions(ROOMY, 4, "minimumHealthyPercent = 100, maximumPercent = 200", "", "")
        .replace("taskDefinition = \"app:2\"", "desiredCount = 6");
    let mut sim = sim(&toml);
    assert_eq!(at(&mut sim, 600.0), (6, 0));
    assert_eq!(sim.service("web").unwrap().deployments.len(), 1);
    let mut sim = sim_with_deploy();
    sim.run_until(at_s(600.0)).unwrap();
    let deps: Vec<_> = sim.service("web").unwrap().deployments.iter().map(|d| d.status.as_str()).collect();
    assert_eq!(deps, ["ACTIVE", "PRIMARY"]);
}

fn sim_with_deploy() -> Simulation {
    sim(&two_revisions(ROOMY, 4, "minimumHealthyPercent = 100, maximumPercent = 200", "", ""))
}

/// E-C2: D=2, the new image cannot be pulled, circuit breaker with rollback: 3 failures fail the
/// deployment and the service rolls back to the last COMPLETED one.
#[test]
fn e_c2_image_pull_failure_rolls_back() {
    let cfg = "minimumHealthyPercent = 100, maximumPercent = 200, deploymentCircuitBreaker = { enable = true, rollback = true }";
    let mut sim = sim(&two_revisions(ROOMY, 2, cfg, ", fault = { kind = \"image_pull_failure\" }", ""));
    sim.run_until(at_s(619.0)).unwrap();
    assert_eq!(rollout(&sim, 1), InProgress, "2 failures at 610 s: below the threshold of 3");
    sim.run_until(at_s(620.0)).unwrap();
    assert_eq!(rollout(&sim, 1), Failed);
    assert_eq!(rollout(&sim, 0), Completed, "rolled back to deployment 1, which is healthy at once");
    let r = sim.run().unwrap();
    let failed = log_of(&r, "SERVICE_DEPLOYMENT_FAILED");
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].message.contains("ECS deployment circuit breaker: task failed to start"),
        "{}",
        failed[0].message
    );
    assert!(
        log_of(&r, "SERVICE_DEPLOYMENT_IN_PROGRESS").iter().any(|e| e.message.contains("rolling back to deploymentId"))
    );
    let d = &r.services[0].deployments;
    assert!(d[1].rolled_back && d[0].is_rollback);
    assert_eq!(r.services[0].accum.min_healthy, Some(2), "no capacity lost: min 100%");
    let stopped = r
        .log
        .iter()
        .filter(|(_, e)| e.kind == "TASK_STOPPED" && e.message.contains("CannotPullContainerError"))
        .count();
    assert_eq!(stopped, 4);
}

/// E-C4: D1 COMPLETED; D2 fails and rolls back to D1 (IN_PROGRESS again); D3 fails before D1
/// completes: no COMPLETED deployment, so D3 stalls and launches nothing.
#[test]
fn e_c4_no_completed_deployment_stalls() {
    let cfg = "minimumHealthyPercent = 0, maximumPercent = 100, deploymentCircuitBreaker = { enable = true, rollback = true }";
    let bad = ", fault = { kind = \"image_pull_failure\" }";
    let toml = two_revisions(ROOMY, 2, cfg, bad, "")
        + "\n[[events]]\nat = \"10m30s\"\naction = \"update_service\"\nservice = \"web\"\ntaskDefinition = \"app:2\"\nforceNewDeployment = true\n";
    let r = run(&toml);
    let d = &r.services[0].deployments;
    assert_eq!(d.len(), 3);
    assert_eq!((d[0].rollout_state, d[1].rollout_state, d[2].rollout_state), ("IN_PROGRESS", "FAILED", "FAILED"));
    assert!(d[1].rolled_back && !d[2].rolled_back);
    assert_eq!(log_of(&r, "SERVICE_DEPLOYMENT_STALLED").len(), 1);
    let last_failure = r.log.iter().rfind(|(_, e)| e.kind == "SERVICE_DEPLOYMENT_FAILED").unwrap().0;
    assert!(
        !r.log.iter().any(|(t, e)| *t > last_failure && e.kind == "SERVICE_TASKS_STARTED"),
        "a stalled deployment launches nothing"
    );
}

/// E-T1: every task fails to pull its image: launches go on with growing gaps capped at 27 min,
/// "unable to consistently start tasks" is reported, and a new task definition resets the pace.
#[test]
fn e_t1_throttle_backs_off_to_27_minutes() {
    let toml = two_revisions(ROOMY, 1, "minimumHealthyPercent = 0, maximumPercent = 100", "", "")
        .replace("duration = \"2h\"", "duration = \"6h\"")
        .replace(
            "image_pull = \"10s\", startup = \"5s\" }}\ncontainerDefinitions = [{ name = \"app\", image = \"app:1\"",
            "X",
        )
        .replace("at = \"10m\"", "at = \"5h\"");
    let toml = toml.replacen(
        "behavior = { image_pull = \"10s\", startup = \"5s\" }",
        "behavior = { image_pull = \"10s\", startup = \"5s\", fault = { kind = \"image_pull_failure\" } }",
        1,
    );
    let r = run(&toml);
    let launches: Vec<u64> =
        r.log.iter().filter(|(_, e)| e.kind == "SERVICE_TASKS_STARTED").map(|(t, _)| t.0 / 1000).collect();
    let before_fix: Vec<u64> = launches.iter().copied().filter(|&t| t < 18_000).collect();
    let gaps: Vec<u64> = before_fix.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps[..8], [10, 10, 70, 130, 250, 490, 970, 1630], "10 s pulls, then 1, 2, 4, 8, 16 min and the cap");
    assert!(gaps[8..].iter().all(|&g| g == 1630), "capped at 27 min (+ the 10 s pull): {gaps:?}");
    assert_eq!(log_of(&r, "SERVICE_TASK_START_IMPAIRED").len(), 1);
    assert!(launches.contains(&18_000), "the new task definition launches at once");
    assert_eq!(r.services[0].deployments[1].rollout_state, "COMPLETED");
}

/// E-T2: a container that exits right after RUNNING is replaced every time, with no throttle.
#[test]
fn e_t2_exit_after_running_is_not_throttled() {
    let toml = two_revisions(
        ROOMY,
        1,
        "minimumHealthyPercent = 0, maximumPercent = 200",
        ", fault = { kind = \"essential_exit\", after = \"1s\" }",
        "",
    );
    let r = run(&toml);
    assert!(log_of(&r, "SERVICE_TASK_START_IMPAIRED").is_empty());
    let launches: Vec<u64> =
        r.log.iter().filter(|(t, e)| t.0 >= 600_000 && e.kind == "SERVICE_TASKS_STARTED").map(|(t, _)| t.0).collect();
    let gaps: Vec<u64> = launches.windows(2).map(|w| w[1] - w[0]).collect();
    // maximumPercent 200 leaves room: the replacement starts at the stop decision, 15 s to
    // RUNNING + 1 s after it, every time.
    assert!(gaps.iter().all(|&g| g == 16_000), "{gaps:?}");
    assert_eq!(r.services[0].stats.tasks_failed_to_start, 0);
}

/// The seeds' story: a bad build with no circuit breaker costs redundancy, not uptime. The old
/// revision keeps ceil(4 x 50%) = 2 healthy tasks; the deployment never completes.
#[test]
fn bad_build_costs_redundancy_not_uptime() {
    let r = run(&two_revisions(
        ROOMY,
        4,
        "minimumHealthyPercent = 50, maximumPercent = 200",
        ", fault = { kind = \"image_pull_failure\" }",
        "",
    ));
    let s = &r.services[0];
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.accum.availability(), 1.0);
    assert_eq!(s.accum.min_healthy, Some(2));
    assert_eq!(s.deployments[1].rollout_state, "IN_PROGRESS");
    assert!(s.stats.tasks_failed_to_start > 10);
    let last = r.rows.last().unwrap();
    assert_eq!((last.values.healthy, last.values.desired), (2, 4));
}

/// E-L3 in a service: `app` waits for `migrate` (non-essential) to exit 0. Exit 0 after 20 s:
/// RUNNING 20 s later than without it. Exit 1: every task fails to start with the dependency
/// error, and the throttle engages.
#[test]
fn e_l3_migration_container_gates_the_start() {
    let td = |code: i32| {
        format!(
            "[[task_definitions]]\nfamily = \"app\"\ncpu = \"256\"\nmemory = \"512\"\n\
             behavior = {{ image_pull = \"10s\", startup = \"5s\", containers = {{ migrate = {{ run = \"20s\", exit_code = {code} }} }} }}\n\
             containerDefinitions = [{{ name = \"migrate\", image = \"app:1\", essential = false }}, \
             {{ name = \"app\", image = \"app:1\", essential = true, dependsOn = [{{ containerName = \"migrate\", condition = \"SUCCESS\" }}] }}]\n"
        )
    };
    let base = cluster("30m", &["us-east-1a"], ROOMY) + &service("web", 1, "");
    let mut s = sim(&(base.clone() + &td(0)));
    s.run_until(at_s(34.999)).unwrap();
    assert_eq!(s.counts("web").running, 0);
    s.run_until(at_s(35.0)).unwrap();
    assert_eq!(s.counts("web").running, 1, "pull 10 s + start 5 s + migrate 20 s");
    let r = run(&(base + &td(1)));
    let stops = log_of(&r, "TASK_STOPPED");
    assert!(stops[0].message.contains("TaskFailedToStart: DependencyError: container app: dependency migrate exited with code 1 (SUCCESS required)"), "{}", stops[0].message);
    assert_eq!(log_of(&r, "SERVICE_TASK_START_IMPAIRED").len(), 1);
    assert_eq!(r.services[0].stats.tasks_started, 0);
}

/// A start failure (exit before RUNNING) stops the task with TaskFailedToStart.
#[test]
fn start_failure_stops_before_running() {
    let r = run(&two_revisions(
        ROOMY,
        2,
        "minimumHealthyPercent = 100, maximumPercent = 200",
        ", fault = { kind = \"start_failure\" }",
        "",
    ));
    let s = &r.services[0];
    assert!(s.stats.tasks_failed_to_start > 0);
    let stop = r.log.iter().find(|(_, e)| e.message.contains("CannotStartContainerError")).unwrap();
    assert_eq!(stop.0, at_s(615.0), "10 s pull + 5 s start, then the container exits");
    assert_eq!(s.accum.min_healthy, Some(2), "min 100%: the old tasks keep serving");
}

/// A flaky build: a seeded fraction of tasks fail. Some fail, some do not, the same ones for
/// the same seed.
#[test]
fn flaky_build_fails_a_fraction_of_tasks() {
    let toml = two_revisions(
        ROOMY,
        20,
        "minimumHealthyPercent = 50, maximumPercent = 200",
        ", fault = { kind = \"image_pull_failure\", fraction = 0.3 }",
        "",
    );
    let a = run(&toml);
    let failed = a.services[0].stats.tasks_failed_to_start;
    let started = a.services[0].stats.tasks_started;
    assert!(failed > 0 && started > 20, "{failed} failed, {started} started");
    assert_eq!(a.services[0].deployments[1].rollout_state, "COMPLETED", "retries get the service there");
    assert_eq!(run(&toml), a);
}

/// E-L1: a scheduler stop signals the container; one that exits 10 s later is not killed; one
/// that ignores the signal is killed at stopTimeout (30 s).
#[test]
fn e_l1_stop_timeout() {
    for (stop, gone_after) in [("10s", 10.0), ("5m", 30.0)] {
        let toml = two_revisions(ROOMY, 1, "minimumHealthyPercent = 0, maximumPercent = 100", "", "").replacen(
            "startup = \"5s\" }",
            &format!("startup = \"5s\", stop = \"{stop}\" }}"),
            1,
        );
        let mut s = sim(&toml);
        s.run_until(at_s(600.0 + gone_after - 0.001)).unwrap();
        let old = |s: &Simulation| s.state().tasks().iter().find(|t| t.name == "web-1").unwrap().last_status;
        assert_eq!(old(&s), ecsim::ecs::task::LastStatus::Stopping);
        s.run_until(at_s(600.0 + gone_after)).unwrap();
        assert_eq!(old(&s), ecsim::ecs::task::LastStatus::Stopped, "stop {stop}");
    }
}

/// A scale-out during a deployment goes to the new revision; the rollout still completes with the
/// new desired count.
#[test]
fn scale_out_during_a_deployment() {
    let toml = two_revisions(ROOMY, 4, "minimumHealthyPercent = 100, maximumPercent = 200", "", "")
        + "\n[[events]]\nat = \"10m20s\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 6\n";
    let mut s = sim(&toml);
    assert_eq!(at(&mut s, 620.0), (4, 6));
    let r = s.run().unwrap();
    assert_eq!(r.services[0].deployments[1].rollout_state, "COMPLETED");
    assert_eq!(r.rows.last().unwrap().values.healthy, 6);
    assert_eq!(r.services[0].accum.min_healthy, Some(4));
}
