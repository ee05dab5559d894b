//! Capacity providers with managed scaling (LOAD-BALANCING-AND-CAPACITY.md §2): tasks wait in
//! PROVISIONING, the CapacityProviderReservation datapoint each minute drives the Auto Scaling
//! group, and the worked examples 14-19 of §7 as stories with the numbers derived from the setup.

use crate::common::*;

/// m5.large: 2048 CPU units. Tasks launch 90 s after the group decides.
const LAUNCH_S: f64 = 90.0;
/// The app task: 10 s pull + 5 s start, healthy 40 s after RUNNING (no health checks).
const TO_HEALTHY_S: f64 = 15.0 + 40.0;

/// A cluster with one Auto Scaling group `asg` of `count` m5.large behind provider `asg-cp`
/// (`scaling`: the managedScaling fields besides status), service `web` of `desired` tasks of
/// `task_cpu` units on it, binpacked, and `extra` appended.
fn managed(count: u32, scaling: &str, provider_extra: &str, task_cpu: u32, desired: u32, extra: &str) -> String {
    let comma = if scaling.is_empty() { "" } else { ", " };
    format!(
        r#"[scenario]
duration = "2h"

[cluster]
zones = ["us-east-1a", "us-east-1b"]

[[instance_groups]]
name = "asg"
instance_type = "m5.large"
count = {count}
launch_time = "{LAUNCH_S}s"

[[capacity_providers]]
name = "asg-cp"
autoScalingGroupProvider = {{ autoScalingGroupArn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0f2c:autoScalingGroupName/asg", managedScaling = {{ status = "ENABLED"{comma}{scaling} }}{provider_extra} }}

[[task_definitions]]
family = "app"
cpu = "{task_cpu}"
memory = "512"
behavior = {{ image_pull = "10s", startup = "5s" }}
containerDefinitions = [{{ name = "app", image = "app:1", essential = true }}]

[[services]]
serviceName = "web"
taskDefinition = "app"
desiredCount = {desired}
capacityProviderStrategy = [{{ capacityProvider = "asg-cp", weight = 1 }}]
placementStrategy = [{{ type = "binpack", field = "cpu" }}]
{extra}"#
    )
}

fn set_desired(at: &str, n: u32) -> String {
    format!("\n[[events]]\nat = \"{at}\"\naction = \"update_service\"\nservice = \"web\"\ndesiredCount = {n}\n")
}

fn times_of(r: &ecsim::observer::RunResult, kind: &str) -> Vec<f64> {
    r.log.iter().filter(|(_, e)| e.kind == kind).map(|(t, _)| t.as_secs_f64()).collect()
}

/// Registered instances of the group.
fn instances(sim: &ecsim::sim::Simulation) -> u32 {
    sim.cluster().group_live_instances()[0]
}

/// Example 14, from zero: an empty group and 4 tasks of half an instance each. The tasks wait in
/// PROVISIONING; the first datapoint (t = 60 s) reads 200 % (need, no instances) and the group
/// goes to 2; the tasks are placed when the instances register and are healthy 55 s later.
#[test]
fn worked_example_14_first_scale_out_from_zero_is_to_two() {
    let toml = managed(0, "targetCapacity = 100", "", 1024, 4, "");
    let mut sim = sim(&toml);
    sim.run_until(at_s(59.0)).unwrap();
    assert_eq!(sim.state().services()[0].provisioning.len(), 4, "all four wait in PROVISIONING");
    assert_eq!(sim.state().group_desired()[0], 0);
    sim.run_until(at_s(60.0)).unwrap();
    assert_eq!(sim.state().group_desired()[0], 2, "CPR 200 from zero: desired 2");
    let registered = 60.0 + LAUNCH_S;
    assert_eq!(healthy_at(&mut sim, "web", registered + TO_HEALTHY_S - 1.0), 0);
    assert_eq!(healthy_at(&mut sim, "web", registered + TO_HEALTHY_S), 4);
    assert_eq!(instances(&sim), 2);
    let r = sim.run().unwrap();
    let cp = &r.capacity_providers[0];
    assert_eq!((cp.scale_outs, cp.instances_launched, cp.instances_max), (1, 2, 2));
    assert_eq!(cp.provisioned_tasks, 4);
    assert_eq!(cp.provisioning_wait_max_s, registered, "every task waited from 0 to registration");
    assert_eq!(cp.max_provisioning_tasks, 4);
    assert_eq!(times_of(&r, "MANAGED_SCALING_SCALE_OUT"), [60.0]);
    // Once full, the metric sits at its target: no scale-in, no further datapoints needed.
    assert_eq!(cp.scale_ins, 0);
    assert_eq!(cp.rows.last().unwrap().1.cpr_hundredths, 10_000);
}

/// Example 14, N = 4 and M = 6: 4 full instances (8 tasks of half an instance); at 10 min the
/// service goes to 12. The 4 new tasks need 2 instances: CPR = 6 / 4 = 150 % and the group goes
/// to ceil(4 x 150 / 100) = 6 at the next datapoint. At 40 min the service goes back to 8:
/// binpacking leaves 2 instances empty, CPR = 4 / 6 = 67 %, and after 15 datapoints below target
/// the 2 empty ones (and only they: managed termination protection) are terminated.
#[test]
fn worked_example_14_scale_out_to_6_then_in_to_4_empty_instances_only() {
    let toml = managed(4, "", ", managedTerminationProtection = \"ENABLED\"", 1024, 8, "")
        + &set_desired("10m", 12)
        + &set_desired("40m", 8);
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(sim.state().services()[0].provisioning.len(), 4);
    sim.run_until(at_s(660.0)).unwrap();
    assert_eq!(sim.state().group_desired()[0], 6);
    assert_eq!(healthy_at(&mut sim, "web", 660.0 + LAUNCH_S + TO_HEALTHY_S), 12);
    let r = sim.run().unwrap();
    let cp = &r.capacity_providers[0];
    let outs = times_of(&r, "MANAGED_SCALING_SCALE_OUT");
    assert_eq!(outs, [660.0]);
    let ins = times_of(&r, "MANAGED_SCALING_SCALE_IN");
    assert_eq!(ins.len(), 1, "one step: 6 to 4 is less than half");
    // The first datapoint below target after the scale-in of the service, then 14 more.
    let first_below =
        cp.rows.iter().find(|(t, row)| t.as_secs_f64() > 2400.0 && row.cpr_hundredths < 10_000).unwrap().0;
    assert_eq!(ins[0], first_below.as_secs_f64() + 14.0 * 60.0);
    assert_eq!((cp.instances_terminated, cp.instances_min, cp.instances_max), (2, 4, 6));
    // No task died with an instance, and the service never dipped below 8 after the scale-in.
    assert!(r.log.iter().all(|(_, e)| !e.message.contains("Host EC2")), "a busy instance was terminated");
    let after: Vec<u32> =
        r.rows.iter().filter(|row| row.time.as_secs_f64() > 2460.0).map(|row| row.values.healthy).collect();
    assert!(after.iter().all(|&h| h >= 8), "{after:?}");
}

/// Example 15: targetCapacity 80 with 6 instances each full of one task: CPR 100 > 80, so the
/// group goes to ceil(6 / 0.8) = 8 and the 2 extra instances stay empty as headroom: the metric
/// is then 75 %, below target, but scaling in would ask for 8 again, so nothing is removed.
#[test]
fn worked_example_15_target_80_keeps_two_empty_instances() {
    let toml = managed(6, "targetCapacity = 80", "", 2048, 6, "");
    let r = run(&toml);
    let cp = &r.capacity_providers[0];
    assert_eq!((cp.scale_outs, cp.instances_launched, cp.scale_ins), (1, 2, 0));
    assert_eq!(cp.rows.last().unwrap().1.instances, 8);
    assert_eq!(cp.rows.last().unwrap().1.cpr_hundredths, 7_500);
}

/// Example 16, maximum step 2: 5 tasks of a whole instance each on an empty group. From zero the
/// first step is 2 (at 60 s); then no scale-out while those warm up (300 s): +2 at 360 s, and
/// the last +1 at 660 s, each once the previous step's instances are past their warm-up.
#[test]
fn worked_example_16_maximum_step_and_warmup() {
    let toml = managed(0, "maximumScalingStepSize = 2, instanceWarmupPeriod = 300", "", 2048, 5, "");
    let r = run(&toml);
    assert_eq!(times_of(&r, "MANAGED_SCALING_SCALE_OUT"), [60.0, 360.0, 660.0]);
    let cp = &r.capacity_providers[0];
    assert_eq!((cp.instances_launched, cp.instances_max, cp.provisioned_tasks), (5, 5, 5));
    // The last task waited for the third step's instance.
    assert_eq!(cp.provisioning_wait_max_s, 660.0 + LAUNCH_S);
}

/// Example 16, minimum step 3: one more task needing one more instance launches 3.
#[test]
fn worked_example_16_minimum_step() {
    let toml = managed(2, "minimumScalingStepSize = 3", "", 2048, 2, "") + &set_desired("10m", 3);
    let mut sim = sim(&toml);
    sim.run_until(at_s(660.0)).unwrap();
    assert_eq!(sim.state().group_desired()[0], 5, "2 + a step of 3");
}

/// Example 17: a task of 4 vCPU on a group of m5.large (2 vCPU) is not compatible: it stays in
/// PROVISIONING, triggers no scale-out, and is stopped after the provisioning timeout (30 min).
#[test]
fn worked_example_17_oversized_task_waits_and_times_out() {
    let toml = managed(1, "", "", 4096, 1, "");
    let r = run(&toml);
    let cp = &r.capacity_providers[0];
    assert_eq!(cp.scale_outs, 0);
    let timeouts = times_of(&r, "SERVICE_TASK_PROVISIONING_TIMEOUT");
    assert_eq!(timeouts[0], 1800.0, "30 minutes in PROVISIONING");
    assert!(cp.provisioning_given_up >= 1);
    assert!(r.services[0].stats.tasks_failed_to_start >= 1);
}

/// Example 17 as written: the group has m5.large (2 vCPU) and m5.4xlarge (16 vCPU). The 4-vCPU
/// task does not fit the smallest type, so it is not compatible although an m5.4xlarge could run
/// it: no scale-out, PROVISIONING until the timeout.
#[test]
fn worked_example_17_with_the_smallest_and_largest_types() {
    let mixed =
        |toml: String| toml.replace("instance_type = \"m5.large\"", "instance_types = [\"m5.large\", \"m5.4xlarge\"]");
    let r = run(&mixed(managed(1, "", "", 4096, 1, "")));
    let cp = &r.capacity_providers[0];
    assert_eq!((cp.scale_outs, cp.instances_max), (0, 1));
    assert_eq!(times_of(&r, "SERVICE_TASK_PROVISIONING_TIMEOUT")[0], 1800.0);
    // Compatible tasks are counted on the largest type (§2.3 step 4): 9 tasks of 512 units on one
    // m5.large (4 fit) leave 5 PROVISIONING; on an m5.4xlarge (32 fit) they need 1 instance, so
    // the first datapoint asks for M = 1 busy + 1 = 2 and the group grows by one (an m5.large:
    // the prioritized type). A group of m5.large alone needs ceil(5 / 4) = 2 and grows by two.
    for (toml, grows_to) in [(mixed(managed(1, "", "", 512, 9, "")), 2), (managed(1, "", "", 512, 9, ""), 3)] {
        let mut sim = sim(&toml);
        sim.run_until(at_s(59.0)).unwrap();
        assert_eq!(sim.state().services()[0].provisioning.len(), 5);
        sim.run_until(at_s(60.0)).unwrap();
        assert_eq!(sim.state().group_desired()[0], grows_to);
        sim.run_until(at_s(60.0 + LAUNCH_S)).unwrap();
        assert!(sim.cluster().live_instances().all(|ci| ci.instance_type == "m5.large"));
    }
}

/// Example 18: 600 tasks on an empty cluster: 500 enter PROVISIONING (the quota), the other 100
/// fail to place and are retried; all 600 run once the group has grown.
#[test]
fn worked_example_18_provisioning_quota_of_500() {
    let toml = managed(0, "", "", 1024, 600, "").replace("duration = \"2h\"", "duration = \"1h\"");
    let mut sim = sim(&toml);
    sim.run_until(at_s(0.0)).unwrap();
    assert_eq!(sim.state().services()[0].provisioning.len(), 500);
    assert_eq!(sim.state().provisioning_total(), 500);
    let r = sim.run().unwrap();
    assert!(r.services[0].stats.placement_failures >= 1, "the 100 beyond the quota could not be placed");
    assert_eq!(r.capacity_providers[0].max_provisioning_tasks, 500);
    let last = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!(last.values.healthy, 600);
    assert_eq!(r.capacity_providers[0].instances_max, 300, "two tasks per instance");
}

/// Example 19: A (base 2, weight 1) and B (weight 3), 10 tasks: A runs 4, B runs 6, each on its
/// own group's instances.
#[test]
fn worked_example_19_strategy_base_and_weights() {
    let toml = TWO_PROVIDERS.to_string()
        + r#"
[[task_definitions]]
family = "app"
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "app:1", essential = true }]

[[services]]
serviceName = "web"
taskDefinition = "app"
desiredCount = 10
capacityProviderStrategy = [{ capacityProvider = "cp-a", base = 2, weight = 1 }, { capacityProvider = "cp-b", weight = 3 }]
"#;
    let sim = {
        let mut s = sim(&toml);
        s.run_until(at_s(1.0)).unwrap();
        s
    };
    assert_eq!((live_on_group(&sim, "a"), live_on_group(&sim, "b")), (4, 6));
    assert_eq!(sim.state().services()[0].provider_tasks, [4, 6]);
}

/// Scale-in without termination protection but with managed draining (the default): the group
/// picks instances that still run tasks; each goes DRAINING first, its tasks are replaced
/// elsewhere, and it terminates once empty, so the service keeps its healthy count.
#[test]
fn managed_draining_moves_tasks_before_scale_in_terminates() {
    // 4 tasks spread over 4 instances (spread by instance): after the service halves, binpacking
    // is not used, so every instance still holds a task when the group scales in.
    let toml = managed(4, "", "", 512, 4, "").replace(
        "placementStrategy = [{ type = \"binpack\", field = \"cpu\" }]",
        "placementStrategy = [{ type = \"spread\", field = \"instanceId\" }]",
    ) + &set_desired("10m", 2);
    let r = run(&toml);
    let cp = &r.capacity_providers[0];
    assert_eq!(cp.instances_terminated, 2, "CPR 2 / 4: the group goes to 2");
    assert!(r.log.iter().all(|(_, e)| !e.message.contains("Host EC2")), "a task died with its instance");
    let after: Vec<u32> =
        r.rows.iter().filter(|row| row.time.as_secs_f64() > 660.0).map(|row| row.values.healthy).collect();
    assert!(after.iter().all(|&h| h >= 2), "{after:?}");
    assert_eq!(log_of(&r, "INSTANCE_DRAINING").len(), 2);
}

/// An Availability Zone outage: the group replaces its lost instances in the surviving zone, and
/// the tasks that lost their instances wait in PROVISIONING until those register.
#[test]
fn az_outage_tasks_wait_for_the_groups_replacements() {
    let toml = managed(4, "", "", 1024, 8, "")
        + "\n[[events]]\nat = \"10m\"\naction = \"az_outage\"\nzone = \"us-east-1a\"\nduration = \"30m\"\n";
    let mut sim = sim(&toml);
    sim.run_until(at_s(600.0)).unwrap();
    assert_eq!(instances(&sim), 2);
    assert_eq!(sim.state().services()[0].provisioning.len(), 4, "the 4 tasks of the lost zone wait");
    // Replacements launch at once and register after the launch time; tasks are healthy 55 s on.
    assert_eq!(healthy_at(&mut sim, "web", 600.0 + LAUNCH_S + TO_HEALTHY_S), 8);
    assert_eq!(instances(&sim), 4);
}

const OUTAGE: &str = include_str!("../../scenarios/managed-scaling-az-outage.toml");

/// After the zone is back: with managed termination protection every instance runs tasks, so
/// AZRebalance has nothing it may terminate and launches nothing; without it, it launches in the
/// empty zone and drains an instance of a crowded zone before terminating it, twice, until the
/// zones hold 2 instances each, and no task dies with an instance.
#[test]
fn zone_recovery_rebalances_through_managed_draining_unless_protected() {
    let r = run(OUTAGE);
    assert!(log_of(&r, "AZ_REBALANCE_LAUNCH").is_empty());
    let r =
        run(&OUTAGE
            .replace("managedTerminationProtection = \"ENABLED\"", "managedTerminationProtection = \"DISABLED\""));
    assert_eq!(log_of(&r, "AZ_REBALANCE_LAUNCH").len(), 2);
    let drained: Vec<_> = log_of(&r, "INSTANCE_DRAINING");
    assert_eq!(drained.len(), 2);
    assert!(r.log.iter().all(|(t, e)| t.as_secs_f64() < 4500.0 || !e.message.contains("Host EC2")));
    assert!(
        r.rows.iter().filter(|row| row.time.as_secs_f64() > 4500.0).all(|row| row.values.healthy >= 12),
        "draining replaced the tasks start-first"
    );
}
