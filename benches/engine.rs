//! The event loop under the classic hold model: K events in flight; each pop schedules one more
//! at now + Exp(mean 1 s). Reported as events per second.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::{Distribution, EventQueue, SimDuration, SimRng, SimTime, Stream};

const OPS: u64 = 100_000;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold_model");
    group.throughput(Throughput::Elements(OPS));
    let exp = Distribution::Exponential { mean: SimDuration(1000) };
    for k in [1_000usize, 100_000] {
        let mut rng = SimRng::new(1, Stream::Test);
        let mut q: EventQueue<u32> = EventQueue::with_capacity(k + 1);
        for i in 0..k {
            q.schedule(SimTime(exp.sample(&mut rng).0), i as u32);
        }
        group.bench_with_input(BenchmarkId::from_parameter(k), &k, |b, _| {
            b.iter(|| {
                for _ in 0..OPS {
                    let (now, e) = q.pop().expect("K events stay in flight");
                    q.schedule(now.after(exp.sample(&mut rng)), black_box(e));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
