//! Property tests: random clusters, services and timelines run with every invariant checked
//! after every event (no instance over-committed on CPU, memory, ports or ENIs; no placement on a
//! DRAINING or disconnected instance; counters agree with tasks; the scheduler's own launches and
//! stops keep maximumPercent and minimumHealthyPercent), and spread's balance. Each test run
//! draws a fresh seed, printed with any failure and replayed with `ECSIM_PROPTEST_SEED`.

use proptest::prelude::*;

use crate::common::*;

const TYPES: [&str; 4] = ["t3.small", "m5.large", "c5.large", "m5.xlarge"];
const STRATEGIES: [&str; 6] = [
    "",
    "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]",
    "placementStrategy = [{ type = \"binpack\", field = \"cpu\" }]",
    "placementStrategy = [{ type = \"random\" }]",
    "placementStrategy = [{ type = \"spread\", field = \"instanceId\" }]",
    "placementConstraints = [{ type = \"distinctInstance\" }]",
];
const ACTIONS: [&str; 13] = [
    "action = \"terminate_instances\"\ngroup = \"g0\"",
    "action = \"drain_instances\"\ngroup = \"g0\"\ncount = 2",
    "action = \"spot_interruption\"\ngroup = \"g1\"",
    "action = \"az_outage\"\nzone = \"z0\"\nduration = \"10m\"",
    "action = \"disconnect_agent\"\ngroup = \"g1\"",
    "action = \"add_instances\"\ngroup = \"g1\"\ncount = 2",
    "action = \"stop_instances\"\ngroup = \"g0\"",
    "action = \"impair_instances\"\ngroup = \"g1\"",
    "action = \"fargate_spot_interruption\"\nservice = \"s0\"\ncount = 2",
    "action = \"fargate_capacity_unavailable\"\nduration = \"10m\"",
    "action = \"fargate_task_retirement\"",
    // g0 always launches m5.xlarge (first or as its fallback).
    "action = \"insufficient_capacity\"\ninstance_type = \"m5.xlarge\"\nzone = \"z0\"\nduration = \"20m\"",
    // RunTask of the first service's task definition, on the scaling provider when there is one
    // (its tasks may wait in PROVISIONING).
    "run_task",
];

/// How the second revision of a service's task definition behaves when deployed.
const BUILDS: [&str; 5] = [
    "",
    ", fault = { kind = \"image_pull_failure\" }",
    ", fault = { kind = \"essential_exit\", after = \"2m\" }",
    ", fault = { kind = \"target_health_failure\", after = \"30s\", fraction = 0.5 }",
    ", ready_after = \"90s\"",
];

#[derive(Debug, Clone)]
struct ServiceCase {
    desired: u32,
    strategy: usize,
    awsvpc: bool,
    port: u32,
    min_100: bool,
    /// Behind a target group (with a short grace period, so slow builds get replaced).
    load_balanced: bool,
    circuit_breaker: bool,
    /// Index into BUILDS: the second revision, deployed by the timeline.
    build: usize,
    /// With capacity providers: 0 none (any instance), 1 on cp1, 2 base on cp0 and weight on
    /// both; with or without them, 3 FARGATE and 4 a FARGATE base with FARGATE_SPOT weight.
    provider: u8,
}

/// Capacity providers: g1 behind cp1 with managed scaling, g0 behind cp0 without.
#[derive(Debug, Clone)]
struct CapacityCase {
    target: u32,
    min_step: u32,
    max_step: u32,
    protection: bool,
    draining: bool,
    warmup_s: u32,
}

fn capacity_case() -> impl Strategy<Value = Option<CapacityCase>> {
    prop::option::of(
        (prop::sample::select(vec![50u32, 80, 100]), 1u32..=2, 1u32..=4, any::<bool>(), any::<bool>(), 0u32..=300)
            .prop_map(|(target, min_step, more, protection, draining, warmup_s)| CapacityCase {
                target,
                min_step,
                max_step: min_step + more - 1,
                protection,
                draining,
                warmup_s,
            }),
    )
}

#[derive(Debug, Clone)]
struct Case {
    zones: usize,
    groups: Vec<(usize, u32)>,
    services: Vec<ServiceCase>,
    /// (minute, action): ACTIONS first, then per service a deployment of revision 2, a forced
    /// new deployment and a scale to a new desired count.
    events: Vec<(u32, usize)>,
    capacity: Option<CapacityCase>,
    seed: u64,
}

fn service_case() -> impl Strategy<Value = ServiceCase> {
    (
        0u32..=10,
        0..STRATEGIES.len(),
        any::<bool>(),
        0u32..=2,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..BUILDS.len(),
        0u8..=4,
    )
        .prop_map(|(desired, strategy, awsvpc, port, min_100, load_balanced, circuit_breaker, build, provider)| {
            ServiceCase { desired, strategy, awsvpc, port, min_100, load_balanced, circuit_breaker, build, provider }
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=3,
        prop::collection::vec((0..TYPES.len(), 1u32..=6), 2..=3),
        prop::collection::vec(service_case(), 1..=3),
        prop::collection::vec((1u32..=50, 0..ACTIONS.len() + 3 * 3), 0..=6),
        capacity_case(),
        any::<u64>(),
    )
        .prop_map(|(zones, groups, services, events, capacity, seed)| Case {
            zones,
            groups,
            services,
            events,
            capacity,
            seed,
        })
}

fn toml(c: &Case) -> String {
    let zones: Vec<String> = (0..c.zones).map(|z| format!("\"z{z}\"")).collect();
    let mut t = format!("[scenario]\nduration = \"1h\"\n[cluster]\nzones = [{}]\n", zones.join(", "));
    // PROVISIONING tasks that never find room time out within the hour.
    t += "[settings]\nprovisioning_timeout = \"10m\"\nfargate_task_retirement_wait_period = \"0s\"\n";
    if let Some(cp) = &c.capacity {
        let on = |b: bool| if b { "ENABLED" } else { "DISABLED" };
        t += &format!(
            "[[capacity_providers]]\nname = \"cp0\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"g0\" }}\n\
             [[capacity_providers]]\nname = \"cp1\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"g1\", managedScaling = {{ status = \"ENABLED\", targetCapacity = {}, minimumScalingStepSize = {}, maximumScalingStepSize = {}, instanceWarmupPeriod = {} }}, managedTerminationProtection = \"{}\", managedDraining = \"{}\" }}\n",
            cp.target,
            cp.min_step,
            cp.max_step,
            cp.warmup_s,
            on(cp.protection),
            on(cp.draining)
        );
    }
    for (i, (ty, n)) in c.groups.iter().enumerate() {
        // The first group is a mixed instances group, m5.xlarge its fallback (unless its only type).
        let types = match TYPES[*ty] {
            t if i > 0 => format!("instance_type = \"{t}\""),
            "m5.xlarge" => "instance_types = [\"m5.xlarge\"]".to_string(),
            t => format!("instance_types = [\"{t}\", \"m5.xlarge\"]"),
        };
        t += &format!(
            "[[instance_groups]]\nname = \"g{i}\"\n{types}\ncount = {n}\nlaunch_time = \"1m\"\nspot_instance_draining = {}\n{}",
            i == 1,
            // The first group replaces what it loses (and so rebalances its zones after an outage).
            if i == 0 { "replacement_delay = \"1m\"\n" } else { "" }
        );
    }
    for (i, s) in c.services.iter().enumerate() {
        let on_fargate = s.provider >= 3;
        let network = if s.awsvpc || on_fargate { "awsvpc" } else { "bridge" };
        // A load-balanced service needs a container port to register.
        let port = if s.load_balanced && s.port == 0 { 2 } else { s.port };
        let port = match port {
            0 => String::new(),
            1 if !s.awsvpc && !on_fargate => "{ containerPort = 80, hostPort = 80 }".to_string(),
            1 => "{ containerPort = 80 }".to_string(),
            _ => "{ containerPort = 8080 }".to_string(),
        };
        let container_port = if port.contains("8080") { 8080 } else { 80 };
        for (revision, build) in [("1", ""), ("2", BUILDS[s.build])] {
            t += &format!(
                "[[task_definitions]]\nfamily = \"app{i}\"\ncpu = \"256\"\nmemory = \"512\"\nnetworkMode = \"{network}\"\n\
                 behavior = {{ image_pull = \"10s\", startup = \"5s\"{build} }}\n\
                 containerDefinitions = [{{ name = \"app\", image = \"app:{revision}\", essential = true, portMappings = [{port}] }}]\n"
            );
        }
        let mut extra = if on_fargate { String::new() } else { STRATEGIES[s.strategy].to_string() };
        if on_fargate {
            let subnets = "networkConfiguration = { awsvpcConfiguration = { subnets = [\"subnet-1\"] } }";
            extra += &match s.provider {
                3 => format!("\nlaunchType = \"FARGATE\"\n{subnets}"),
                _ => format!(
                    "\ncapacityProviderStrategy = [{{ capacityProvider = \"FARGATE\", base = 1, weight = 1 }}, {{ capacityProvider = \"FARGATE_SPOT\", weight = 3 }}]\n{subnets}"
                ),
            };
        } else if c.capacity.is_some() {
            extra += match s.provider {
                1 => "\ncapacityProviderStrategy = [{ capacityProvider = \"cp1\", weight = 1 }]",
                2 => {
                    "\ncapacityProviderStrategy = [{ capacityProvider = \"cp0\", base = 1, weight = 1 }, { capacityProvider = \"cp1\", weight = 2 }]"
                }
                _ => "",
            };
        }
        if s.load_balanced {
            // Traffic on every load-balanced service's target group (its data plane then tracks
            // every target), with slow start on every other one.
            let slow = if i % 2 == 0 {
                "Attributes = [{ Key = \"slow_start.duration_seconds\", Value = \"60\" }]\n"
            } else {
                ""
            };
            t += &format!(
                "[[target_groups]]\nTargetGroupName = \"tg{i}\"\nProtocol = \"HTTP\"\nHealthCheckIntervalSeconds = 10\nderegistration_delay = \"30s\"\n{slow}\
                 [[traffic]]\ntarget_group = \"tg{i}\"\nrps = 100\nnoise = 0.3\n"
            );
            extra += &format!(
                "\nloadBalancers = [{{ targetGroupArn = \"tg{i}\", containerName = \"app\", containerPort = {container_port} }}]\nhealthCheckGracePeriodSeconds = 30"
            );
        }
        let breaker =
            if s.circuit_breaker { ", deploymentCircuitBreaker = { enable = true, rollback = true }" } else { "" };
        t += &format!(
            "[[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"app{i}:1\"\ndesiredCount = {}\n{extra}\n\
             deploymentConfiguration = {{ minimumHealthyPercent = {}, maximumPercent = 200{breaker} }}\n",
            s.desired,
            if s.min_100 { 100 } else { 50 }
        );
        if s.load_balanced {
            // Service Auto Scaling on it: 100 requests/s is 6,000 a minute, 1,500 a target asks
            // for 4 tasks, and each service scales between 1 and 8 through the run's failures.
            t += &format!(
                "[[scalable_targets]]\nResourceId = \"service/default/s{i}\"\nMinCapacity = 1\nMaxCapacity = 8\n\
                 [[scaling_policies]]\nPolicyName = \"rcpt\"\nResourceId = \"service/default/s{i}\"\nPolicyType = \"TargetTrackingScaling\"\n\
                 TargetTrackingScalingPolicyConfiguration = {{ TargetValue = 1500.0, ScaleOutCooldown = 60, ScaleInCooldown = 60, PredefinedMetricSpecification = {{ PredefinedMetricType = \"ALBRequestCountPerTarget\", ResourceLabel = \"tg{i}\" }} }}\n"
            );
        }
    }
    for (minute, a) in &c.events {
        let action = match a.checked_sub(ACTIONS.len()) {
            None if ACTIONS[*a] == "run_task" => {
                let strategy = if c.capacity.is_some() {
                    "\ncapacityProviderStrategy = [{ capacityProvider = \"cp1\", weight = 1 }]"
                } else {
                    ""
                };
                format!("action = \"run_task\"\ntaskDefinition = \"app0:1\"\ncount = {}{strategy}", minute % 10 + 1)
            }
            None => ACTIONS[*a].to_string(),
            Some(k) => {
                let service = (k / 3) % c.services.len();
                match k % 3 {
                    0 => format!(
                        "action = \"update_service\"\nservice = \"s{service}\"\ntaskDefinition = \"app{service}:2\""
                    ),
                    1 => format!("action = \"update_service\"\nservice = \"s{service}\"\nforceNewDeployment = true"),
                    _ => {
                        format!("action = \"update_service\"\nservice = \"s{service}\"\ndesiredCount = {}", minute % 9)
                    }
                }
            }
        };
        t += &format!("[[events]]\nat = \"{minute}m\"\n{action}\n");
    }
    t
}

/// A fresh seed for each test run, printed with a failure; `ECSIM_PROPTEST_SEED=N` replays one.
fn proptest_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("ECSIM_PROPTEST_SEED") {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("ECSIM_PROPTEST_SEED: expected a u64, found {v:?}")),
        // The standard library's per-process hash keys are the one randomness it offers.
        Err(_) => RandomState::new().hash_one(0u8),
    })
}

pub(crate) fn config(cases: u32) -> ProptestConfig {
    let seed = proptest_seed();
    eprintln!("property tests: seed {seed} (replay with ECSIM_PROPTEST_SEED={seed})");
    ProptestConfig { cases, rng_seed: proptest::test_runner::RngSeed::Fixed(seed), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(256))]

    /// Whatever the cluster, capacity providers, services (on instances, providers or Fargate),
    /// builds and timeline (failures, drains, AZ outages, Spot, impaired instances, Fargate Spot
    /// reclaims and capacity windows, Fargate retirement, deployments good and bad, scaling): every
    /// invariant holds after every event.
    #[test]
    fn invariants_hold_for_random_scenarios(c in case()) {
        let text = toml(&c);
        let s = match ecsim::scenario::load_str("prop.toml", &text, None) {
            Ok(s) => s,
            // Some random combinations are invalid input (e.g. a task bigger than every instance):
            // rejecting them cleanly is the right answer.
            Err(_) => return Ok(()),
        };
        let mut s = s;
        s.settings.check_invariants = true;
        let result = ecsim::sim::Simulation::new(&s, c.seed).run();
        prop_assert!(
            result.is_ok(),
            "{} (property seed {}, simulation seed {})\n{text}",
            result.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
            proptest_seed(),
            c.seed
        );
        // Whatever happened to the targets, every request is accounted for.
        let r = result.unwrap();
        prop_assert!(r.request_conservation_error < 1e-6, "conservation: {}\n{text}", r.request_conservation_error);
    }

    /// Spread over zones with room everywhere leaves counts that differ by at most one.
    #[test]
    fn spread_balances_zones(zones in 2usize..=4, desired in 0u32..=40, tie_random in any::<bool>()) {
        let names: Vec<String> = (0..zones).map(|z| format!("z{z}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut toml = cluster("10m", &refs, &format!("name = \"g\"\ninstance_type = \"m5.4xlarge\"\ncount = {}", zones * 2))
            + &app(256, 512, "", "")
            + &service("web", desired, "placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }]");
        if tie_random {
            toml = toml.replace("duration = \"10m\"", "duration = \"10m\"\n[settings]\nplacement_tie_break = \"random\"");
        }
        let mut sim = sim(&toml);
        sim.run_until(at_s(1.0)).unwrap();
        let mut per_zone = vec![0u32; zones];
        for t in sim.state().tasks() {
            per_zone[t.zone.index()] += 1;
        }
        let (lo, hi) = (per_zone.iter().min().copied().unwrap_or(0), per_zone.iter().max().copied().unwrap_or(0));
        prop_assert!(hi - lo <= 1, "{per_zone:?}");
    }
}
