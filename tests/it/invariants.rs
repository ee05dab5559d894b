//! The checkers are trusted only once seen to fire: every named invariant is broken on purpose in
//! a real mid-run state and must be reported under its own name, and a clean run of the same
//! scenario must pass them all.

use crate::common::*;
use ecsim::invariants::NAMES;
use ecsim::sim::SimError;

const DAEMON: &str = include_str!("../../scenarios/daemon-monitoring-agent.toml");
const MANAGED: &str = include_str!("../../scenarios/managed-scaling-az-outage.toml");

/// The daemon scenario at 15 minutes: replica and daemon services, instances added after time
/// zero, tasks placed since; every invariant but the capacity providers' has something to break.
fn mid_run() -> ecsim::sim::Simulation {
    let mut s = sim(DAEMON);
    s.run_until(at_s(15.0 * 60.0)).unwrap_or_else(|e| panic!("the clean run must pass its checks: {e}"));
    s
}

/// The managed-scaling outage a second after the zone failed: tasks wait in PROVISIONING for the
/// group's replacement instances.
fn provisioning() -> ecsim::sim::Simulation {
    let mut s = sim(MANAGED);
    s.run_until(at_s(30.0 * 60.0 + 1.0)).unwrap_or_else(|e| panic!("the clean run must pass its checks: {e}"));
    assert!(s.state().provisioning_total() > 0);
    s
}

#[test]
fn every_invariant_fires_on_the_corruption_named_after_it() {
    for name in NAMES {
        let capacity = [
            "instance_counts_add_up",
            "type_counts_add_up",
            "provisioning_counts_add_up",
            "provider_tasks_match_tasks",
        ];
        let mut s = if capacity.contains(&name) { provisioning() } else { mid_run() };
        s.check_now().unwrap_or_else(|e| panic!("before corrupting {name}: {e}"));
        assert_eq!(s.corrupt(name), Ok(true), "{name}: this state offers something to corrupt");
        match s.check_now() {
            Err(SimError::Invariant { violation, .. }) => {
                assert_eq!(violation.name, name, "corrupting {name} was reported as {violation}")
            }
            other => panic!("corrupting {name} went unnoticed: {other:?}"),
        }
    }
}

#[test]
fn unknown_invariant_names_are_refused() {
    let mut s = mid_run();
    let err = s.corrupt("no_such_thing").unwrap_err();
    assert!(err.contains("no invariant named no_such_thing"), "{err}");
}

#[test]
fn the_clean_daemon_scenario_passes_every_check_to_the_end() {
    run(DAEMON);
}

#[test]
fn the_clean_managed_scaling_scenario_passes_every_check_to_the_end() {
    run(MANAGED);
}
