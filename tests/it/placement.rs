//! Placement on hand-built instance pools: the worked examples of SCHEDULING.md §5 and §8.

use crate::common::*;

fn placed_on(sim: &ecsim::sim::Simulation) -> Vec<String> {
    let c = sim.cluster();
    sim.state()
        .tasks()
        .iter()
        .filter(|t| t.counts().live)
        .map(|t| c.instance(t.instance).ec2_instance_id.to_string())
        .collect()
}

/// E-M3: an instance of 2 vCPU / 7,985 MiB fits two tasks of 1,024 CPU / 1,000 MiB; the third
/// fails on CPU.
#[test]
fn e_m3_cpu_bound_instance_fits_two_tasks() {
    let toml = cluster("10m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m4.large\"\ncount = 1")
        + &app(1024, 1000, "", "")
        + &service("web", 3, "");
    let r = run(&toml);
    assert_eq!(r.services[0].stats.tasks_started, 2);
    let f = log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE");
    assert!(
        f[0].message.contains("The closest matching (container-instance g-1) has insufficient CPU units available.")
    );
}

/// E-P1: static hostPort 80 on 3 instances: 3 tasks placed, the 4th fails on ports; with a
/// dynamic host port all 4 fit.
#[test]
fn e_p1_static_host_port_allows_one_task_per_instance() {
    let base = cluster(
        "10m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 3",
    );
    let r = run(&(base.clone() + &app(128, 128, "{ containerPort = 80, hostPort = 80 }", "") + &service("web", 4, "")));
    assert_eq!(r.services[0].stats.tasks_started, 3);
    assert!(
        log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE")[0]
            .message
            .contains("is already using a port required by your task")
    );
    let r = run(&(base + &app(128, 128, "{ containerPort = 80, hostPort = 0 }", "") + &service("web", 4, "")));
    assert_eq!(r.services[0].stats.tasks_started, 4);
    assert!(log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE").is_empty());
}

/// Dynamic host ports come from the agent's ephemeral range, round-robin, never twice.
#[test]
fn dynamic_host_ports_are_distinct_and_in_range() {
    let toml = cluster("10m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.4xlarge\"\ncount = 1")
        + &app(128, 128, "{ containerPort = 80 }, { containerPort = 81 }", "")
        + &service("web", 5, "");
    let mut sim = sim(&toml);
    sim.run_until(at_s(60.0)).unwrap();
    let mut ports: Vec<u16> = sim.state().tasks().iter().flat_map(|t| t.dynamic_ports.clone()).collect();
    assert_eq!(ports.len(), 10);
    assert_eq!(ports[..3], [49153, 49154, 49155]);
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 10);
}

/// E-PL1: default placement spreads over AZs: with a task in AZ a, the next goes to b, then c.
/// Scale-in stops from the AZ with the most tasks.
#[test]
fn e_pl1_default_placement_balances_zones_and_scale_in_takes_from_the_fullest() {
    let base = cluster(
        "30m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 3",
    ) + &app(128, 128, "", "");
    let toml = base.clone() + &service("web", 3, "");
    let mut s = sim(&toml);
    s.run_until(at_s(1.0)).unwrap();
    assert_eq!(placed_on(&s), ["g-1", "g-2", "g-3"]);

    // 5 tasks: a=2, b=2, c=1; scaling in to 4 must stop a task in a or b.
    let toml = base
        + &service("web", 5, "")
        + "[[events]]\nat = \"5m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 4\n";
    let mut s = sim(&toml);
    s.run_until(at_s(300.0)).unwrap();
    let stopped: Vec<_> = s.state().tasks().iter().filter(|t| !t.counts().live).collect();
    assert_eq!(stopped.len(), 1);
    assert_ne!(stopped[0].zone.0, 2, "zone c had only one task");
    let mut per_zone = [0; 3];
    for t in s.state().tasks().iter().filter(|t| t.counts().live) {
        per_zone[t.zone.index()] += 1;
    }
    per_zone.sort_unstable();
    assert_eq!(per_zone, [1, 1, 2]);
}

/// E-PL2: binpack(memory) picks the instance with the least memory left that still fits.
#[test]
fn e_pl2_binpack_memory_chooses_least_remaining() {
    let toml = "[scenario]\nduration = \"10m\"\n[cluster]\nzones = [\"us-east-1a\"]\n".to_string()
        + "[[instance_groups]]\nname = \"large\"\ncpu = 4096\nmemory_mib = 4096\ncount = 1\n"
        + "[[instance_groups]]\nname = \"small\"\ncpu = 4096\nmemory_mib = 1024\ncount = 1\n"
        + "[[instance_groups]]\nname = \"mid\"\ncpu = 4096\nmemory_mib = 2048\ncount = 1\n"
        + &app(128, 1000, "", "")
        + &service("web", 3, "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]");
    let mut s = sim(&toml);
    s.run_until(at_s(1.0)).unwrap();
    assert_eq!(placed_on(&s), ["small-1", "mid-1", "mid-1"]);
}

/// E-PL3: spread(AZ) then binpack(cpu): the extra task of a second service lands on the instance
/// already holding two tasks of the first, so imbalance accumulates.
#[test]
fn e_pl3_spread_then_binpack_accumulates_imbalance() {
    let strategy = "placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"binpack\", field = \"cpu\" }]";
    let toml = cluster(
        "10m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"g\"\ncpu = 4096\nmemory_mib = 8192\ncount = 3",
    ) + &app(1024, 512, "", "")
        + &service("a", 4, strategy)
        + &service("b", 4, strategy);
    let mut s = sim(&toml);
    s.run_until(at_s(1.0)).unwrap();
    let per_instance: Vec<usize> = s.cluster().instances().iter().map(|ci| ci.tasks.len()).collect();
    assert_eq!(per_instance, [4, 2, 2], "g-1 holds 2 of a and 2 of b");
}

/// E-PL4: distinctInstance caps a service at one task per instance; a task whose desired status
/// is STOPPED (still stopping) no longer blocks its instance.
#[test]
fn e_pl4_distinct_instance() {
    let base = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 2");
    let r = run(&(base.clone()
        + &app(128, 128, "", "")
        + &service("web", 3, "placementConstraints = [{ type = \"distinctInstance\" }]")));
    assert_eq!(r.services[0].stats.tasks_started, 2);
    assert!(
        log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE")[0]
            .message
            .contains("DistinctInstance placement constraint unsatisfied")
    );

    let toml = base
        + &app(128, 128, "", "").replace("startup = \"5s\" }", "startup = \"5s\", stop = \"20s\" }")
        + &service("web", 2, "placementConstraints = [{ type = \"distinctInstance\" }]")
        + "[[events]]\nat = \"5m\"\naction = \"stop_task\"\nservice = \"web\"\ntask = \"web-1\"\n";
    let mut s = sim(&toml);
    s.run_until(at_s(300.0)).unwrap();
    let old = s.state().tasks().iter().find(|t| t.name == "web-1").unwrap();
    let new = s.state().tasks().iter().find(|t| t.name == "web-3").expect("replacement placed at once");
    assert_eq!(old.last_status, ecsim::ecs::task::LastStatus::Stopping);
    assert_eq!(old.instance, new.instance, "the stopping task does not block its instance");
}

/// E-PL5 and memberOf: a constraint no instance satisfies fails placement with ECS's reason;
/// zone and custom attributes restrict placement.
#[test]
fn e_pl5_member_of_constraints() {
    let base = cluster(
        "10m",
        &["us-east-1a", "us-east-1b"],
        "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 4\nattributes = { stack = \"prod\" }",
    ) + &app(128, 128, "", "");
    let r = run(&(base.clone()
        + &service(
            "web",
            1,
            "placementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.instance-type =~ t2.*\" }]",
        )));
    assert_eq!(r.services[0].stats.tasks_started, 0);
    assert!(
        log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE")[0].message.contains("MemberOf placement constraint unsatisfied")
    );

    let toml = base
        + &service(
            "web",
            4,
            "placementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.availability-zone in [us-east-1b] and attribute:stack == prod\" }]",
        );
    let mut s = sim(&toml);
    s.run_until(at_s(1.0)).unwrap();
    assert!(s.state().tasks().iter().all(|t| t.zone.0 == 1));
    assert_eq!(placed_on(&s), ["g-2", "g-4", "g-2", "g-4"]);
}

/// The query language's agentVersion and registeredAt subjects: old agents and instances
/// registered before a date are excluded.
#[test]
fn agent_version_and_registered_at_constraints() {
    let base = |constraint: &str| {
        "[scenario]\nduration = \"30m\"\nstart_time = \"2026-03-01T12:00:00Z\"\n[cluster]\nzones = [\"us-east-1a\"]\n"
            .to_string()
            + "[[instance_groups]]\nname = \"old\"\ninstance_type = \"m5.large\"\ncount = 2\nagent_version = \"1.9.0\"\n"
            + "[[instance_groups]]\nname = \"new\"\ninstance_type = \"m5.large\"\ncount = 1\nagent_version = \"1.91.2\"\nlaunch_time = \"1m\"\n"
            + &app(128, 128, "", "")
            + &service(
                "web",
                2,
                &format!("placementConstraints = [{{ type = \"memberOf\", expression = \"{constraint}\" }}]"),
            )
            + "[[events]]\nat = \"10m\"\naction = \"add_instances\"\ngroup = \"new\"\ncount = 1\n"
    };
    let mut s = sim(&base("agentVersion >= 1.14.5"));
    s.run_until(at_s(1.0)).unwrap();
    assert_eq!(placed_on(&s), ["new-1", "new-1"]);
    let mut s = sim(&base("registeredAt > 2026-03-01T12:05:00Z"));
    s.run_until(at_s(1.0)).unwrap();
    assert!(placed_on(&s).is_empty(), "every instance registered at 12:00");
    s.run_until(at_s(661.0)).unwrap();
    assert_eq!(placed_on(&s), ["new-2", "new-2"], "the instance registered at 12:11 qualifies");
}

/// A researcher's strategy through the public trait: prefer the instance registered last. It
/// drives placement, and (by default) scale-in stops tasks where it would least like to place.
#[test]
fn a_custom_strategy_drives_placement_and_scale_in() {
    use ecsim::cluster::ContainerInstance;
    use ecsim::ecs::placement::{CustomStrategy, PlacementStrategy, PlacementView, Strategy};
    struct Newest;
    impl PlacementStrategy for Newest {
        fn name(&self) -> &str {
            "newest"
        }
        fn score(&self, _view: &PlacementView<'_>, candidate: &ContainerInstance) -> i64 {
            -i64::from(candidate.id.0)
        }
    }
    let toml = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 3")
        + &app(128, 128, "", "")
        + &service("web", 2, "placementConstraints = [{ type = \"distinctInstance\" }]")
        + "[[events]]\nat = \"5m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 3\n"
        + "[[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 1\n";
    let mut s = scenario(&toml);
    s.services[0].strategies = vec![Strategy::Custom(CustomStrategy::new(Newest))];
    let mut sim = ecsim::sim::Simulation::new(&s, 1);
    sim.run_until(at_s(1.0)).unwrap();
    assert_eq!(placed_on(&sim), ["g-3", "g-2"], "newest first");
    sim.run_until(at_s(301.0)).unwrap();
    assert_eq!(placed_on(&sim), ["g-3", "g-2", "g-1"]);
    sim.run_until(at_s(601.0)).unwrap();
    assert_eq!(placed_on(&sim), ["g-3"], "scale-in stops where it would least like to place");
}

/// Placement explanations: what each check removed, what each strategy kept, what won.
#[test]
fn placement_explanations() {
    let toml = "[scenario]\nduration = \"10m\"\n[cluster]\nzones = [\"us-east-1a\"]\n".to_string()
        + "[[instance_groups]]\nname = \"large\"\ncpu = 4096\nmemory_mib = 4096\ncount = 1\n"
        + "[[instance_groups]]\nname = \"small\"\ncpu = 4096\nmemory_mib = 1024\ncount = 1\n"
        + "[[instance_groups]]\nname = \"tiny\"\ncpu = 4096\nmemory_mib = 512\ncount = 1\n"
        + &app(128, 1000, "", "")
        + &service("web", 1, "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]");
    let mut s = scenario(&toml);
    s.settings.explain = Some("web".into());
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let e = log_of(&r, "PLACEMENT_EXPLANATION");
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].message,
        "(task web-1) placed on small-1 (us-east-1a): 3 instances; 1 removed (RESOURCE:MEMORY 1); binpack(memory) kept 1; chosen small-1 (ordered tie-break)."
    );
    // Without --explain nothing is recorded.
    assert!(log_of(&run(&toml), "PLACEMENT_EXPLANATION").is_empty());
}

/// GPUs: each task needing one GPU takes one of the instance's; the third on two g4dn.xlarge
/// (1 GPU each) fails with RESOURCE:GPU.
#[test]
fn gpu_tasks_take_the_instance_gpus() {
    let toml = cluster("10m", &["us-east-1a"], "name = \"gpu\"\ninstance_type = \"g4dn.xlarge\"\ncount = 2")
        + "[[task_definitions]]\nfamily = \"train\"\ncpu = \"1024\"\nmemory = \"4096\"\nbehavior = { image_pull = \"10s\", startup = \"5s\" }\n"
        + "containerDefinitions = [{ name = \"train\", image = \"train:1\", essential = true, resourceRequirements = [{ type = \"GPU\", value = \"1\" }] }]\n"
        + "[[services]]\nserviceName = \"train\"\ntaskDefinition = \"train\"\ndesiredCount = 3\n";
    let r = run(&toml);
    assert_eq!(r.services[0].stats.tasks_started, 2);
    assert!(log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE")[0].message.contains("has insufficient GPUs available"));
}
