//! Randomness: one master seed split into named ChaCha8 streams (`set_stream`), so adding a new
//! random consumer never shifts the draws of the others.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The named streams. The numbers are part of the determinism contract: never renumber one,
/// only add new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Seeded stochastic instance failures.
    Failures = 1,
    /// Tie-breaks and the `random` strategy.
    Placement = 2,
    /// Image pull and container start times.
    Startup = 3,
    /// Container and target health behaviour.
    Health = 4,
    /// Run durations of tasks that finish on their own, and stop times.
    Runtime = 5,
    /// Choices made by timeline events ("terminate 2 instances in us-east-1a").
    Timeline = 6,
    /// Batch workload arrivals, sizes and run times.
    Workload = 7,
    /// A swarm sweep's draw of this run's parameters (`[[swarm]]`).
    Swarm = 8,
    /// A sweep's bootstrap resamples for confidence intervals (outside any run).
    Bootstrap = 9,
    /// Traffic noise: one sub-stream per traffic stream (`SimRng::substream`).
    Traffic = 10,
    /// Unit tests and benchmarks.
    Test = 99,
}

#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    pub fn new(master_seed: u64, stream: Stream) -> SimRng {
        let mut rng = ChaCha8Rng::seed_from_u64(master_seed);
        rng.set_stream(stream as u64);
        SimRng(rng)
    }

    /// Sub-stream `k` of `stream`: for consumers that come in numbers (one per traffic stream),
    /// each independent of the others and of how many there are.
    pub fn substream(master_seed: u64, stream: Stream, k: u32) -> SimRng {
        let mut rng = ChaCha8Rng::seed_from_u64(master_seed);
        rng.set_stream(((stream as u64) << 32) | u64::from(k));
        SimRng(rng)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Moves to where the `k`th `next_u64` from the stream's start is drawn: a consumer that
    /// reads the stream in fixed stretches can read them in any order, or in parallel, and
    /// draw exactly what it would have drawn in one pass.
    pub fn seek_u64(&mut self, k: u64) {
        self.0.set_word_pos(2 * u128::from(k));
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). `n == 0` returns 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SimRng::new(42, Stream::Placement);
                move |_| r.next_u64()
            })
            .collect();
        let mut r2 = SimRng::new(42, Stream::Placement);
        let b: Vec<u64> = (0..4).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = SimRng::new(42, Stream::Failures);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SimRng::new(1, Stream::Test);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }
}
