//! Container instance lifecycle: draining (SCHEDULING.md §6.2, E-I1) and EC2 Spot interruptions
//! (LOAD-BALANCING §3.1-3.2, example 24).

use crate::common::*;
use ecsim::cluster::InstanceStatus;

/// 4 tasks of `web` all on instance fleet-1 (binpack), plenty of room on fleet-2..4.
fn packed(deployment: &str, events: &str) -> String {
    cluster(
        "1h",
        &["us-east-1a", "us-east-1b"],
        "name = \"fleet\"\ninstance_type = \"m5.xlarge\"\ncount = 4\nspot_instance_draining = true",
    ) + &app(256, 512, "{ containerPort = 80 }", "")
        + &service(
            "web",
            4,
            &format!(
                "placementStrategy = [{{ type = \"binpack\", field = \"memory\" }}]\ndeploymentConfiguration = {{ {deployment} }}"
            ),
        )
        + events
}

const DRAIN_FLEET_1: &str = "[[events]]\nat = \"10m\"\naction = \"drain_instances\"\ninstances = [\"fleet-1\"]\n";

fn on_fleet_1(sim: &ecsim::sim::Simulation) -> usize {
    let f1 = sim.cluster().find_instance("fleet-1").unwrap();
    sim.state().tasks().iter().filter(|t| t.instance == f1 && t.counts().live).count()
}

/// E-I1: D=4, min 50, max 200, spare capacity: up to 4 replacements start first and 2 of the
/// drained instance's tasks stop at once; it ends with no service task and stays DRAINING.
#[test]
fn e_i1_draining_replaces_tasks_within_min_and_max() {
    let mut sim = sim(&packed("minimumHealthyPercent = 50, maximumPercent = 200", DRAIN_FLEET_1));
    sim.run_until(at_s(599.0)).unwrap();
    assert_eq!(on_fleet_1(&sim), 4);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(on_fleet_1(&sim), 2, "2 stop at once (minimum healthy 2)");
    assert_eq!(sim.counts("web").live, 6, "2 left on fleet-1 + 4 replacements");
    assert_eq!(sim.counts("web").healthy, 2);
    assert_eq!(healthy_at(&mut sim, "web", 655.0), 4);
    assert_eq!(on_fleet_1(&sim), 0);
    let f1 = sim.cluster().find_instance("fleet-1").unwrap();
    assert_eq!(sim.cluster().instance(f1).status, InstanceStatus::Draining);
    let r = sim.run().unwrap();
    assert_eq!(r.services[0].accum.min_healthy, Some(2));
    assert_eq!(log_of(&r, "INSTANCE_DRAINED").len(), 1);
    assert!(
        r.log.iter().all(|(t, e)| !(t.0 > 600_000 && e.kind == "SERVICE_TASKS_STARTED" && e.instance == "fleet-1"))
    );
}

/// E-I1: with min 100% and max 100% nothing can move: the instance never drains.
#[test]
fn e_i1_min_100_max_100_never_drains() {
    let mut sim = sim(&packed("minimumHealthyPercent = 100, maximumPercent = 100", DRAIN_FLEET_1));
    sim.run_until(at_s(3000.0)).unwrap();
    assert_eq!(on_fleet_1(&sim), 4);
}

/// min 100%, max 200%: replacements first, each draining task stopped once it is no longer
/// needed for the healthy minimum; no capacity lost.
#[test]
fn draining_with_min_100_loses_no_capacity() {
    let r = run(&packed("minimumHealthyPercent = 100, maximumPercent = 200", DRAIN_FLEET_1));
    assert_eq!(r.services[0].accum.min_healthy, Some(4));
    assert_eq!(log_of(&r, "INSTANCE_DRAINED").len(), 1);
}

/// Draining then ACTIVE again: the instance takes tasks again. Two instances: drain fleet-1
/// (tasks move to fleet-2), reactivate it, drain fleet-2: they move back.
#[test]
fn an_activated_instance_takes_tasks_again() {
    let toml = packed("minimumHealthyPercent = 50, maximumPercent = 200", DRAIN_FLEET_1)
        .replace("count = 4", "count = 2")
        + "[[events]]\nat = \"20m\"\naction = \"activate_instances\"\ninstances = [\"fleet-1\"]\n"
        + "[[events]]\nat = \"25m\"\naction = \"drain_instances\"\ninstances = [\"fleet-2\"]\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(1199.0)).unwrap();
    assert_eq!(on_fleet_1(&sim), 0);
    sim.run_until(at_s(1800.0)).unwrap();
    assert_eq!(on_fleet_1(&sim), 4);
    assert_eq!(sim.counts("web").healthy, 4);
}

/// LB §7 example 24: a Spot notice with instance draining on: the tasks are replaced within
/// min/max before the instance dies 2 minutes later; without draining nothing happens until the
/// instance dies.
#[test]
fn spot_interruption_with_and_without_draining() {
    let spot = "[[events]]\nat = \"10m\"\naction = \"spot_interruption\"\ninstances = [\"fleet-1\"]\n";
    let r = run(&packed("minimumHealthyPercent = 100, maximumPercent = 200", spot));
    assert_eq!(r.services[0].accum.min_healthy, Some(4), "replaced before the deadline: no loss");
    let terminated = r.log.iter().find(|(_, e)| e.kind == "INSTANCE_TERMINATED").unwrap();
    assert_eq!(terminated.0, at_s(720.0));
    assert!(terminated.1.message.contains("it held 0 tasks"), "{}", terminated.1.message);

    let r = run(&packed("minimumHealthyPercent = 100, maximumPercent = 200", spot)
        .replace("spot_instance_draining = true", "spot_instance_draining = false"));
    assert_eq!(r.services[0].accum.min_healthy, Some(0), "without draining all 4 die at the deadline");
    let stopped: Vec<_> = r.log.iter().filter(|(t, e)| e.kind == "TASK_STOPPED" && t.0 == 720_000).collect();
    assert_eq!(stopped.len(), 4);
    assert!(stopped[0].1.message.contains("SpotInterruption: Host EC2 (instance fleet-1) stopped/terminated."));
}

/// Seeded Spot interruptions follow their mean, like instance failures.
#[test]
fn seeded_spot_interruptions() {
    let toml = cluster(
        "1d",
        &["us-east-1a", "us-east-1b"],
        "name = \"spot\"\ninstance_type = \"m5.large\"\ncount = 50\nspot_instance_draining = true\nreplacement_delay = \"1m\"",
    ) + &app(256, 512, "", "")
        + &service("web", 20, "")
        + "[[faults]]\nkind = \"spot_interruptions\"\nmtbf = \"2d\"\n";
    let r = run(&toml);
    let notices = log_of(&r, "SPOT_INTERRUPTION_NOTICE").len();
    assert!((10..=45).contains(&notices), "{notices} notices for ~50 x (1 - e^-0.5) + replacements");
    assert_eq!(log_of(&r, "INSTANCE_TERMINATED").len(), notices);
}

/// A DAEMON service (monitoring agent) beside a replica service.
fn with_daemon(instances: u32, events: &str) -> String {
    cluster(
        "1h",
        &["us-east-1a", "us-east-1b"],
        &format!("name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = {instances}\nlaunch_time = \"1m\""),
    ) + &app(512, 1024, "", "")
        + "[[task_definitions]]\nfamily = \"agent\"\ncpu = \"128\"\nmemory = \"256\"\nbehavior = { image_pull = \"5s\", startup = \"1s\" }\n"
        + "containerDefinitions = [{ name = \"agent\", image = \"datadog/agent:7\", essential = true }]\n"
        + "[[services]]\nserviceName = \"agent\"\ntaskDefinition = \"agent\"\nschedulingStrategy = \"DAEMON\"\n"
        + &service("web", 6, "")
        + events
}

/// One daemon task per instance; a new instance gets its daemon task.
#[test]
fn e_i2_daemon_runs_on_every_instance() {
    let toml = with_daemon(3, "[[events]]\nat = \"10m\"\naction = \"add_instances\"\ngroup = \"fleet\"\ncount = 1\n");
    let mut s = sim(&toml);
    assert_eq!(healthy_at(&mut s, "agent", 100.0), 3);
    assert_eq!(s.service("agent").unwrap().desired_count, 3);
    sim_step(&mut s, 660.0);
    let f4 = s.cluster().find_instance("fleet-4").unwrap();
    let on_f4: Vec<_> = s.state().tasks().iter().filter(|t| t.instance == f4).map(|t| t.name.clone()).collect();
    assert_eq!(on_f4[0], "agent-4", "the daemon task is the first task on a new instance");
    assert_eq!(s.service("agent").unwrap().desired_count, 4);
    assert_eq!(healthy_at(&mut s, "agent", 720.0), 4);
}

fn sim_step(s: &mut ecsim::sim::Simulation, t: f64) {
    s.run_until(at_s(t)).unwrap();
}

/// E-I2: a DRAINING instance: the replica tasks go first, the daemon task last.
#[test]
fn e_i2_daemon_task_stops_last_on_a_draining_instance() {
    let r = run(&with_daemon(3, "[[events]]\nat = \"10m\"\naction = \"drain_instances\"\ninstances = [\"fleet-1\"]\n"));
    let stops: Vec<(u64, &str)> = r
        .log
        .iter()
        .filter(|(_, e)| e.kind == "TASK_STOPPED" && e.instance == "fleet-1")
        .map(|(t, e)| (t.0, e.service.as_str()))
        .collect();
    assert!(stops.len() >= 2);
    assert_eq!(stops.last().unwrap().1, "agent", "{stops:?}");
    assert!(stops[..stops.len() - 1].iter().all(|(_, s)| *s == "web"));
    assert_eq!(r.rows.iter().rfind(|row| row.service.0 == 0).unwrap().values.desired, 2);
}

/// A daemon deployment with minimumHealthyPercent 50: at most half the instances lose their
/// daemon task at a time.
#[test]
fn daemon_deployment_respects_minimum_healthy() {
    let toml = with_daemon(4, "").replace(
        "schedulingStrategy = \"DAEMON\"\n",
        "schedulingStrategy = \"DAEMON\"\ndeploymentConfiguration = { minimumHealthyPercent = 50 }\n",
    ) + "[[task_definitions]]\nfamily = \"agent\"\ncpu = \"128\"\nmemory = \"256\"\nbehavior = { image_pull = \"5s\", startup = \"1s\" }\n"
        + "containerDefinitions = [{ name = \"agent\", image = \"datadog/agent:7.1\", essential = true }]\n"
        + "[[events]]\nat = \"10m\"\naction = \"update_service\"\nservice = \"agent\"\ntaskDefinition = \"agent:2\"\n";
    let toml = toml
        .replace("taskDefinition = \"agent\"\nschedulingStrategy", "taskDefinition = \"agent:1\"\nschedulingStrategy");
    let r = run(&toml);
    let agent = &r.services[0];
    assert_eq!(agent.accum.min_healthy, Some(2));
    assert_eq!(agent.deployments[1].rollout_state, "COMPLETED");
}

/// Tasks start in one zone (the others have no instances yet); instances arrive in the other
/// zones at 10 minutes (registered at 11).
fn lopsided(desired: u32, zones: &[&str], service_extra: &str) -> String {
    let mut toml = format!(
        "[scenario]\nduration = \"1h\"\n[cluster]\nzones = [{}]\n",
        zones.iter().map(|z| format!("{z:?}")).collect::<Vec<_>>().join(", ")
    );
    for (i, z) in zones.iter().enumerate() {
        let count = if i == 0 { 3 } else { 0 };
        toml += &format!(
            "[[instance_groups]]\nname = \"g{i}\"\ninstance_type = \"m5.large\"\ncount = {count}\nzones = [{z:?}]\nlaunch_time = \"1m\"\n"
        );
    }
    toml += &app(256, 512, "", "");
    toml += &service("web", desired, service_extra);
    for i in 1..zones.len() {
        toml += &format!("[[events]]\nat = \"10m\"\naction = \"add_instances\"\ngroup = \"g{i}\"\ncount = 1\n");
    }
    toml
}

fn zone_counts(sim: &ecsim::sim::Simulation) -> Vec<u32> {
    let mut v = vec![0; sim.cluster().zones.len()];
    for t in sim.state().tasks().iter().filter(|t| t.counts().live) {
        v[t.zone.index()] += 1;
    }
    v
}

/// E-Z1: D=2, {2,0}: start one in the empty zone, wait until healthy, stop one in the full zone.
#[test]
fn e_z1_rebalancing_two_zones() {
    let mut sim = sim(&lopsided(2, &["us-east-1a", "us-east-1b"], ""));
    sim.run_until(at_s(659.0)).unwrap();
    assert_eq!(zone_counts(&sim), [2, 0]);
    sim.run_until(at_s(660.0)).unwrap();
    assert_eq!(zone_counts(&sim), [2, 1], "the new task first");
    sim.run_until(at_s(714.999)).unwrap();
    assert_eq!(zone_counts(&sim), [2, 1]);
    sim.run_until(at_s(715.0)).unwrap();
    assert_eq!(zone_counts(&sim), [1, 1], "then one stops in the full zone, once the new one is healthy");
    let r = sim.run().unwrap();
    let kinds: Vec<&str> = r
        .log
        .iter()
        .filter(|(t, _)| t.0 >= 660_000)
        .map(|(_, e)| e.kind)
        .filter(|k| k.contains("REBALANCING") || k.starts_with("SERVICE_TASKS"))
        .collect();
    assert_eq!(
        kinds,
        [
            "SERVICE_REBALANCING_STARTED",
            "SERVICE_TASKS_STARTED",
            "SERVICE_TASKS_STOPPED",
            "SERVICE_REBALANCING_COMPLETED"
        ]
    );
    assert_eq!(r.services[0].accum.min_healthy, Some(2));
}

/// E-Z2: D=5 over 3 zones ends as {1,2,2} in some order.
#[test]
fn e_z2_five_tasks_three_zones() {
    let mut sim = sim(&lopsided(5, &["us-east-1a", "us-east-1b", "us-east-1c"], ""));
    sim.run_until(at_s(3000.0)).unwrap();
    let mut counts = zone_counts(&sim);
    counts.sort_unstable();
    assert_eq!(counts, [1, 2, 2]);
}

/// E-Z3: maximumPercent 100, or an AZ constraint, or rebalancing DISABLED: nothing moves.
#[test]
fn e_z3_rebalancing_not_applicable() {
    for extra in [
        "deploymentConfiguration = { maximumPercent = 100 }",
        "placementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]\" }]",
        "availabilityZoneRebalancing = \"DISABLED\"",
        "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]",
    ] {
        let mut sim = sim(&lopsided(2, &["us-east-1a", "us-east-1b"], extra));
        sim.run_until(at_s(3000.0)).unwrap();
        assert_eq!(zone_counts(&sim), [2, 0], "{extra}");
    }
}

/// E-P2: awsvpc tasks use one ENI each: a c5.large (3 ENIs) takes 2; the 3rd fails with
/// RESOURCE:ENI; with trunking's limit of 10 all fit.
#[test]
fn e_p2_awsvpc_eni_limits() {
    let base = |limit: &str| {
        cluster("10m", &["us-east-1a"], &format!("name = \"g\"\ninstance_type = \"c5.large\"\ncount = 1\n{limit}"))
            + &app(128, 128, "{ containerPort = 80 }", "networkMode = \"awsvpc\"")
            + &service("web", 3, "")
    };
    let r = run(&base(""));
    assert_eq!(r.services[0].stats.tasks_started, 2);
    assert!(
        log_of(&r, "SERVICE_TASK_PLACEMENT_FAILURE")[0]
            .message
            .contains("has no elastic network interface left for an awsvpc task")
    );
    let r = run(&base("awsvpc_task_limit = 10"));
    assert_eq!(r.services[0].stats.tasks_started, 3);
}

fn two_instances(events: &str) -> String {
    cluster("1h", &["us-east-1a"], "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2")
        + &app(256, 512, "", "")
        + &service("web", 2, "")
        + events
}

/// E-I3: a disconnected agent: its tasks keep running and are not replaced; nothing new is placed
/// there until it reconnects.
#[test]
fn e_i3_agent_disconnect() {
    let toml = two_instances(
        "[[events]]\nat = \"10m\"\naction = \"disconnect_agent\"\ninstances = [\"fleet-1\"]\n\
         [[events]]\nat = \"15m\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = 3\n\
         [[events]]\nat = \"30m\"\naction = \"reconnect_agent\"\ninstances = [\"fleet-1\"]\n",
    );
    let mut s = sim(&toml);
    assert_eq!(healthy_at(&mut s, "web", 1000.0), 3, "the disconnected instance's task still counts");
    let f1 = s.cluster().find_instance("fleet-1").unwrap();
    assert_eq!(s.state().tasks().iter().filter(|t| t.instance == f1).count(), 1, "the scale-out avoided fleet-1");
    assert!(!s.cluster().instance(f1).agent_connected);
    s.run_until(at_s(1801.0)).unwrap();
    assert!(s.cluster().instance(f1).agent_connected);
}

/// E-I4: forced deregistration: the tasks are orphaned (STOPPED for ECS, with the documented
/// reason) and the service replaces them; the instance is not replaced.
#[test]
fn e_i4_forced_deregistration() {
    let toml =
        two_instances("[[events]]\nat = \"10m\"\naction = \"deregister_instances\"\ninstances = [\"fleet-1\"]\n")
            .replace("count = 2\n", "count = 2\nreplacement_delay = \"1m\"\n");
    let r = run(&toml);
    let stopped = log_of(&r, "TASK_STOPPED");
    assert!(stopped[0].message.contains("Container instance deregistration forced by user"), "{}", stopped[0].message);
    assert_eq!(r.rows.last().unwrap().values.healthy, 2);
    assert!(log_of(&r, "INSTANCE_REGISTERED").is_empty(), "a deregistered instance is still running: not replaced");
}

/// E-I5: EC2 stop: the instance stays ACTIVE with its agent disconnected and its tasks STOPPED;
/// on start it reconnects and takes tasks again.
#[test]
fn e_i5_stop_and_start() {
    let toml = two_instances(
        "[[events]]\nat = \"10m\"\naction = \"stop_instances\"\ninstances = [\"fleet-1\"]\n\
         [[events]]\nat = \"20m\"\naction = \"start_instances\"\ninstances = [\"fleet-1\"]\n",
    );
    let mut s = sim(&toml);
    s.run_until(at_s(600.0)).unwrap();
    let f1 = s.cluster().find_instance("fleet-1").unwrap();
    assert_eq!(s.cluster().instance(f1).status, InstanceStatus::Active);
    assert!(!s.cluster().instance(f1).agent_connected);
    assert!(s.cluster().instance(f1).tasks.is_empty());
    assert_eq!(healthy_at(&mut s, "web", 655.0), 2, "replaced on fleet-2");
    s.run_until(at_s(1201.0)).unwrap();
    assert!(s.cluster().instance(f1).agent_connected);
}

/// A scheduled retirement: drained at the notice (tasks move first), terminated at the deadline.
#[test]
fn retirement_notice_with_drain() {
    let toml = two_instances("[[events]]\nat = \"10m\"\naction = \"retirement_notice\"\ninstances = [\"fleet-1\"]\ndeadline = \"1h\"\ndrain = true\n")
        .replace("duration = \"1h\"", "duration = \"2h\"");
    let r = run(&toml);
    let t = r.log.iter().find(|(_, e)| e.kind == "INSTANCE_TERMINATED").unwrap();
    assert_eq!(t.0, at_s(4200.0));
    assert!(t.1.message.contains("it held 0 tasks"));
    assert_eq!(r.services[0].accum.min_healthy, Some(2), "min 100%: replaced before it stops, nothing lost");
}

/// EC2 Auto Scaling balances launches over the group's zones counting instances still booting:
/// three instances lost at once, one per zone, come back one per zone (they all went to the
/// first zone when only registered instances counted, and the fleet stayed lopsided).
#[test]
fn simultaneous_replacements_spread_over_the_zones() {
    let toml = cluster(
        "30m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 6\nreplacement_delay = \"1m\"\nlaunch_time = \"2m\"",
    ) + &app(256, 512, "", "")
        + &service("web", 3, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-1\", \"fleet-2\", \"fleet-3\"]\n";
    let mut s = sim(&toml);
    s.run_until(at_s(600.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [1, 1, 1], "fleet-1..3 were one per zone");
    // Lost at 10 min, replaced from 11 min, registered at 13 min.
    s.run_until(at_s(779.999)).unwrap();
    assert_eq!(instances_per_zone(&s), [1, 1, 1]);
    s.run_until(at_s(780.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [2, 2, 2], "one replacement per zone");
}

/// EC2 Auto Scaling's AZRebalance: zone a fails for 30 min, its two instances are replaced in b
/// and c (3 and 3); when a comes back the group launches there first (up to one instance over
/// its 6, 10 % rounded up) and terminates in the crowded zone once the launch registers, step by
/// step, until 2-2-2. Suspended (`az_rebalance = false`), the fleet stays 0-3-3.
#[test]
fn az_rebalance_launches_in_the_recovered_zone_then_terminates_in_the_crowded_one() {
    let toml = |rebalance: bool| {
        cluster(
            "1h",
            &["us-east-1a", "us-east-1b", "us-east-1c"],
            &format!(
                "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 6\nreplacement_delay = \"1m\"\nlaunch_time = \"2m\"\naz_rebalance = {rebalance}"
            ),
        ) + &app(256, 512, "", "")
            + &service("web", 3, "")
            + "[[events]]\nat = \"10m\"\naction = \"az_outage\"\nzone = \"us-east-1a\"\nduration = \"30m\"\n"
    };
    let mut s = sim(&toml(true));
    s.run_until(at_s(13.0 * 60.0)).unwrap();
    assert_eq!(
        instances_per_zone(&s),
        [0, 3, 3],
        "replaced in the zones that are up (lost at 10 min, registered at 13)"
    );
    s.run_until(at_s(41.0 * 60.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [0, 3, 3], "a is back at 40 min; the rebalancing launch is booting");
    s.run_until(at_s(42.0 * 60.0)).unwrap();
    assert_eq!(
        instances_per_zone(&s),
        [1, 2, 3],
        "registered in a at 42 min; one terminated in b (crowded, listed first)"
    );
    s.run_until(at_s(44.0 * 60.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [2, 2, 2], "the second step at 44 min");
    let r = s.run().unwrap();
    assert_eq!(r.log.iter().filter(|(_, e)| e.kind == "AZ_REBALANCE_LAUNCH").count(), 2);
    let terminated: Vec<_> = r
        .log
        .iter()
        .filter(|(_, e)| e.kind == "INSTANCE_TERMINATED" && e.message.contains("to rebalance Availability Zones"))
        .collect();
    assert_eq!(terminated.len(), 2);
    assert_eq!(r.services[0].accum.min_healthy.map(|h| h >= 1), Some(true));

    let mut s = sim(&toml(false));
    s.run_until(at_s(59.0 * 60.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [0, 3, 3], "AZRebalance suspended: the fleet stays lopsided");
}

/// An Auto Scaling group's sizes: adding instances stops at `max_size` (said in the log), and a
/// desired capacity outside min..max is refused with EC2's message.
#[test]
fn groups_stay_within_their_sizes() {
    let group =
        "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2\nmin_size = 1\nmax_size = 3\nlaunch_time = \"1m\"";
    let toml = cluster("30m", &["us-east-1a"], group)
        + &app(256, 512, "", "")
        + &service("web", 2, "")
        + "[[events]]\nat = \"5m\"\naction = \"add_instances\"\ngroup = \"fleet\"\ncount = 4\n";
    let mut s = sim(&toml);
    s.run_until(at_s(400.0)).unwrap();
    assert_eq!(s.cluster().live_instances().count(), 3, "one added, up to max_size 3");
    let r = s.run().unwrap();
    let capped = log_of(&r, "AUTO_SCALING_AT_MAX_SIZE");
    assert_eq!(capped[0].message, "Auto Scaling group fleet is at its maximum size 3: 1 of 4 instances added.");
    let bad = cluster("30m", &["us-east-1a"], &group.replace("count = 2", "count = 4"));
    let err = ecsim::scenario::load_str("bad.toml", &bad, None).unwrap_err().to_string();
    assert!(
        err.contains(
            "instance_groups[0].count: Desired capacity:4 must be between the specified min size:1 and max size:3"
        ),
        "{err}"
    );
}

/// Worked example 26: an instance whose status checks fail 100 s after launch is not replaced
/// within the group's health check grace period (300 s), and not before the impairment has
/// lasted the tolerance ([INFER] 4 min by default): replaced at max(100 + tolerance, 300). With
/// a 1-minute tolerance the grace period decides (300 s); without a grace period the tolerance
/// does (160 s).
#[test]
fn worked_example_26_asg_health_check_grace() {
    let scenario = |grace: &str, tolerance: &str| {
        cluster(
            "20m",
            &["us-east-1a", "us-east-1b"],
            &format!(
                "name = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 2\nreplacement_delay = \"0s\"\nlaunch_time = \"1m\"\nhealth_check_grace_period = \"{grace}\""
            ),
        ) + &format!("\n[settings]\nimpaired_instance_tolerance = \"{tolerance}\"\n")
            + &app(256, 512, "", "")
            + &service("web", 2, "")
            + "\n[[events]]\nat = \"100s\"\naction = \"impair_instances\"\ninstances = [\"fleet-1\"]\n"
    };
    let replaced_at = |toml: &str| {
        let r = run(toml);
        r.log
            .iter()
            .find(|(_, e)| e.kind == "INSTANCE_TERMINATED" && e.instance == "fleet-1")
            .map(|(t, _)| t.as_secs_f64())
    };
    assert_eq!(replaced_at(&scenario("300s", "4m")), Some(340.0));
    assert_eq!(replaced_at(&scenario("300s", "1m")), Some(300.0), "not within the grace period");
    assert_eq!(replaced_at(&scenario("0s", "1m")), Some(160.0));
    // The group replaces it: two instances again once the new one registers.
    let mut sim = sim(&scenario("300s", "1m"));
    sim.run_until(at_s(300.0 + 60.0)).unwrap();
    assert_eq!(sim.cluster().group_live_instances()[0], 2);
}

/// Instances per zone and per type name of the group's live instances.
fn fleet_by_zone_and_type(s: &ecsim::sim::Simulation) -> Vec<(usize, String)> {
    let mut v: Vec<(usize, String)> =
        s.cluster().live_instances().map(|ci| (ci.zone.index(), ci.instance_type.clone())).collect();
    v.sort();
    v
}

/// A mixed instances group (m5.large first, then m5.xlarge, the `prioritized` order) of 6 over
/// three zones; EC2 runs out of m5.large in us-east-1a from 5 min for an hour (`extra` events
/// follow).
fn mixed(extra: &str) -> String {
    cluster(
        "2h",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"fleet\"\ninstance_types = [\"m5.large\", \"m5.xlarge\"]\ncount = 6\nreplacement_delay = \"1m\"\nlaunch_time = \"2m\"",
    ) + &app(256, 512, "", "")
        + &service("web", 3, "")
        + "[[events]]\nat = \"5m\"\naction = \"insufficient_capacity\"\ninstance_type = \"m5.large\"\nzone = \"us-east-1a\"\nduration = \"1h\"\n"
        + extra
}

/// InsufficientInstanceCapacity in one zone for the first type: the group's replacements in that
/// zone are its next type (m5.xlarge, registering 4,096 CPU units), the zone stays balanced, and
/// summary.json's instance-hours split by type: m5.xlarge ran 2 instances from 13 min to the end
/// (1 h 47 min each).
#[test]
fn a_mixed_group_launches_its_next_type_where_ec2_runs_short() {
    let toml =
        mixed("[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-1\", \"fleet-4\"]\n");
    let mut s = sim(&toml);
    s.run_until(at_s(599.0)).unwrap();
    let large = |z: usize| (z, "m5.large".to_string());
    assert_eq!(fleet_by_zone_and_type(&s), [large(0), large(0), large(1), large(1), large(2), large(2)]);
    // fleet-1 and fleet-4 are the two in us-east-1a; lost at 10 min, relaunched at 11, up at 13.
    s.run_until(at_s(780.0)).unwrap();
    let xlarge = |z: usize| (z, "m5.xlarge".to_string());
    assert_eq!(fleet_by_zone_and_type(&s), [xlarge(0), xlarge(0), large(1), large(1), large(2), large(2)]);
    let ci = s.cluster().live_instances().find(|ci| ci.instance_type == "m5.xlarge").unwrap();
    assert_eq!((ci.cpu_registered, ci.attribute("ecs.instance-type")), (4096, Some("m5.xlarge")));
    let r = s.run().unwrap();
    assert_eq!(log_of(&r, "INSUFFICIENT_CAPACITY").len(), 1);
    assert_eq!(log_of(&r, "CAPACITY_AVAILABLE").len(), 1);
    let g = &r.groups[0];
    let hours = |t: &str| g.instance_hours_by_type.iter().find(|(k, _)| k == t).unwrap().1;
    let xlarge_h = 2.0 * (7200.0 - 780.0) / 3600.0;
    assert!((hours("m5.xlarge") - xlarge_h).abs() < 1e-9, "{}", hours("m5.xlarge"));
    // m5.large: four all run, two until 10 min.
    let large_h = (4.0 * 7200.0 + 2.0 * 600.0) / 3600.0;
    assert!((hours("m5.large") - large_h).abs() < 1e-9, "{}", hours("m5.large"));
}

/// When EC2 has none of the group's types in a zone, the group launches in the other zones
/// (balanced between them); when the capacity returns, AZRebalance launches in the zone again
/// and terminates in the crowded ones until 2-2-2.
#[test]
fn with_no_type_left_in_a_zone_the_group_launches_elsewhere_and_rebalances_when_it_returns() {
    let toml = mixed(
        "[[events]]\nat = \"5m\"\naction = \"insufficient_capacity\"\ninstance_type = \"m5.xlarge\"\nzone = \"us-east-1a\"\nduration = \"1h\"\n\
         [[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"fleet-1\", \"fleet-4\"]\n",
    );
    let mut s = sim(&toml);
    s.run_until(at_s(780.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [0, 3, 3], "replaced in b and c, nothing to launch in a");
    // Capacity is back at 65 min: a rebalancing launch in a registers at 67, one in b goes.
    s.run_until(at_s(67.0 * 60.0 - 1.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [0, 3, 3]);
    s.run_until(at_s(67.0 * 60.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [1, 2, 3]);
    s.run_until(at_s(69.0 * 60.0)).unwrap();
    assert_eq!(instances_per_zone(&s), [2, 2, 2]);
    assert!(s.cluster().live_instances().all(|ci| ci.instance_type == "m5.large"), "m5.large is back in a too");
}

/// `allocation_strategy = "lowest-price"` launches the cheapest type by the user's [pricing]
/// (here m5.xlarge is priced below m5.large, so the group runs m5.xlarge); without a price for
/// every type it is refused.
#[test]
fn lowest_price_allocation_launches_the_cheapest_type() {
    let group = "name = \"fleet\"\ninstance_types = [\"m5.large\", \"m5.xlarge\"]\nallocation_strategy = \"lowest-price\"\ncount = 2";
    let base = cluster("10m", &["us-east-1a"], group) + &app(256, 512, "", "") + &service("web", 1, "");
    let priced = base.clone() + "[pricing]\ninstance_hour = { \"m5.large\" = 0.096, \"m5.xlarge\" = 0.05 }\n";
    let s = sim(&priced);
    assert!(s.cluster().live_instances().all(|ci| ci.instance_type == "m5.xlarge"));
    let unpriced = base + "[pricing]\ninstance_hour = { \"m5.large\" = 0.096 }\n";
    let err = ecsim::scenario::load_str("t.toml", &unpriced, None).unwrap_err().to_string();
    assert!(err.contains("instance_groups[0].allocation_strategy") && err.contains("no price for m5.xlarge"), "{err}");
}

/// Live instances in each of three zones.
fn instances_per_zone(s: &ecsim::sim::Simulation) -> [u32; 3] {
    let mut n = [0u32; 3];
    for ci in s.cluster().live_instances() {
        n[ci.zone.index()] += 1;
    }
    n
}

/// A cluster holds at most 5,000 container instances (SCHEDULING.md §2.6, not adjustable): two
/// instances an Auto Scaling group adds to a full cluster at 10 min boot at 11 min and fail to
/// register; their agents retry, so the group launches nothing in their place. When an instance
/// is terminated at 20 min the first of them registers at once; the replacement launched for the
/// terminated one (2 min later) boots at 23 min and waits in turn. The cluster never holds more
/// than 5,000.
#[test]
fn instances_past_the_quota_fail_to_register_and_wait_for_room() {
    let toml = "[scenario]\nduration = \"40m\"\n[cluster]\nzones = [\"us-east-1a\", \"us-east-1b\"]\n".to_string()
        + "[[instance_groups]]\nname = \"a\"\ninstance_type = \"m5.large\"\ncount = 4999\nlaunch_time = \"1m\"\nreplacement_delay = \"2m\"\n"
        + "[[instance_groups]]\nname = \"b\"\ninstance_type = \"m5.large\"\ncount = 1\nmax_size = 5\nlaunch_time = \"1m\"\n"
        + "[[events]]\nat = \"10m\"\naction = \"add_instances\"\ngroup = \"b\"\ncount = 2\n"
        + "[[events]]\nat = \"20m\"\naction = \"terminate_instances\"\ninstances = [\"a-1\"]\n";
    let mut s = sim(&toml);
    for t in [5.0, 10.5, 11.5, 19.9, 20.1, 25.0, 39.9] {
        s.run_until(at_s(t * 60.0)).unwrap();
        assert!(s.cluster().container_instances() <= 5_000, "{} at {t} min", s.cluster().container_instances());
    }
    assert_eq!(s.cluster().container_instances(), 5_000);
    assert_eq!(s.state().registrations_waiting().len(), 2, "b's second and a's replacement wait");
    let r = s.run().unwrap();
    let failed: Vec<f64> =
        r.log.iter().filter(|(_, e)| e.kind == "INSTANCE_REGISTRATION_FAILED").map(|(t, _)| t.as_secs_f64()).collect();
    assert_eq!(&failed[..2], &[660.0, 660.0], "both added instances fail when they boot");
    assert_eq!(failed.len(), 3, "and the terminated instance's replacement: {failed:?}");
    assert_eq!(failed[2], 1380.0);
    let registered_at_20 =
        r.log.iter().filter(|(t, e)| e.kind == "INSTANCE_REGISTERED" && t.as_secs_f64() == 1200.0).count();
    assert_eq!(registered_at_20, 1, "the first waiting instance took the room");
}
