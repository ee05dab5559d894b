//! Property tests: random clusters, services and timelines run with every invariant checked
//! after every event (no instance over-committed on CPU, memory, ports or ENIs; no placement on a
//! DRAINING or disconnected instance; counters agree with tasks), and spread's balance.

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
const ACTIONS: [&str; 7] = [
    "action = \"terminate_instances\"\ngroup = \"g0\"",
    "action = \"drain_instances\"\ngroup = \"g0\"\ncount = 2",
    "action = \"spot_interruption\"\ngroup = \"g1\"",
    "action = \"az_outage\"\nzone = \"z0\"\nduration = \"10m\"",
    "action = \"disconnect_agent\"\ngroup = \"g1\"",
    "action = \"add_instances\"\ngroup = \"g1\"\ncount = 2",
    "action = \"stop_instances\"\ngroup = \"g0\"",
];

#[derive(Debug, Clone)]
struct Case {
    zones: usize,
    groups: Vec<(usize, u32)>,
    services: Vec<(u32, usize, bool, u32, u32)>,
    events: Vec<(u32, usize)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=3,
        prop::collection::vec((0..TYPES.len(), 1u32..=6), 2..=3),
        prop::collection::vec((0u32..=10, 0..STRATEGIES.len(), any::<bool>(), 0u32..=2, 0u32..=1), 1..=3),
        prop::collection::vec((1u32..=50, 0..ACTIONS.len()), 0..=5),
    )
        .prop_map(|(zones, groups, services, events)| Case { zones, groups, services, events })
}

fn toml(c: &Case) -> String {
    let zones: Vec<String> = (0..c.zones).map(|z| format!("\"z{z}\"")).collect();
    let mut t = format!("[scenario]\nduration = \"1h\"\n[cluster]\nzones = [{}]\n", zones.join(", "));
    for (i, (ty, n)) in c.groups.iter().enumerate() {
        t += &format!(
            "[[instance_groups]]\nname = \"g{i}\"\ninstance_type = \"{}\"\ncount = {n}\nlaunch_time = \"1m\"\nspot_instance_draining = {}\n",
            TYPES[*ty],
            i == 1
        );
    }
    for (i, (desired, strategy, awsvpc, port, min)) in c.services.iter().enumerate() {
        let network = if *awsvpc { "awsvpc" } else { "bridge" };
        let port = match port {
            0 => String::new(),
            1 => "{ containerPort = 80, hostPort = 80 }".to_string(),
            _ => "{ containerPort = 8080 }".to_string(),
        };
        let port = if *awsvpc && port.contains("hostPort") { "{ containerPort = 80 }".to_string() } else { port };
        t += &format!(
            "[[task_definitions]]\nfamily = \"app{i}\"\ncpu = \"256\"\nmemory = \"512\"\nnetworkMode = \"{network}\"\n\
             behavior = {{ image_pull = \"10s\", startup = \"5s\" }}\n\
             containerDefinitions = [{{ name = \"app\", image = \"app\", essential = true, portMappings = [{port}] }}]\n\
             [[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"app{i}\"\ndesiredCount = {desired}\n{}\n\
             deploymentConfiguration = {{ minimumHealthyPercent = {}, maximumPercent = 200 }}\n",
            STRATEGIES[*strategy],
            if *min == 0 { 50 } else { 100 }
        );
    }
    for (minute, a) in &c.events {
        t += &format!("[[events]]\nat = \"{minute}m\"\n{}\n", ACTIONS[*a]);
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Whatever the cluster, services and timeline: every invariant holds after every event.
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
        let result = ecsim::sim::Simulation::new(&s, 7).run();
        prop_assert!(result.is_ok(), "{}\n{text}", result.err().map(|e| e.to_string()).unwrap_or_default());
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
        for t in &sim.state().tasks {
            per_zone[t.zone.index()] += 1;
        }
        let (lo, hi) = (per_zone.iter().min().copied().unwrap_or(0), per_zone.iter().max().copied().unwrap_or(0));
        prop_assert!(hi - lo <= 1, "{per_zone:?}");
    }
}
