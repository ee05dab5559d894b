//! Sweeps as `ecsim sweep` does them, on a pool of 1 thread and of 2: the runs and their rows,
//! then aggregate.csv's statistics (bootstrap intervals included), without the files. Runs per
//! second and the speedup of 2 threads: 1,000 runs of the quickstart, and 2,000 of
//! compare-strategies (issue 15 asks 2 threads for at least 1.8x the 1-thread rate).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::{QUICKSTART, QUICKSTART_NAME, load_str};
use ecsim::sweep::{self, Variant};
use rayon::prelude::*;

const RUNS: u64 = 1000;

/// The allocator the `ecsim` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sweep_quickstart(c: &mut Criterion) {
    let scenario = load_str(QUICKSTART_NAME, QUICKSTART, None).expect("the quickstart loads");
    sweep_runs(c, "sweep_quickstart_1000_runs", &scenario, RUNS);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare-strategies.toml");
    let scenario = ecsim::scenario::load_file(&path).expect("compare-strategies loads");
    sweep_runs(c, "sweep_compare_strategies_2000_runs", &scenario, 2 * RUNS);
}

/// `runs` seeds of `scenario` on 1 thread and on 2.
fn sweep_runs(c: &mut Criterion, name: &str, scenario: &ecsim::scenario::Scenario, runs: u64) {
    let columns = sweep::columns(std::slice::from_ref(scenario));
    let variant = Variant { overrides: Vec::new() };
    let specs = sweep::run_list(1, 1..=runs, None);
    let header = sweep::header(&[], &[], &columns);
    let variants = [variant.clone()];
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(runs));
    group.sample_size(20);
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    let rows: Vec<Vec<String>> = specs
                        .par_iter()
                        .map(|s| sweep::run_row(*s, &variant, &[], scenario, &columns).expect("runs"))
                        .collect();
                    let aggregate = sweep::aggregate(&header, rows.into_iter().map(Ok::<_, ()>), &variants);
                    black_box(aggregate.expect("aggregates").rows)
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sweep_quickstart);
criterion_main!(benches);
