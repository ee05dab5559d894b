//! The control plane's unit costs on a full-size cluster (issue 15): one reconcile of a
//! 1,000-task service in the middle of its rolling deployment, and one observer flush of an
//! instant that touched one service of fifty. Both should cost what the step touches, not the
//! size of the service or the fleet: compare the 1,000-task figures with the 100-task ones.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use ecsim::control_plane::{Ctx, Rngs};
use ecsim::engine::{EventQueue, SimTime};
use ecsim::ids::ServiceId;
use ecsim::observer::{History, LogEntry, Notice, Observer, RevisionRow, Row, TargetGroupRow};
use ecsim::sim::Simulation;

/// A fleet of `instances` with services of `tasks` tasks (the generator of the full-size
/// scenario), its first service's daily deployment at 30 min.
fn fleet(instances: u64, tasks: u64) -> ecsim::scenario::Scenario {
    let text = fleet_scenario::scenario(instances, 50, tasks, 1);
    ecsim::scenario::load_str("fleet.toml", &text, None).expect("the generated scenario loads")
}

#[path = "fleet_scenario.rs"]
#[allow(dead_code)]
mod fleet_scenario;

/// One reconcile of the first service while its deployment is rolling, with nothing left for
/// the step to do (its cost should not follow the size of the service), on a copy of the state
/// each time that has just run the same step (the copy and that step are not timed: the timed
/// one reads warm state).
fn reconcile(c: &mut Criterion) {
    let mut group = c.benchmark_group("reconcile_mid_deployment");
    group.sample_size(20);
    for (instances, tasks) in [(500u64, 100u64), (5000, 1000)] {
        let scenario = fleet(instances, tasks);
        let mut sim = Simulation::new(&scenario, scenario.seed);
        // The first service's deployment starts at 30 min; a few minutes in, it is rolling.
        sim.run_until(SimTime(34 * 60_000)).expect("runs");
        let state = sim.state().clone();
        let now = sim.now();
        let fresh = || (EventQueue::with_capacity(1024), Rngs::new(1), Vec::<Notice>::new());
        let step = |st: &mut ecsim::control_plane::State,
                    (mut queue, mut rng, mut notices): (EventQueue<_>, Rngs, Vec<Notice>)| {
            let mut ctx = Ctx { now, queue: &mut queue, rng: &mut rng, notices: &mut notices };
            st.reconcile(&mut ctx, ServiceId(0));
            notices.len()
        };
        let mut settled = state.clone();
        let notices = step(&mut settled, fresh());
        eprintln!("{tasks} tasks per service: the step reports {notices} changes");
        group.bench_with_input(BenchmarkId::new("tasks", tasks), &tasks, |b, _| {
            b.iter_batched(
                || {
                    // Warm: the step once more, untimed, so the timed one reads cached state.
                    let mut st = settled.clone();
                    step(&mut st, fresh());
                    (st, fresh())
                },
                |(mut st, f)| {
                    let n = step(&mut st, f);
                    (st, n)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// A history that keeps nothing: the flush's own cost.
struct Discard;

impl History for Discard {
    fn row(&mut self, row: Row) {
        black_box(row);
    }
    fn revision_row(&mut self, row: RevisionRow) {
        black_box(row);
    }
    fn target_group_row(&mut self, row: TargetGroupRow) {
        black_box(row);
    }
    fn log(&mut self, _time: SimTime, entry: LogEntry) {
        black_box(entry);
    }
}

/// One instant in which a task of one service of fifty became healthy: absorb its notices and
/// flush.
fn flush(c: &mut Criterion) {
    let mut group = c.benchmark_group("observer_flush_one_service");
    for (instances, tasks) in [(500u64, 100u64), (5000, 1000)] {
        let scenario = fleet(instances, tasks);
        let mut observer = Observer::with_history(&scenario, 1, Discard);
        observer.flush(SimTime::ZERO);
        let counts =
            |healthy: bool| ecsim::ecs::task::TaskCounts { live: true, running: true, healthy, ..Default::default() };
        // The service's tasks, live and healthy, one per instance in turn; each iteration one of
        // them turns unhealthy or healthy again.
        let notice = |k: u64, before: ecsim::ecs::task::TaskCounts, after| Notice::TaskCounts {
            service: ServiceId(7),
            instance: Some(ecsim::ids::InstanceId((k % instances) as u32)),
            zone: ecsim::ids::ZoneId((k % instances % 3) as u16),
            task_definition: ecsim::ids::TaskDefId(0),
            before,
            after,
        };
        let mut notices: Vec<Notice> = (0..tasks).map(|k| notice(k, Default::default(), counts(true))).collect();
        observer.absorb(SimTime(1), &mut notices);
        observer.flush(SimTime(1));
        let mut healthy = vec![true; tasks as usize];
        let mut t = 1_000u64;
        group.bench_with_input(BenchmarkId::new("tasks", tasks), &tasks, |b, _| {
            b.iter(|| {
                t += 1;
                let k = t % tasks;
                let h = &mut healthy[k as usize];
                notices.push(notice(k, counts(*h), counts(!*h)));
                *h = !*h;
                observer.absorb(SimTime(t), &mut notices);
                observer.flush(SimTime(t));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, reconcile, flush);
criterion_main!(benches);
