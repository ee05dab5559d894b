//! Fargate (LOAD-BALANCING-AND-CAPACITY.md §2.7, SCHEDULING.md §2.5-2.6): tasks with no
//! container instance of the scenario's, in the zones of their subnets, each its own host.

use crate::common::*;

/// A Fargate service `api` of `desired` tasks (0.25 vCPU, 0.5 GB; pull 30 s, start 5 s) over
/// `subnets` (of a, b, c: subnet-a lies in us-east-1a, ...), with `extra` appended.
fn fargate(desired: u32, subnets: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
duration = "1h"

[cluster]
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
subnets = {{ "subnet-a" = "us-east-1a", "subnet-b" = "us-east-1b", "subnet-c" = "us-east-1c" }}

[[task_definitions]]
family = "api"
requiresCompatibilities = ["FARGATE"]
networkMode = "awsvpc"
cpu = "256"
memory = "512"
behavior = {{ image_pull = "30s", startup = "5s" }}
containerDefinitions = [{{ name = "api", image = "api:1", essential = true }}]

[[services]]
serviceName = "api"
taskDefinition = "api"
desiredCount = {desired}
launchType = "FARGATE"
networkConfiguration = {{ awsvpcConfiguration = {{ subnets = [{subnets}] }} }}
{extra}"#
    )
}

const ALL: &str = "\"subnet-a\", \"subnet-b\", \"subnet-c\"";

/// Zones of the live tasks, sorted.
fn task_zones(sim: &ecsim::sim::Simulation) -> Vec<String> {
    let mut z: Vec<String> = sim
        .state()
        .tasks()
        .iter()
        .filter(|t| t.counts().live)
        .map(|t| sim.cluster().zone_name(t.zone).to_string())
        .collect();
    z.sort();
    z
}

/// A Fargate task is PROVISIONING for `fargate_provisioning` (20 s), then pulls (30 s) and
/// starts (5 s): RUNNING at 55 s and healthy 40 s later, with no instance in the scenario.
#[test]
fn a_fargate_task_provisions_pulls_and_runs_without_instances() {
    let mut sim = sim(&fargate(3, ALL, ""));
    sim.run_until(at_s(19.0)).unwrap();
    assert!(sim.state().tasks().iter().all(|t| t.last_status == ecsim::ecs::task::LastStatus::Provisioning));
    assert_eq!(sim.counts("api").running, 0);
    sim.run_until(at_s(54.9)).unwrap();
    assert_eq!(sim.counts("api").running, 0);
    sim.run_until(at_s(55.0)).unwrap();
    assert_eq!(sim.counts("api").running, 3);
    assert_eq!(healthy_at(&mut sim, "api", 95.0), 3);
    // Spread over the three zones, one each.
    assert_eq!(task_zones(&sim), ["us-east-1a", "us-east-1b", "us-east-1c"]);
    let r = sim.run().unwrap();
    // Each task is its own host: losing one loses one.
    assert_eq!(r.services[0].accum.min_instance_loss_margin, Some(2));
    // Fargate is not the cluster's capacity: nothing registered, nothing reserved.
    assert!(r.usage.iter().all(|(_, u)| u.cpu_registered == 0 && u.cpu_reserved == 0));
}

/// Subnets in two zones: every task lands in those two.
#[test]
fn tasks_stay_in_the_zones_of_their_subnets() {
    let mut sim = sim(&fargate(4, "\"subnet-a\", \"subnet-c\"", ""));
    sim.run_until(at_s(1.0)).unwrap();
    assert_eq!(task_zones(&sim), ["us-east-1a", "us-east-1a", "us-east-1c", "us-east-1c"]);
}

/// An AZ outage stops the zone's Fargate tasks; their replacements start at once in the other
/// subnets (no capacity to wait for) and run 55 s later; when the zone is back, AZ rebalancing
/// moves a task into it.
#[test]
fn az_outage_replacements_go_to_the_surviving_subnets() {
    let toml = fargate(6, ALL, "")
        + "\n[[events]]\nat = \"10m\"\naction = \"az_outage\"\nzone = \"us-east-1b\"\nduration = \"20m\"\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(sim.counts("api").live, 6, "the 2 lost tasks are replaced at once");
    assert!(!task_zones(&sim).contains(&"us-east-1b".to_string()));
    assert_eq!(sim.counts("api").running, 4);
    sim.run_until(at_s(655.0)).unwrap();
    assert_eq!(sim.counts("api").running, 6, "20 s provisioning + 30 s pull + 5 s start");
    sim.run_until(at_s(1800.0 + 300.0)).unwrap();
    assert!(task_zones(&sim).contains(&"us-east-1b".to_string()), "rebalanced into the recovered zone");
    let r = sim.run().unwrap();
    assert!(log_of(&r, "FARGATE_CAPACITY_LOST").len() == 1);
    assert!(log_of(&r, "INSTANCE_TERMINATED").is_empty());
}

/// FARGATE and an EC2 service side by side: neither lands on the other's capacity.
#[test]
fn fargate_and_ec2_capacity_do_not_mix() {
    let toml = fargate(3, ALL, "")
        + "\n[[instance_groups]]\nname = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2\n\
           \n[[task_definitions]]\nfamily = \"web\"\ncpu = \"256\"\nmemory = \"512\"\n\
           containerDefinitions = [{ name = \"web\", image = \"web:1\", essential = true }]\n\
           \n[[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = 4\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(1.0)).unwrap();
    for t in sim.state().tasks().iter().filter(|t| t.counts().live) {
        let on_fargate = sim.cluster().groups[sim.cluster().instance(t.instance).group.index()].fargate;
        let svc = &sim.state().services()[t.service.unwrap().index()].spec.name;
        assert_eq!(on_fargate, svc == "api", "{} of {svc}", t.name);
    }
}

/// `api` with base 1 on FARGATE and the rest on FARGATE_SPOT; its app ignores SIGTERM (stops
/// only at SIGKILL, stopTimeout 30 s).
fn spot_mix(desired: u32, events: &str) -> String {
    fargate(desired, ALL, events)
        .replace(
            "launchType = \"FARGATE\"",
            "capacityProviderStrategy = [{ capacityProvider = \"FARGATE\", base = 1, weight = 0 }, { capacityProvider = \"FARGATE_SPOT\", weight = 1 }]",
        )
        .replace("startup = \"5s\" }", "startup = \"5s\", stop = \"5m\" }")
        .replace("essential = true }", "essential = true, stopTimeout = 30 }")
}

fn on_spot(sim: &ecsim::sim::Simulation) -> usize {
    live_on_group(sim, "FARGATE_SPOT")
}

/// Worked example 25: a Fargate Spot warning at t gives the task SIGTERM at t; an app that
/// ignores it is killed at stopTimeout (30 s) and the task is STOPPED with TerminationNotice; the
/// service's replacement goes to FARGATE_SPOT again (the base on FARGATE is already met), started
/// at once since maximumPercent leaves room.
#[test]
fn worked_example_25_fargate_spot_interruption() {
    let toml = spot_mix(4, "\n[[events]]\nat = \"10m\"\naction = \"fargate_spot_interruption\"\nservice = \"api\"\n");
    let mut sim = sim(&toml);
    sim.run_until(at_s(599.0)).unwrap();
    assert_eq!(on_spot(&sim), 3, "base 1 on FARGATE, 3 on FARGATE_SPOT");
    sim.run_until(at_s(600.0)).unwrap();
    let stopping: Vec<_> = sim
        .state()
        .tasks()
        .iter()
        .filter(|t| t.stop_code == Some(ecsim::ecs::task::StopCode::TerminationNotice))
        .collect();
    assert_eq!(stopping.len(), 1);
    assert_eq!(stopping[0].last_status, ecsim::ecs::task::LastStatus::Stopping, "SIGTERM at once");
    assert_eq!(on_spot(&sim), 3, "the replacement, on FARGATE_SPOT, starts at once");
    let victim = stopping[0].id;
    sim.run_until(at_s(629.9)).unwrap();
    assert_ne!(sim.state().tasks()[victim.index()].last_status, ecsim::ecs::task::LastStatus::Stopped);
    sim.run_until(at_s(630.0)).unwrap();
    assert_eq!(
        sim.state().tasks()[victim.index()].last_status,
        ecsim::ecs::task::LastStatus::Stopped,
        "SIGKILL at stopTimeout"
    );
    let r = sim.run().unwrap();
    let reason = r.log.iter().find(|(_, e)| e.kind == "TASK_STOPPED").map(|(_, e)| e.message.clone()).unwrap();
    assert!(reason.contains("TerminationNotice: Your Spot Task was interrupted."), "{reason}");
}

/// No FARGATE_SPOT capacity for 10 minutes: an interrupted task's replacement is refused with
/// ECS's "Capacity is unavailable at this time", retried, and placed when the window ends; the
/// FARGATE base task runs throughout. No fallback to FARGATE.
#[test]
fn fargate_spot_capacity_unavailable_tasks_wait() {
    let events = "\n[[events]]\nat = \"10m\"\naction = \"fargate_capacity_unavailable\"\nduration = \"10m\"\n\
                  \n[[events]]\nat = \"11m\"\naction = \"fargate_spot_interruption\"\nservice = \"api\"\ncount = 2\n";
    let mut sim = sim(&spot_mix(4, events));
    sim.run_until(at_s(700.0)).unwrap();
    assert_eq!(on_spot(&sim), 1, "2 of 3 Spot tasks reclaimed, no replacement placed");
    assert_eq!(sim.counts("api").live, 2, "no fallback to FARGATE");
    sim.run_until(at_s(1199.0)).unwrap();
    assert_eq!(sim.counts("api").live, 2);
    sim.run_until(at_s(1230.0)).unwrap();
    assert_eq!(sim.counts("api").live, 4, "placed once capacity is back at 20 min (retries every 30 s)");
    let r = sim.run().unwrap();
    let refusals = log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE");
    assert!(refusals.iter().all(|e| e.message.contains("Capacity is unavailable at this time.")));
    assert!(!refusals.is_empty());
}

/// Usage: each FARGATE task of 0.25 vCPU and 0.5 GB held from time zero to the end of the hour
/// bills 0.25 vCPU-hours and 0.5 GB-hours; with prices, a cost; an EC2 group's instance-hours are
/// its instances times the hours.
#[test]
fn usage_in_vcpu_hours_gb_hours_and_instance_hours_with_the_users_prices() {
    let toml = fargate(4, ALL, "")
        + "\n[pricing]\nfargate_vcpu_hour = 0.04\nfargate_gb_hour = 0.004\ninstance_hour = { \"m5.large\" = 0.1 }\n\
           \n[[instance_groups]]\nname = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 3\n";
    let s = scenario(&toml);
    let r = ecsim::sim::Simulation::new(&s, s.seed).run().unwrap();
    let rendered = ecsim::report::render(&r, &s, None).unwrap();
    let summary = &rendered.summary;
    assert_eq!(summary["fargate"]["FARGATE"]["vcpu_hours"], 1.0, "4 x 0.25 vCPU x 1 h");
    assert_eq!(summary["fargate"]["FARGATE"]["gb_hours"], 2.0);
    assert_eq!(summary["fargate"]["FARGATE"]["cost"], 1.0 * 0.04 + 2.0 * 0.004);
    assert!(summary["fargate"].get("FARGATE_SPOT").is_none(), "not used");
    assert_eq!(summary["instance_groups"]["fleet"]["instance_hours"], 3.0);
    assert_eq!(summary["instance_groups"]["fleet"]["cost"], 0.3);
    assert_eq!(summary["usage"]["cost"], 0.3 + 0.048);
}

/// Seeded Fargate Spot reclaims: `count` strikes in a window hit that many Spot tasks, each
/// replaced on Spot; with `mtbf`, every Spot task draws its own lifetime from its placement, and
/// the FARGATE base task is never touched.
#[test]
fn seeded_fargate_spot_interruptions() {
    let window = "\n[[faults]]\nkind = \"fargate_spot_interruptions\"\nservices = [\"api\"]\ncount = 3\nbetween = [\"10m\", \"20m\"]\n";
    let r = run(&spot_mix(4, window));
    let times: Vec<f64> =
        r.log.iter().filter(|(_, e)| e.kind == "FARGATE_SPOT_INTERRUPTION").map(|(t, _)| t.as_secs_f64()).collect();
    assert_eq!(times.len(), 3);
    assert!(times.iter().all(|t| (600.0..=1200.0).contains(t)), "{times:?}");
    let end = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!(end.values.healthy, 4, "each reclaimed task replaced");

    let mtbf = "\n[[faults]]\nkind = \"fargate_spot_interruptions\"\nmtbf = \"30m\"\n";
    let mut sim = sim(&spot_mix(4, mtbf));
    sim.run_until(at_s(1.0)).unwrap();
    let c = sim.cluster();
    let on_demand =
        sim.state().tasks().iter().find(|t| c.groups[c.instance(t.instance).group.index()].name == "FARGATE");
    let base = on_demand.unwrap().name.as_str().to_string();
    let r = sim.run().unwrap();
    let reclaimed = r.log.iter().filter(|(_, e)| e.kind == "FARGATE_SPOT_INTERRUPTION").count();
    assert!(reclaimed >= 2, "an hour of 3 Spot tasks with a 30-minute mean life: {reclaimed}");
    assert!(r.log.iter().all(|(_, e)| e.kind != "FARGATE_SPOT_INTERRUPTION" || e.task != base.as_str()));
}

/// Fargate task retirement with the wait period at 0: the service's tasks are replaced first
/// and stopped once the replacements are healthy (20 s provisioning, 30 s pull, 5 s start, 40 s
/// to count healthy: 95 s), so with minimumHealthyPercent 100 the service never dips; the
/// retired tasks stop with ECS's maintenance reason and count for no circuit breaker.
#[test]
fn fargate_task_retirement_replaces_start_first() {
    let toml = fargate(
        4,
        ALL,
        "deploymentConfiguration = { deploymentCircuitBreaker = { enable = true, rollback = true } }\n",
    )
    .replace(
        "[[task_definitions]]",
        "[settings]\nfargate_task_retirement_wait_period = \"0s\"\n\n[[task_definitions]]",
    ) + "\n[[events]]\nat = \"10m\"\naction = \"fargate_task_retirement\"\nservice = \"api\"\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(sim.counts("api").live, 8, "4 replacements started first");
    sim.run_until(at_s(694.0)).unwrap();
    assert_eq!(sim.counts("api").live, 8);
    sim.run_until(at_s(695.0)).unwrap();
    assert_eq!(sim.counts("api").live, 4, "the retired tasks stop once replaced");
    let r = sim.run().unwrap();
    assert_eq!(r.services[0].accum.min_healthy, Some(4));
    let retired =
        r.log.iter().filter(|(_, e)| e.kind == "TASK_STOPPED" && e.message.contains("performing maintenance")).count();
    assert_eq!(retired, 4);
    assert!(r.services[0].deployments.iter().all(|d| d.failed_tasks == 0));
}
