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
        .tasks
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
    assert!(sim.state().tasks.iter().all(|t| t.last_status == ecsim::ecs::task::LastStatus::Provisioning));
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
    for t in sim.state().tasks.iter().filter(|t| t.counts().live) {
        let on_fargate = sim.cluster().groups[sim.cluster().instance(t.instance).group.index()].fargate;
        let svc = &sim.state().services[t.service.unwrap().index()].spec.name;
        assert_eq!(on_fargate, svc == "api", "{} of {svc}", t.name);
    }
}
