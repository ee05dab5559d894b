//! A 1,000-run sweep of the quickstart (the runs and their rows, as `ecsim sweep` does them) on
//! a pool of 1 thread and of 2: runs per second and the speedup of whole runs in parallel.

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
    let columns = sweep::columns(std::slice::from_ref(&scenario));
    let variant = Variant { overrides: Vec::new() };
    let specs = sweep::run_list(1, 1..=RUNS, None);
    let mut group = c.benchmark_group("sweep_quickstart_1000_runs");
    group.throughput(Throughput::Elements(RUNS));
    group.sample_size(20);
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| {
                let rows: Vec<Vec<String>> = pool.install(|| {
                    specs
                        .par_iter()
                        .map(|s| sweep::run_row(*s, &variant, &[], &scenario, &columns).expect("runs"))
                        .collect()
                });
                black_box(rows)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sweep_quickstart);
criterion_main!(benches);
