//! Load balancers and health checks: target registration and health, deregistration delay,
//! the grace period, replacing unhealthy tasks, fail-open (LOAD-BALANCING-AND-CAPACITY.md §1, §7;
//! SCHEDULING.md §1.7, §3.3).

use crate::common::*;
use ecsim::ecs::task::LastStatus;
use ecsim::sim::Simulation;

/// A service of `desired` tasks behind an ALB target group checking every 10 s (timeout 5,
/// healthy threshold 3, unhealthy 2), with no registration delay and the first check right at
/// registration, so times are exact.
fn lb_service(desired: u32, service_extra: &str, behavior_extra: &str, tg_extra: &str) -> String {
    format!(
        r#"[scenario]
duration = "1h"

[settings]
target_check_phase = "zero"

[cluster]
zones = ["us-east-1a", "us-east-1b"]

[[instance_groups]]
name = "fleet"
instance_type = "m5.xlarge"
count = 4

[[target_groups]]
TargetGroupName = "web-tg"
Protocol = "HTTP"
Port = 80
HealthCheckIntervalSeconds = 10
HealthCheckTimeoutSeconds = 5
HealthyThresholdCount = 3
UnhealthyThresholdCount = 2
registration_delay = "0s"
{tg_extra}

[[task_definitions]]
family = "web"
cpu = "256"
memory = "512"
behavior = {{ image_pull = "10s", startup = "5s"{behavior_extra} }}
containerDefinitions = [{{ name = "web", image = "nginx", essential = true, portMappings = [{{ containerPort = 80 }}] }}]

[[services]]
serviceName = "web"
taskDefinition = "web:1"
desiredCount = {desired}
loadBalancers = [{{ targetGroupArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef", containerName = "web", containerPort = 80 }}]
{service_extra}
"#
    )
}

/// A target is registered when its task is RUNNING and healthy after one passing check, not
/// after the healthy threshold (LB §7 example 1); the task counts healthy from then on.
#[test]
fn targets_register_at_running_and_need_one_pass() {
    let mut sim = sim(&lb_service(2, "", "", ""));
    assert_eq!(healthy_at(&mut sim, "web", 14.999), 0);
    assert_eq!(healthy_at(&mut sim, "web", 15.0), 2, "first check at registration passes");
    let r = sim.run().unwrap();
    assert_eq!(log_of(&r, "TARGETS_REGISTERED").len(), 2);
    assert_eq!(
        log_of(&r, "TARGETS_REGISTERED")[0].message,
        "(service web) registered 1 targets in (target-group web-tg): fleet-1:49153"
    );
    let last = r.target_group_rows.last().unwrap();
    assert_eq!((last.time, last.counts.healthy, last.counts.initial), (at_s(3600.0), 2, 0), "closing row");
    assert_eq!(r.target_groups[0].min_healthy_targets, Some(2));
}

/// LB §7 example 6: a scheduler stop first deregisters (DEACTIVATING, target draining), waits
/// the deregistration delay, then sends SIGTERM; an app that ignores it is killed at stopTimeout.
#[test]
fn lb_example_6_deregistration_delay_then_sigterm_then_sigkill() {
    let toml = lb_service(2, "", ", stop = \"5m\"", "deregistration_delay = \"300s\"")
        + "\n[[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 1\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    let stopping = |sim: &Simulation| sim.state().tasks().iter().find(|t| t.stop_code.is_some()).unwrap().clone();
    assert_eq!(stopping(&sim).last_status, LastStatus::Deactivating);
    assert_eq!(stopping(&sim).targets[0].1, ecsim::elb::target_group::TargetState::Draining);
    sim.run_until(at_s(899.999)).unwrap();
    assert_eq!(stopping(&sim).last_status, LastStatus::Deactivating);
    sim.run_until(at_s(900.0)).unwrap();
    assert_eq!(stopping(&sim).last_status, LastStatus::Stopping, "SIGTERM after the 300 s delay");
    sim.run_until(at_s(929.999)).unwrap();
    assert_eq!(stopping(&sim).last_status, LastStatus::Stopping);
    sim.run_until(at_s(930.0)).unwrap();
    assert_eq!(stopping(&sim).last_status, LastStatus::Stopped, "SIGKILL at stopTimeout (30 s)");
}

/// A user's StopTask deregisters and signals at once ([INFER]).
#[test]
fn user_stop_task_does_not_wait_for_draining() {
    let toml = lb_service(2, "", "", "deregistration_delay = \"300s\"")
        + "\n[[events]]\nat = \"10m\"\naction = \"stop_task\"\nservice = \"web\"\ntask = \"web-1\"\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(602.0)).unwrap();
    let t = sim.state().tasks().iter().find(|t| t.name == "web-1").unwrap();
    assert_eq!(t.last_status, LastStatus::Stopped);
}

/// LB §7 example 12: a task failing its ELB checks (max 200%) gets its replacement first; it is
/// stopped once the replacement is healthy. With max 100% it is stopped first.
#[test]
fn lb_example_12_unhealthy_task_replaced_start_first() {
    // RUNNING and ready at 15 s; checks every 10 s from 15 s pass until 75 s (60 s later); the
    // checks at 75 and 85 s fail, the second judged at 90 s: unhealthy at 90 s.
    let flaky = ", fault = { kind = \"target_health_failure\", after = \"60s\" }";
    let mut sim = sim(&lb_service(
        1,
        "deploymentConfiguration = { minimumHealthyPercent = 100, maximumPercent = 200 }",
        flaky,
        "",
    ));
    sim.run_until(at_s(89.999)).unwrap();
    assert_eq!(sim.counts("web").live, 1);
    sim.run_until(at_s(90.0)).unwrap();
    assert_eq!(sim.counts("web").live, 2, "the replacement starts first");
    assert_eq!(sim.counts("web").healthy, 0);
    sim.run_until(at_s(105.0)).unwrap();
    let first = sim.state().tasks().iter().find(|t| t.name == "web-1").unwrap();
    assert_eq!(first.stop_code, Some(ecsim::ecs::task::StopCode::ServiceSchedulerInitiated));
    assert_eq!(first.stopped_reason, "Task failed ELB health checks in (target-group web-tg)");
    assert_eq!(sim.counts("web").healthy, 1);

    let mut sim = sim_max_100(flaky);
    sim.run_until(at_s(90.0)).unwrap();
    let first = sim.state().tasks().iter().find(|t| t.name == "web-1").unwrap();
    assert!(first.stop_code.is_some(), "max 100%: the unhealthy task stops first");
    assert_eq!(sim.counts("web").live, 0);
}

fn sim_max_100(behavior: &str) -> Simulation {
    sim(&lb_service(1, "deploymentConfiguration = { minimumHealthyPercent = 0, maximumPercent = 100 }", behavior, ""))
}

/// LB §7 example 2: an app needing 50 s with interval 30 goes unhealthy before it is ready;
/// without a grace period it is replaced at once; a grace period longer than its time to healthy
/// saves it.
#[test]
fn lb_example_2_grace_period() {
    let slow = ", ready_after = \"50s\"";
    let tg = "HealthCheckIntervalSeconds = 30\nHealthyThresholdCount = 5";
    let base = |grace: u32| {
        lb_service(1, &format!("healthCheckGracePeriodSeconds = {grace}"), slow, "").replace(
            "HealthCheckIntervalSeconds = 10\nHealthCheckTimeoutSeconds = 5\nHealthyThresholdCount = 3",
            &format!("{tg}\nHealthCheckTimeoutSeconds = 5"),
        )
    };
    let r = run(&base(0));
    assert!(!log_of(&r, "SERVICE_TASK_UNHEALTHY").is_empty(), "unhealthy at RUNNING + 35 s, replaced");
    let first = r.log.iter().find(|(_, e)| e.kind == "SERVICE_TASK_UNHEALTHY").unwrap();
    assert_eq!(first.0, at_s(15.0 + 35.0));
    let r = run(&base(120));
    let first = r.log.iter().find(|(_, e)| e.kind == "SERVICE_TASK_UNHEALTHY").unwrap();
    assert_eq!(first.0, at_s(15.0 + 120.0), "ignored during the grace period, replaced when it ends");
    let r = run(&base(200));
    assert!(log_of(&r, "SERVICE_TASK_UNHEALTHY").is_empty(), "healthy at RUNNING + 180 s, inside the grace");
    assert_eq!(r.services[0].stats.tasks_started, 1);
}

/// Every target unhealthy: the load balancer fails open, and the report says so.
#[test]
fn fail_open_is_recorded() {
    let toml = lb_service(2, "", ", fault = { kind = \"target_health_failure\", after = \"5m\" }", "");
    let r = run(&toml);
    assert!(!log_of(&r, "TARGET_GROUP_FAIL_OPEN").is_empty());
    assert!(r.target_groups[0].fail_open_ms > 0);
}

/// A container health check (E-L5 timing) on a service: a container that never passes is
/// UNHEALTHY at RUNNING + 90 s and replaced; the task never counts healthy.
#[test]
fn e_l5_failing_container_health_check_replaces_the_task() {
    let toml = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 2")
        + "[[task_definitions]]\nfamily = \"app\"\ncpu = \"256\"\nmemory = \"256\"\n"
        + "behavior = { image_pull = \"10s\", startup = \"5s\", fault = { kind = \"container_health_failure\" } }\n"
        + "containerDefinitions = [{ name = \"app\", image = \"app\", essential = true, healthCheck = { command = [\"CMD-SHELL\", \"curl -f localhost\"], interval = 30, retries = 3 } }]\n"
        + &service("web", 1, "");
    let r = run(&toml);
    let unhealthy = r.log.iter().find(|(_, e)| e.kind == "SERVICE_TASK_UNHEALTHY").unwrap();
    assert_eq!(unhealthy.0, at_s(15.0 + 90.0));
    assert_eq!(unhealthy.1.message, "(service web) (task web-1) failed container health checks.");
    assert_eq!(r.services[0].accum.min_healthy, Some(0));
    // Replaced, not throttled: it had reached RUNNING.
    let stopped = log_of(&r, "TASK_STOPPED");
    assert!(
        stopped[0].message.contains("ServiceSchedulerInitiated: Task failed container health checks"),
        "{}",
        stopped[0].message
    );
    assert!(r.services[0].stats.tasks_started > 1);
    assert_eq!(r.services[0].stats.tasks_failed_to_start, 0);
}

/// E-R7 with a container health check: a new task counts healthy at its first passing check
/// (RUNNING + 30 s), not after 40 s.
#[test]
fn e_r7_health_check_counts_at_first_pass() {
    let toml = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 2")
        + "[[task_definitions]]\nfamily = \"app\"\ncpu = \"256\"\nmemory = \"256\"\nbehavior = { image_pull = \"10s\", startup = \"5s\" }\n"
        + "containerDefinitions = [{ name = \"app\", image = \"app\", essential = true, healthCheck = { command = [\"CMD\", \"true\"] } }]\n"
        + &service("web", 2, "");
    let mut s = sim(&toml);
    assert_eq!(healthy_at(&mut s, "web", 44.999), 0);
    assert_eq!(healthy_at(&mut s, "web", 45.0), 2);
}

/// The seeds' story with a load balancer: a build that fails its ELB health checks, no circuit
/// breaker, min 50%: the old revision keeps serving, redundancy drops to the minimum, no outage.
#[test]
fn bad_build_failing_elb_checks_costs_redundancy_not_uptime() {
    let toml = lb_service(4, "deploymentConfiguration = { minimumHealthyPercent = 50, maximumPercent = 200 }", "", "")
        + "\n[[task_definitions]]\nfamily = \"web\"\ncpu = \"256\"\nmemory = \"512\"\n"
        + "behavior = { image_pull = \"10s\", startup = \"5s\", fault = { kind = \"target_health_failure\" } }\n"
        + "containerDefinitions = [{ name = \"web\", image = \"nginx:bad\", essential = true, portMappings = [{ containerPort = 80 }] }]\n"
        + "\n[[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"web\"\ntaskDefinition = \"web:2\"\n";
    let r = run(&toml);
    let s = &r.services[0];
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.accum.min_healthy, Some(2));
    assert_eq!(s.deployments[1].rollout_state, "IN_PROGRESS");
    assert!(s.deployments[1].failed_tasks > 3);
}

/// SCHEDULING.md §3.3 with a slow, variable start (ready 0-80 s after RUNNING, grace 40 s): a
/// task marked unhealthy can pass its checks again before its replacement is healthy. It is no
/// replacement for itself: it keeps serving until the replacement is healthy, the service keeps
/// its one healthy task (minimumHealthyPercent 100), and its stopped reason names the check that
/// condemned it, not its state when stopped.
#[test]
fn a_marked_task_that_recovers_waits_for_a_healthy_replacement() {
    let toml = lb_service(
        1,
        "healthCheckGracePeriodSeconds = 40\ndeploymentConfiguration = { minimumHealthyPercent = 100, maximumPercent = 200 }",
        ", ready_after = { distribution = \"uniform\", min = \"0s\", max = \"80s\" }",
        "",
    )
    .replace("duration = \"1h\"", "duration = \"30m\"");
    let mut cases = 0;
    for seed in 1..=100 {
        let toml = toml.replace("[settings]", &format!("[settings]\n# seed {seed}"));
        let mut s = scenario(&toml);
        s.seed = seed;
        let mut sim = Simulation::new(&s, seed);
        let mut serving = false;
        let mut recovered_marked: Option<String> = None;
        for second in 1..=1800 {
            sim.run_until(at_s(f64::from(second))).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let counts = sim.counts("web");
            serving |= counts.healthy > 0;
            assert!(!serving || counts.healthy >= 1, "seed {seed}: no healthy task at {second} s");
            let tasks = &sim.state().tasks();
            if let Some(t) = tasks.iter().find(|t| t.doomed.is_some() && t.counts().healthy && t.counts().live) {
                let others_sound =
                    tasks.iter().any(|o| o.id != t.id && o.doomed.is_none() && o.counts().live && o.counts().healthy);
                if !others_sound {
                    recovered_marked = Some(t.name.to_string());
                }
            }
        }
        let Some(name) = recovered_marked else { continue };
        cases += 1;
        let r = sim.run().unwrap();
        let marked = r.log.iter().find(|(_, e)| e.kind == "TASK_STOPPED" && e.task == name.as_str());
        if let Some((_, e)) = marked {
            assert!(
                e.message.contains("Task failed ELB health checks in (target-group web-tg)"),
                "seed {seed}: {}",
                e.message
            );
        }
    }
    assert!(cases >= 3, "only {cases} of 100 seeds had a marked task recover before its replacement");
}

/// LB §1.6: a target that merely registers (state initial) gets no traffic, so it does not end
/// fail-open; the first healthy target does.
#[test]
fn fail_open_ends_at_a_healthy_target_not_at_a_registration() {
    // Checks start 20 s after registration. Every web:1 target fails from 60 s past readiness:
    // RUNNING and registered at 15 s, checks from 35 s pass until 75 s; the checks at 75 and
    // 85 s fail (the second judged at 90 s): both unhealthy at 90 s, fail-open. Each is replaced
    // start-first: the replacements register at 105 s and pass their first check at 125 s.
    let flaky = ", fault = { kind = \"target_health_failure\", after = \"60s\" }";
    let toml = lb_service(2, "", flaky, "").replace("registration_delay = \"0s\"", "registration_delay = \"20s\"");
    let r = run(&toml);
    let fail_open = r.log.iter().find(|(_, e)| e.kind == "TARGET_GROUP_FAIL_OPEN").map(|(t, _)| *t);
    assert_eq!(fail_open, Some(at_s(90.0)));
    let registered_after: Vec<_> =
        r.log.iter().filter(|(t, e)| e.kind == "TARGETS_REGISTERED" && *t > at_s(90.0)).map(|(t, _)| *t).collect();
    assert_eq!(registered_after.first().copied(), Some(at_s(105.0)));
    let ended = r.log.iter().find(|(_, e)| e.kind == "TARGET_GROUP_FAIL_OPEN_ENDED").unwrap();
    assert_eq!(ended.0, at_s(125.0), "fail-open lasts until a replacement passes its first check");
    assert_eq!(ended.1.message, "(target-group web-tg) has a healthy target again: fail-open ended.");
}
