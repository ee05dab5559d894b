//! The bundled scenarios' key numbers: each file tells a story; these tests keep it true.

use std::path::Path;

use ecsim::observer::RunResult;
use ecsim::scenario::load_file;
use ecsim::sim::Simulation;

use crate::common::log_of;

fn run_bundled(name: &str) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    let mut s = load_file(&path).unwrap_or_else(|d| panic!("{d}"));
    s.settings.check_invariants = true;
    Simulation::new(&s, s.seed).run().unwrap_or_else(|e| panic!("{e}"))
}

/// Healthy tasks per revision (task definition index) at the end of the run, from the closing
/// rows of revisions.csv; revisions with none left out.
fn revision_healthy_at_end(r: &RunResult) -> Vec<(u32, u32)> {
    let end = ecsim::engine::SimTime(r.simulated.0);
    let mut v: Vec<(u32, u32)> = r
        .revision_rows
        .iter()
        .filter(|row| row.time == end && row.counts.healthy > 0)
        .map(|row| (row.counts.task_definition.0, row.counts.healthy))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn quickstart_survives_the_instance_failure() {
    let r = run_bundled("quickstart");
    let s = &r.services[0];
    assert_eq!(s.accum.availability(), 1.0);
    assert_eq!(s.accum.min_healthy, Some(2));
    assert_eq!(r.rows.last().unwrap().values.healthy, 4);
}

/// One task at a time: never fewer than 3 healthy, never more than 4 tasks, and it completes.
#[test]
fn rolling_deploy_replaces_one_task_at_a_time() {
    let r = run_bundled("rolling-deploy");
    let s = &r.services[0];
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.accum.min_healthy, Some(3));
    assert!(r.rows.iter().all(|row| row.values.running + row.values.pending <= 4));
    assert_eq!(s.deployments[1].rollout_state, "COMPLETED");
    let stops: Vec<_> = r.log.iter().filter(|(t, e)| t.0 >= 600_000 && e.kind == "SERVICE_TASKS_STOPPED").collect();
    assert_eq!(stops.len(), 4);
    assert!(stops.iter().all(|(_, e)| e.message.contains("has stopped 1 running task:")));
    assert_eq!(revision_healthy_at_end(&r), [(1, 4)]);
}

/// The same story in requests: the 3 old tasks serve all 300 a second (100 each, under their
/// 150), so not one request fails. With minimumHealthyPercent 0 every old task stops at once: the
/// load balancer has nothing healthy, routes nothing (503) until the new targets are unhealthy,
/// then fails open to them, and they cannot answer: more than half the requests fail until 1.43.
#[test]
fn bad_build_without_breaker_in_requests() {
    let r = run_bundled("bad-build-no-breaker");
    let o = r.requests[0].unwrap();
    assert!(o.offered() > 0.0);
    assert_eq!((o.served, o.no_target + o.dead_target + o.overload), (o.offered(), 0.0));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bad-build-no-breaker.toml");
    let text =
        std::fs::read_to_string(path).unwrap().replace("minimumHealthyPercent = 50", "minimumHealthyPercent = 0");
    let s = ecsim::scenario::load_str("min0.toml", &text, None).unwrap_or_else(|d| panic!("{d}"));
    let r = Simulation::new(&s, s.seed).run().unwrap();
    let o = r.requests[0].unwrap();
    assert!(o.served / o.offered() < 0.5, "{o:?}");
    assert!(o.no_target > 0.0 && o.dead_target > 0.0, "both 503s and fail-open 5xx: {o:?}");
}

/// The spike against the detection window: us-east-1a's 2 of 6 targets get a third of 300
/// requests/s for the 15-25 s their checks take to fail (between 1,500 and 2,500 requests); the
/// spike's 900 requests/s on 6 tasks of 100 fail 300 a second for 600 s: 180,000, a hundred times
/// more. In tasks, the service never had an outage.
#[test]
fn spike_during_az_outage_loses_more_to_overload_than_to_detection() {
    let r = run_bundled("spike-during-az-outage");
    let o = r.requests[0].unwrap();
    assert!((1500.0..=2500.0).contains(&o.dead_target), "{o:?}");
    assert!((o.overload - 180_000.0).abs() < 1e-6, "{o:?}");
    assert_eq!(o.no_target, 0.0);
    assert_eq!(r.services[0].accum.outage_ms, 0);
    // Minute by minute (the whole run, the ramp-up too): the spike's 10 minutes overload
    // 18,000 each, and the minutes hold at least the measured time's requests.
    let minutes = r.request_minutes[0].as_ref().unwrap();
    let offered: f64 = minutes.iter().map(|m| m.outcome.offered()).sum();
    assert!(offered >= o.offered() && (offered - 300.0 * 7200.0 - 600.0 * 600.0).abs() < 1e-6, "{offered}");
    let spike: Vec<f64> = minutes[40..50].iter().map(|m| m.outcome.overload).collect();
    assert!(spike.iter().all(|x| (x - 18_000.0).abs() < 1e-6), "{spike:?}");
}

/// The seeds' story: no outage, redundancy down to ceil(6 x 50%) = 3 until the good build.
#[test]
fn bad_build_without_breaker_costs_redundancy_not_uptime() {
    let r = run_bundled("bad-build-no-breaker");
    let s = &r.services[0];
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.accum.availability(), 1.0);
    assert_eq!(s.accum.min_healthy, Some(3));
    assert_eq!(s.deployments[1].rollout_state, "IN_PROGRESS", "never completes");
    assert!(s.deployments[1].failed_tasks > 100);
    assert_eq!(s.deployments[2].rollout_state, "COMPLETED", "the good build 1.43 fixes it");
    // Between the bad deployment settling and the fix, exactly 3 tasks serve.
    let mid = r.rows.iter().rfind(|row| row.time.0 < 7_200_000).unwrap();
    assert_eq!(mid.values.healthy, 3);
    assert!(s.stats.tasks_failed_to_start == 0, "ELB failures are not start failures: no throttle");
}

#[test]
fn bad_build_with_breaker_rolls_back_to_full_strength() {
    let r = run_bundled("bad-build-rollback");
    let s = &r.services[0];
    let (old, bad) = (&s.deployments[0], &s.deployments[1]);
    assert_eq!((bad.rollout_state, bad.rolled_back, bad.failed_tasks), ("FAILED", true, 3));
    assert_eq!((old.rollout_state, old.is_rollback), ("COMPLETED", true));
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.accum.min_healthy, Some(3));
    let last = r.rows.last().unwrap();
    assert_eq!((last.time.0, last.values.healthy), (r.simulated.0, 6), "the closing row");
    assert_eq!(revision_healthy_at_end(&r), [(0, 6)], "all on the old revision");
    let failed = r.log.iter().find(|(_, e)| e.kind == "SERVICE_DEPLOYMENT_FAILED").unwrap();
    assert!(
        failed.1.message.contains("ECS deployment circuit breaker: tasks failed health checks"),
        "{}",
        failed.1.message
    );
}

/// The planner's question: yes, `web` keeps at least 2 healthy tasks (3, in fact) and the
/// deployment completes on the surviving zones.
#[test]
fn deploy_during_az_outage_keeps_two_healthy_tasks() {
    let r = run_bundled("deploy-during-az-outage");
    let s = &r.services[0];
    assert!(s.accum.min_healthy.unwrap() >= 2);
    assert_eq!(s.accum.outage_ms, 0);
    assert_eq!(s.deployments[1].rollout_state, "COMPLETED");
    let outage = r.log.iter().find(|(_, e)| e.kind == "AZ_OUTAGE").unwrap().0;
    assert!(s.deployments[1].finished.unwrap() > outage, "the deployment finishes after the zone is lost");
}

#[test]
fn az_outage_spread_beats_binpack() {
    let r = run_bundled("az-outage");
    let (web, api) = (&r.services[0].accum, &r.services[1].accum);
    assert_eq!(web.min_healthy, Some(4), "spread: the zone held 2 of 6");
    assert!(api.min_healthy.unwrap() < web.min_healthy.unwrap(), "binpack concentrates the loss");
    assert_eq!(api.min_az_loss_margin, Some(0));
}

/// min 100% / max 200% keeps every task through three rounds of draining; min 50% / max 100%
/// drops to half.
#[test]
fn drain_for_maintenance_protects_the_min_100_service() {
    let r = run_bundled("drain-for-maintenance");
    let (web, worker) = (&r.services[0].accum, &r.services[1].accum);
    assert_eq!((web.min_healthy, web.degraded_ms), (Some(6), 0));
    assert_eq!(worker.min_healthy, Some(2));
    assert_eq!(r.log.iter().filter(|(_, e)| e.kind == "INSTANCE_DRAINING").count(), 6);
}

/// With Spot instance draining the two-minute notice is enough: no task is lost.
#[test]
fn spot_interruptions_with_draining_lose_nothing() {
    let r = run_bundled("spot-interruptions");
    assert!(r.log.iter().filter(|(_, e)| e.kind == "SPOT_INTERRUPTION_NOTICE").count() >= 2);
    let api = &r.services[0].accum;
    assert_eq!((api.min_healthy, api.degraded_ms), (Some(12), 0));
}

#[test]
fn daemon_monitoring_agent_follows_the_instances() {
    let r = run_bundled("daemon-monitoring-agent");
    let agent = &r.services[0];
    assert_eq!(agent.deployments[1].rollout_state, "COMPLETED");
    // 6 + 2 added - 1 drained - 1 failed.
    let last = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!((last.values.desired, last.values.healthy), (6, 6));
    assert!(agent.accum.min_healthy.unwrap() >= 3, "at most half without an agent during the rollout");
}

/// After the zone recovers, AZ rebalancing brings `web` back to 2 tasks per zone.
#[test]
fn az_outage_rebalances_after_recovery() {
    let r = run_bundled("az-outage");
    assert!(r.log.iter().any(|(_, e)| e.kind == "SERVICE_REBALANCING_COMPLETED" && e.service == "web"));
    assert!(!r.log.iter().any(|(_, e)| e.kind.contains("REBALANCING") && e.service == "api"));
    let web_last = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!((web_last.values.az_coverage, web_last.values.az_loss_margin), (3, 4));
}

/// Packing keeps every task on one instance: no loss margin at all, even when the outage misses
/// it; spreading keeps margins.
#[test]
fn strategies_trade_instances_for_redundancy() {
    let r = run_bundled("strategies");
    let m = |i: usize| {
        (r.services[i].accum.min_az_loss_margin.unwrap(), r.services[i].accum.min_instance_loss_margin.unwrap())
    };
    assert_eq!(m(0), (0, 0), "packed");
    assert!(m(1).0 >= 4 && m(1).1 >= 6, "spread {:?}", m(1));
    assert!(m(2).0 >= 4, "zonal-pack {:?}", m(2));
}

/// A full group with targetCapacity 100 must launch an instance for every new task of the
/// deployment (6, at the first datapoint after it) and gives them back after; with 80 the 2
/// spare instances take 2 new tasks at once and fewer tasks wait, for less long.
#[test]
fn managed_scaling_deploy_spare_capacity_shortens_the_wait() {
    let r = run_bundled("managed-scaling-deploy");
    let (tight, spare) = (&r.capacity_providers[0], &r.capacity_providers[1]);
    assert_eq!((tight.max_provisioning_tasks, tight.instances_launched, tight.instances_max), (6, 6, 12));
    assert_eq!(tight.instances_terminated, 6, "back to 6 after the deployment");
    assert!(spare.max_provisioning_tasks < tight.max_provisioning_tasks);
    assert!(spare.provisioning_wait_p95_s < tight.provisioning_wait_p95_s);
    let deployment_s = |s: usize| {
        let d = &r.services[s].deployments[1];
        d.finished.unwrap().since(d.started).as_secs_f64()
    };
    assert!(deployment_s(1) < deployment_s(0), "spare {} s, tight {} s", deployment_s(1), deployment_s(0));
    for s in &r.services {
        assert_eq!(s.accum.min_healthy, Some(6), "{}: minimumHealthyPercent 100 holds throughout", s.name);
    }
}

/// The zone's 4 tasks wait for the group's 2 replacement instances (launch time 3 min after the
/// first datapoint) and the service is whole again; the protected group stays in two zones.
#[test]
fn managed_scaling_az_outage_capacity_returns_with_the_replacements() {
    let r = run_bundled("managed-scaling-az-outage");
    let cp = &r.capacity_providers[0];
    assert_eq!(cp.max_provisioning_tasks, 4);
    assert_eq!(cp.provisioning_wait_max_s, 180.0, "the replacements launch at once and take 3 minutes");
    let outage = &r.disruptions[0];
    assert_eq!(outage.time_to_capacity_ms, Some(180_000), "instances back with the replacements");
    assert_eq!(r.services[0].accum.min_healthy, Some(8));
    assert!(r.log.iter().all(|(_, e)| e.kind != "AZ_REBALANCE_LAUNCH"));
}

/// With m5.large gone from the surviving zones, the group replaces the zone's 2 instances with
/// its second type, m5.xlarge, one in each (registered 3 min after the outage at 30 min); the 4
/// tasks start there, and the m5.xlarge run to the end: 2 x (3 h - 33 min) = 4.9 instance-hours,
/// costed at the scenario's prices beside the m5.large hours (6 x 30 min + 4 x 2.5 h = 13).
#[test]
fn insufficient_capacity_brings_the_second_type() {
    let r = run_bundled("insufficient-capacity");
    let registered: Vec<&str> = log_of(&r, "INSTANCE_REGISTERED").iter().map(|e| e.message.as_str()).collect();
    assert_eq!(registered.len(), 2, "{registered:?}");
    assert!(registered[0].contains("(m5.xlarge, us-east-1b)") && registered[1].contains("(m5.xlarge, us-east-1c)"));
    let g = &r.groups[0];
    assert_eq!(
        g.instance_hours_by_type,
        [("m5.large".to_string(), 13.0), ("m5.xlarge".to_string(), 2.0 * (10800.0 - 1980.0) / 3600.0)]
    );
    assert_eq!(r.services[0].accum.min_healthy, Some(8));
    let last = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!(last.values.healthy, 12);
}

/// scale-1k on a managed-scaling provider: with targetCapacity 90 the group grows to at least
/// ceil(1,000 / 0.9) = 1,112 instances (spread placement keeps every instance busy, so the spare
/// ones fill up too); no service is ever more than 4 % short. (Run without the per-event
/// invariant checks, which cost O(fleet) each: the property tests cover them.)
#[test]
fn scale_1k_managed_keeps_headroom() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/scale-1k-managed.toml");
    let s = load_file(&path).unwrap_or_else(|d| panic!("{d}"));
    let r = Simulation::new(&s, s.seed).run().unwrap_or_else(|e| panic!("{e}"));
    let cp = &r.capacity_providers[0];
    assert!(cp.scale_outs > 0);
    assert!(cp.instances_max >= 1_112, "{}", cp.instances_max);
    for s in &r.services {
        assert!(s.accum.min_healthy.unwrap() >= 480, "{}: {:?}", s.name, s.accum.min_healthy);
    }
}

/// The zone's 2 Fargate tasks are replaced in the two surviving subnets at once: the service
/// is short for about a minute (Fargate provisioning, pull, start, two health checks), never by
/// more than the 2 lost, and its tasks return to the zone after it recovers.
#[test]
fn fargate_az_outage_recovers_without_waiting_for_capacity() {
    let r = run_bundled("fargate-az-outage");
    let s = &r.services[0];
    assert_eq!(s.accum.min_healthy, Some(4));
    assert_eq!(s.accum.min_az_coverage, Some(2));
    let d = recovery_s(&r);
    assert!((40.0..120.0).contains(&d), "recovered in {d} s");
    let end = r.rows.iter().rfind(|row| row.service.0 == 0).unwrap();
    assert_eq!(end.values.az_coverage, 3, "back in three zones");
}

/// The longest time to recover of the run's disruptions, from the report's own computation.
fn recovery_s(r: &RunResult) -> f64 {
    let disruptions = &r.disruptions;
    disruptions
        .iter()
        .flat_map(|d| d.services.iter().filter_map(|x| x.time_to_recover_ms))
        .max()
        .map_or(f64::INFINITY, |ms| ms as f64 / 1000.0)
}

/// 4 on-demand tasks (base 2, then 1 in 4) and 6 on Spot; the 4 Spot tasks reclaimed while Spot
/// capacity is unavailable are not replaced until it returns, and none falls back to FARGATE.
#[test]
fn fargate_spot_mix_keeps_its_on_demand_share() {
    let r = run_bundled("fargate-spot-mix");
    let s = &r.services[0];
    assert_eq!(s.accum.min_healthy, Some(6), "10 less the 4 reclaimed in the window");
    let window_end = 70.0 * 60.0;
    let started_in_window = r.log.iter().filter(|(t, e)| {
        e.kind == "SERVICE_TASKS_STARTED" && t.as_secs_f64() > 40.0 * 60.0 && t.as_secs_f64() < window_end
    });
    assert_eq!(started_in_window.count(), 0, "no fallback to FARGATE");
    assert_eq!(crate::common::log_of(&r, "FARGATE_SPOT_INTERRUPTION").len(), 6);
    assert!(recovery_s(&r) < 30.0 * 60.0);
}

/// Time to capacity: the group replaces a lost instance after its replacement delay (5 min) and
/// the new one registers after its launch time (2 min): capacity is back 420 s after each loss.
#[test]
fn instance_failure_capacity_returns_after_replacement_and_launch() {
    let r = run_bundled("instance-failure");
    let d = r.disruptions.clone();
    assert!(!d.is_empty());
    for x in &d {
        assert_eq!(x.time_to_capacity_ms, Some(420_000), "{}", x.what);
    }
}

/// A day of target tracking on managed scaling. The 09:30 surge (x2.5) overloads both services
/// until target tracking acts: its high alarm needs three minutes above 60 %, so minutes 570 to
/// 572 overload on both, whatever the headroom; by the surge's end the overload is gone. The
/// headroom of `spare` (targetCapacity 70) places new tasks at once and loses fewer requests
/// than `tight` (100), whose tasks wait for instances, and pays for it in instance-hours. After
/// the evening the services scale back in.
#[test]
fn diurnal_autoscaling_headroom_trades_instance_hours_for_requests() {
    let r = run_bundled("diurnal-autoscaling");
    let (tight, spare) = (r.requests[0].unwrap(), r.requests[1].unwrap());
    for g in 0..2 {
        let minutes = r.request_minutes[g].as_ref().unwrap();
        assert!(minutes[570..573].iter().all(|m| m.outcome.overload > 0.0), "target group {g}: the alarm's 3 minutes");
        assert!(minutes[600..].iter().all(|m| m.outcome.overload == 0.0), "target group {g}: absorbed");
    }
    assert!(spare.overload < 0.7 * tight.overload, "{spare:?} against {tight:?}");
    assert_eq!((tight.no_target, tight.dead_target, spare.no_target, spare.dead_target), (0.0, 0.0, 0.0, 0.0));
    let hours: Vec<f64> = r.groups.iter().map(|g| g.instance_hours).collect();
    assert!(hours[1] > 1.2 * hours[0], "{hours:?}");
    for s in &r.services {
        let [out, inward, scheduled] = s.activities.unwrap();
        assert!(out >= 10 && inward >= 5 && scheduled == 0, "{}: {:?}", s.name, s.activities);
    }
    let last =
        |name: &str| r.rows.iter().rfind(|row| r.services[row.service.index()].name == name).unwrap().values.desired;
    assert!(last("tight") < 10 && last("spare") < 10);
}
