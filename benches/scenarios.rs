//! Whole runs of the large bundled scenarios (simulation only, no report files): a simulated day
//! of 1,000 instances and 10,000 tasks, on a fixed fleet, on a capacity provider with managed
//! scaling, and with load balancers, and a day of 100,000 batch jobs on 1,000 instances.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ecsim::scenario::load_file;
use ecsim::sim::Simulation;

fn whole_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulated_day");
    group.sample_size(10);
    for name in ["scale-1k", "scale-1k-managed", "scale-1k-lb", "batch-day-1k"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
        let scenario = load_file(&path).expect("bundled scenario loads");
        group.bench_function(name, |b| {
            b.iter(|| black_box(Simulation::new(&scenario, scenario.seed).run().expect("runs")))
        });
    }
    group.finish();
}

/// Placing the 10,000 tasks of static-placement-10k (all at time zero).
fn place_10k(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/static-placement-10k.toml");
    let scenario = load_file(&path).expect("bundled scenario loads");
    let mut group = c.benchmark_group("static_placement_10k");
    group.sample_size(10);
    group.bench_function("place_10000_tasks", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(&scenario, scenario.seed);
            sim.run_until(ecsim::engine::SimTime(1)).expect("runs");
            black_box(sim.state().tasks().len())
        })
    });
    group.finish();
}

criterion_group!(benches, whole_runs, place_10k);
criterion_main!(benches);
