//! The discrete-event engine: integer simulated time, the (time, seq) event queue, named random
//! streams and the samplers built on them. Nothing here knows about ECS.

pub mod checks;
pub mod dist;
pub mod queue;
pub mod rng;
pub mod time;

pub use dist::Distribution;
pub use queue::{EventKey, EventQueue};
pub use rng::{SimRng, Stream};
pub use time::{SimDuration, SimTime};
