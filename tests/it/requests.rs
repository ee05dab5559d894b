//! Requests (DESIGN.md §6.1): a target group's traffic routed by its load balancer, counted in
//! requests: served, or failed for want of a target, on a target that cannot answer, or as
//! overload; offered is always served plus failed.

use crate::common::*;

/// `web` of 3 tasks (one per zone, 1 vCPU, serving `capacity` requests/s each at 100 % CPU)
/// behind an ALB target group checking every 10 s (timeout 5, unhealthy threshold 2) from the
/// moment of registration, with `traffic` on it and `extra` appended. Tasks run 15 s after
/// placement at t=0 and their targets are healthy at the first check.
fn served(capacity: &str, traffic: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
duration = "30m"

[settings]
target_check_phase = "zero"
instance_loss_detection = "2m"

[cluster]
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]

[[instance_groups]]
name = "fleet"
instance_type = "m5.xlarge"
count = 3

[[target_groups]]
TargetGroupName = "web-tg"
Protocol = "HTTP"
Port = 80
HealthCheckIntervalSeconds = 10
HealthCheckTimeoutSeconds = 5
HealthyThresholdCount = 3
UnhealthyThresholdCount = 2
registration_delay = "0s"

[[task_definitions]]
family = "web"
cpu = "1024"
memory = "1024"
behavior = {{ image_pull = "10s", startup = "5s"{capacity} }}
containerDefinitions = [{{ name = "web", image = "web:1", essential = true, portMappings = [{{ containerPort = 80 }}] }}]

[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 3
placementStrategy = [{{ type = "spread", field = "attribute:ecs.availability-zone" }}]
loadBalancers = [{{ targetGroupArn = "web-tg", containerName = "web", containerPort = 80 }}]

[[traffic]]
target_group = "web-tg"
{traffic}
{extra}"#
    )
}

/// The measured time (the whole run when the services never all reached steady state).
fn measured_s(r: &ecsim::observer::RunResult) -> f64 {
    (r.simulated.0 - r.measure_start.map_or(0, |t| t.0)) as f64 / 1000.0
}

/// Three healthy targets and 300 requests/s: every request of the measured time is served,
/// and offered is exactly the rate times the time.
#[test]
fn healthy_targets_serve_every_request() {
    let r = run(&served("", "rps = 300", ""));
    let o = r.requests[0].unwrap();
    let t = measured_s(&r);
    assert!((o.offered() - 300.0 * t).abs() < 1e-6 * o.offered(), "{o:?} over {t} s");
    assert_eq!((o.no_target, o.dead_target, o.overload), (0.0, 0.0, 0.0));
    assert_eq!(r.service_requests[0].unwrap(), o, "the target group is the service's");
}

/// Capacity 80 requests/s a task and 300 requests/s on 3 tasks: each gets 100 and fails 20 as
/// overload, so a fifth of the requests fail.
#[test]
fn a_share_beyond_capacity_fails_as_overload() {
    let r = run(&served(", capacity_rps = 80", "rps = 300", ""));
    let o = r.requests[0].unwrap();
    assert!((o.overload / o.offered() - 0.2).abs() < 1e-9, "{o:?}");
    assert!((o.served / o.offered() - 0.8).abs() < 1e-9);
    // At 90 % of CPU the share past 72 requests/s fails.
    let r = run(&served(", capacity_rps = 80, max_utilization = 90", "rps = 300", ""));
    let o = r.requests[0].unwrap();
    assert!((o.served / o.offered() - 3.0 * 72.0 / 300.0).abs() < 1e-9, "{o:?}");
}

/// Example 3 in requests: fleet-1 is lost at 10 min. Its task's target is checked every 10 s
/// from 15 s (registered when the task ran), so at 605 s and 615 s: both fail, judged 5 s later,
/// and it is unhealthy at 620 s. For those 20 s it still gets its third of 300 requests/s, and
/// they fail (2,000). Then the other two take everything; ECS notices the loss at 12 min
/// (instance_loss_detection) and replaces the task.
#[test]
fn requests_fail_on_a_lost_target_until_its_health_checks_fail() {
    let events = "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-1\"]\n";
    let r = run(&served("", "rps = 300", events));
    assert!(r.request_conservation_error < 1e-6);
    let o = r.requests[0].unwrap();
    assert!((o.dead_target - 2000.0).abs() < 1e-6, "{o:?}");
    assert_eq!((o.no_target, o.overload), (0.0, 0.0));
    let availability = o.served / o.offered();
    assert!((availability - (1.0 - 2000.0 / (300.0 * measured_s(&r)))).abs() < 1e-12);
}

/// A target group with traffic and no registered target fails every request (503): here the
/// service runs no task at all (and so never reaches steady state: the whole run counts).
#[test]
fn no_registered_target_fails_everything() {
    let r = run(&served("", "rps = 50", "").replace("desiredCount = 3", "desiredCount = 0"));
    let o = r.requests[0].unwrap();
    assert!((o.no_target - 50.0 * measured_s(&r)).abs() < 1e-6, "{o:?}");
    assert_eq!(o.served, 0.0);
}

/// A spike tripling the rate for 5 minutes on tasks that serve 150 requests/s each: 300 rps is
/// served, the spike's 900 overloads them by 450 for 300 s.
#[test]
fn a_spike_beyond_capacity_overloads_for_its_length() {
    let traffic = "rps = 300\nspikes = [{ at = \"10m\", length = \"5m\", factor = 3 }]";
    let r = run(&served(", capacity_rps = 150", traffic, ""));
    let o = r.requests[0].unwrap();
    assert!((o.overload - 450.0 * 300.0).abs() < 1e-6, "{o:?}");
    assert!((o.offered() - (300.0 * measured_s(&r) + 600.0 * 300.0)).abs() < 1e-6);
}

/// Example 8 in a run: a build whose app stops answering 5 minutes after it starts (every task).
/// Both targets fail from 315 s (RUNNING at 15 s), are marked unhealthy together at 330 s
/// (checks at 315 and 325, judged 5 s later), and then the load balancer fails open: it routes
/// to both though both are unhealthy, so requests still fail as dead targets, not for want of a
/// target, until ECS's replacements are healthy.
#[test]
fn fail_open_routes_to_the_broken_targets_until_replacements_are_healthy() {
    let toml = served(", fault = { kind = \"target_health_failure\", after = \"5m\" }", "rps = 100", "")
        .replace("desiredCount = 3", "desiredCount = 2")
        .replace("duration = \"30m\"", "duration = \"8m\"");
    let r = run(&toml);
    let o = r.requests[0].unwrap();
    assert_eq!(o.no_target, 0.0, "fail-open: never nothing to route to");
    let healthy_again = r
        .log
        .iter()
        .filter(|(t, e)| t.0 > 330_000 && e.kind == "TARGETS_REGISTERED")
        .map(|(t, _)| t.as_secs_f64())
        .next()
        .expect("replacements registered");
    // Dead from the break until the first replacement is healthy (at its first check, at
    // registration): the whole rate.
    assert!((o.dead_target - 100.0 * (healthy_again - 315.0)).abs() < 1e-6, "{o:?}, replacement at {healthy_again}");
}

/// A rate from a CSV of (time, rate) rows, linear between them: offered is the trapezoids'
/// area exactly.
#[test]
fn a_csv_rate_is_linear_between_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rates.csv"), "time_s,rps\n0,100\n600,300\n20m,300\n").unwrap();
    // Measured from the start: the whole run's requests.
    let toml = served("", "csv = \"rates.csv\"", "").replace("[scenario]\n", "[scenario]\nmeasure_from = \"0s\"\n");
    std::fs::write(dir.path().join("s.toml"), toml).unwrap();
    let s = ecsim::scenario::load_file(&dir.path().join("s.toml")).unwrap_or_else(|d| panic!("{d}"));
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let o = r.requests[0].unwrap();
    // 0-600 s: 100 -> 300 (120,000); 600-1800 s at 300 (360,000).
    assert!((o.offered() - 480_000.0).abs() < 1e-6, "{o:?}");
}

mod properties {
    use proptest::prelude::*;

    use crate::common::*;

    proptest! {
        // Seeded like the other property tests (printed, replayed with ECSIM_PROPTEST_SEED).
        #![proptest_config(crate::properties::config(48))]

        /// Whatever the rate, its shape and the scaling and deployments of a service that never
        /// loses a task, while every task can serve the whole rate: every request offered over
        /// the measured time is served, and offered is the rate's integral.
        #[test]
        fn healthy_targets_under_capacity_serve_everything(
            rps in 1.0f64..5000.0,
            zones in 1usize..=3,
            desired in prop::collection::vec(1u32..=4, 1..=4),
            deploy_at in prop::collection::vec(1u64..25, 0..=2),
            diurnal in any::<bool>(),
            nlb in any::<bool>(),
        ) {
            let zone_names: Vec<String> = (0..zones).map(|z| format!("\"z{z}\"")).collect();
            let shape = if diurnal {
                format!("diurnal = {{ min_rps = {}, max_rps = {rps}, peak = \"00:10\" }}", rps / 3.0)
            } else {
                format!("rps = {rps}\nnoise = 0.2")
            };
            let mut t = format!(
                "[scenario]\nduration = \"30m\"\n[cluster]\nzones = [{}]\n[[instance_groups]]\nname = \"g\"\ninstance_type = \"m5.4xlarge\"\ncount = {}\n\
                 [[target_groups]]\nTargetGroupName = \"tg\"\nProtocol = \"{}\"\nPort = 80\n\
                 [[task_definitions]]\nfamily = \"web\"\ncpu = \"256\"\nmemory = \"512\"\nbehavior = {{ image_pull = \"10s\", startup = \"5s\", capacity_rps = {} }}\n\
                 containerDefinitions = [{{ name = \"web\", image = \"web:1\", essential = true, portMappings = [{{ containerPort = 80 }}] }}]\n\
                 [[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = {}\n\
                 deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 }}\n\
                 loadBalancers = [{{ targetGroupArn = \"tg\", containerName = \"web\", containerPort = 80 }}]\n\
                 [[traffic]]\ntarget_group = \"tg\"\n{shape}\n",
                zone_names.join(", "),
                zones * 3,
                if nlb { "TCP\"\nHealthCheckProtocol = \"TCP" } else { "HTTP" },
                // A task serves the whole peak (noise included, with room).
                rps * 10.0,
                desired[0],
            );
            for (i, d) in desired.iter().enumerate().skip(1) {
                t += &format!("[[events]]\nat = \"{}m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = {d}\n", 5 * i);
            }
            for m in &deploy_at {
                t += &format!("[[events]]\nat = \"{m}m\"\naction = \"update_service\"\nservice = \"web\"\nforceNewDeployment = true\n");
            }
            let r = run(&t);
            let o = r.requests[0].unwrap();
            prop_assert!(o.offered() > 0.0);
            prop_assert!(r.request_conservation_error < 1e-6, "offered = served + failed: {}", r.request_conservation_error);
            prop_assert_eq!((o.no_target, o.dead_target, o.overload), (0.0, 0.0, 0.0), "{:?}\n{}", o, t);
        }
    }
}

/// Cross-zone load balancing (example 10 in a run): 3 tasks over two zones, 2 and 1, each
/// serving 100 requests/s, 300 arriving. An NLB (cross-zone off by default) gives each zone 150:
/// the lone task in the second zone fails 50 a second as overload. With the target group's
/// `load_balancing.cross_zone.enabled` attribute every task gets 100: nothing fails.
#[test]
fn cross_zone_off_overloads_the_thinner_zone() {
    let nlb = |attributes: &str| {
        served(", capacity_rps = 100", "rps = 300", "")
            .replace(
                "zones = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]",
                "zones = [\"us-east-1a\", \"us-east-1b\"]",
            )
            .replace(
                "Protocol = \"HTTP\"",
                &format!("Protocol = \"TCP\"\nHealthCheckProtocol = \"HTTP\"\n{attributes}"),
            )
            .replace("HealthCheckTimeoutSeconds = 5", "HealthCheckTimeoutSeconds = 6")
    };
    let r = run(&nlb(""));
    let o = r.requests[0].unwrap();
    assert!((o.overload / o.offered() - 50.0 / 300.0).abs() < 1e-9, "{o:?}");
    let on = "Attributes = [{ Key = \"load_balancing.cross_zone.enabled\", Value = \"true\" }]";
    let r = run(&nlb(on));
    let o = r.requests[0].unwrap();
    assert_eq!(o.overload, 0.0, "{o:?}");
}

/// The target group's health thresholds come from its attributes in AWS's spelling ("off" or a
/// number, as strings): here routing failover below 50 % and DNS failover off.
#[test]
fn target_group_health_thresholds_are_read_from_attributes() {
    let attributes = "Attributes = [\
        { Key = \"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage\", Value = \"50\" },\
        { Key = \"target_group_health.dns_failover.minimum_healthy_targets.count\", Value = \"off\" }]";
    let s = scenario(
        &served("", "rps = 1", "")
            .replace("registration_delay = \"0s\"", &format!("registration_delay = \"0s\"\n{attributes}")),
    );
    let routing = s.target_groups[0].routing;
    assert_eq!(routing.routing_failover, ecsim::elb::routing::Threshold { count: 1, percentage: Some(50) });
    assert_eq!(routing.dns_failover, ecsim::elb::routing::Threshold { count: 0, percentage: None });
    assert!(routing.cross_zone, "an ALB's default");
}

/// CloudWatch's service averages minute by minute: 300 requests/s on 3 tasks that serve 200 at
/// 100 % CPU run at 50 %; memory is a 256 MiB base plus 1 MiB per request/s (100 each) of a
/// 1,024 MiB reservation: 34.765625 %.
#[test]
fn service_utilization_follows_the_load() {
    let r = run(&served(", capacity_rps = 200, memory_base_mib = 256, memory_mib_per_rps = 1", "rps = 300", ""));
    let minutes = r.utilization[0].as_ref().unwrap();
    let u = minutes[10];
    assert!((u.task_seconds - 180.0).abs() < 1e-9, "3 tasks for the minute: {u:?}");
    assert!((u.cpu_percent_seconds / u.task_seconds - 50.0).abs() < 1e-9);
    assert!((u.memory_percent_seconds / u.task_seconds - 34.765625).abs() < 1e-9);
}

/// Slow start (example 11 in a run): `old` has served alone for 10 minutes when `new`'s task
/// turns healthy at 615 s behind the same target group, with slow start 120 s. Its weight ramps
/// up in ten 12-second steps, each the linear ramp's mean over it (0.05, 0.15, ... 0.95), so it
/// gets w / (1 + w) of the 100 requests/s in each, then half.
#[test]
fn slow_start_ramps_a_new_target_up() {
    let toml = served("", "rps = 100", "")
        .replace("duration = \"30m\"", "duration = \"20m\"")
        .replace("desiredCount = 3", "desiredCount = 1")
        .replace(
            "registration_delay = \"0s\"",
            "registration_delay = \"0s\"\nAttributes = [{ Key = \"slow_start.duration_seconds\", Value = \"120\" }]",
        )
        + "\n[[services]]\nserviceName = \"new\"\ntaskDefinition = \"web\"\ndesiredCount = 0\n\
           loadBalancers = [{ targetGroupArn = \"web-tg\", containerName = \"web\", containerPort = 80 }]\n\
           [[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"new\"\ndesiredCount = 1\n";
    let r = run(&toml);
    let new = r.service_requests[1].unwrap();
    let ramp: f64 = (0..10).map(|k| (k as f64 + 0.5) / 10.0).map(|w| 12.0 * 100.0 * w / (1.0 + w)).sum();
    let expected = ramp + 50.0 * (1200.0 - 615.0 - 120.0);
    assert!((new.served - expected).abs() < 1e-6, "{new:?}, expected {expected}");
    let old = r.service_requests[0].unwrap();
    assert!((old.served + new.served - old.offered() - new.offered()).abs() < 1e-6, "nothing fails");
}
