//! `[[swarm]]`: parameters a swarm sweep (`ecsim sweep --swarm`) draws for every run from the
//! run's seed, so that many seeds explore a space of failure rates, outage windows, percentages
//! instead of one point. A plain `ecsim run` ignores them: the scenario's own values stand.
//!
//! ```toml
//! [[swarm]]
//! path = "faults[0].mtbf"              # any field, as for --vary
//! min = "2d"                           # integers, numbers or durations: uniform in [min, max]
//! max = "30d"
//! [[swarm]]
//! path = "services[web].deploymentConfiguration.minimumHealthyPercent"
//! values = [50, 75, 100]               # or one of these, uniformly
//! ```

use super::node::{Node, Value};
use super::overrides::{self, Override};
use super::reader::Reader;
use crate::engine::time::parse_duration;
use crate::engine::{SimDuration, SimRng};

/// The keys of a `[[swarm]]` table.
pub(crate) const SWARM_KEYS: &[&str] = &["path", "values", "min", "max"];

/// How a parameter is drawn.
#[derive(Clone, Debug)]
pub enum Draw {
    /// One of these (text as written, value).
    OneOf(Vec<(String, Node)>),
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    /// Durations, in ms.
    Duration {
        min: u64,
        max: u64,
    },
}

#[derive(Clone, Debug)]
pub struct SwarmParam {
    pub path: String,
    pub draw: Draw,
}

/// Two parameters are equal when they draw the same field the same way (choices by their text).
impl PartialEq for SwarmParam {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.draw, &other.draw) {
            (Draw::OneOf(a), Draw::OneOf(b)) => a.iter().map(|x| &x.0).eq(b.iter().map(|x| &x.0)),
            (Draw::Int { min: a, max: b }, Draw::Int { min: c, max: d }) => a == c && b == d,
            (Draw::Float { min: a, max: b }, Draw::Float { min: c, max: d }) => a == c && b == d,
            (Draw::Duration { min: a, max: b }, Draw::Duration { min: c, max: d }) => a == c && b == d,
            _ => false,
        };
        same && self.path == other.path
    }
}

impl SwarmParam {
    /// This run's value, from the run's swarm stream.
    pub fn draw(&self, rng: &mut SimRng) -> Override {
        let (text, value) = match &self.draw {
            Draw::OneOf(choices) => choices[rng.below(choices.len() as u64) as usize].clone(),
            Draw::Int { min, max } => {
                let v = min + rng.below((max - min) as u64 + 1) as i64;
                (v.to_string(), Value::Int(v).into())
            }
            Draw::Float { min, max } => {
                let v = min + (max - min) * rng.unit_f64();
                (v.to_string(), Value::Float(v).into())
            }
            Draw::Duration { min, max } => {
                // Whole seconds when both ends are: `4130796s` reads better than milliseconds.
                let step = if min % 1000 == 0 && max % 1000 == 0 { 1000 } else { 1 };
                let ms = min + rng.below((max - min) / step + 1) * step;
                let text = SimDuration(ms).to_string();
                (text.clone(), Value::Str(text).into())
            }
        };
        Override { path: self.path.clone(), text, value }
    }

    /// The ends of its range (or every choice): what must load for every draw to.
    pub fn extremes(&self) -> Vec<Override> {
        let o = |text: String, value: Value| Override { path: self.path.clone(), text, value: value.into() };
        match &self.draw {
            Draw::OneOf(choices) => choices
                .iter()
                .map(|(t, v)| Override { path: self.path.clone(), text: t.clone(), value: v.clone() })
                .collect(),
            Draw::Int { min, max } => vec![o(min.to_string(), Value::Int(*min)), o(max.to_string(), Value::Int(*max))],
            Draw::Float { min, max } => {
                vec![o(min.to_string(), Value::Float(*min)), o(max.to_string(), Value::Float(*max))]
            }
            Draw::Duration { min, max } => [*min, *max]
                .iter()
                .map(|ms| {
                    let text = SimDuration(*ms).to_string();
                    o(text.clone(), Value::Str(text))
                })
                .collect(),
        }
    }
}

/// One `[[swarm]]` table; `root` is the scenario document, to check the path exists.
pub fn read_swarm(r: &mut Reader<'_>, node: &Node, path: &str, root: &Node) -> Option<SwarmParam> {
    let f = r.table(node, path, SWARM_KEYS)?;
    if !f.has("path") {
        r.missing(&f, "path", "the field to draw, as for --vary (services[web].desiredCount)");
        return None;
    }
    let target = r.opt_str(&f, "path")?;
    let probe = Node { value: Value::Null, span: None };
    if let Err(e) = overrides::apply(&mut root.clone(), &target, probe) {
        let n = f.node("path")?;
        r.error(&n.span, &f.path("path"), format!("expected a field of this scenario: {e}"));
        return None;
    }
    let draw = match (f.node("values"), f.node("min"), f.node("max")) {
        (Some(_), None, None) => {
            let items = r.opt_array(&f, "values")?;
            if items.is_empty() {
                let n = f.node("values")?;
                r.error(&n.span, &f.path("values"), "expected at least one value, found an empty array");
                return None;
            }
            Draw::OneOf(items.iter().map(|n| (overrides::describe_literal(n), n.clone())).collect())
        }
        (None, Some(lo), Some(hi)) => match (&lo.value, &hi.value) {
            (Value::Int(a), Value::Int(b)) if a <= b => Draw::Int { min: *a, max: *b },
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                let (a, b) = (as_f64(lo), as_f64(hi));
                if a > b || !a.is_finite() || !b.is_finite() {
                    r.error(&lo.span, &f.path("min"), format!("expected min <= max, found {a} > {b}"));
                    return None;
                }
                Draw::Float { min: a, max: b }
            }
            (Value::Str(a), Value::Str(b)) => match (parse_duration(a), parse_duration(b)) {
                (Ok(a), Ok(b)) if a <= b => Draw::Duration { min: a.0, max: b.0 },
                _ => {
                    let msg = format!("expected two durations with min <= max, found {a:?} and {b:?}");
                    r.error(&lo.span, &f.path("min"), msg);
                    return None;
                }
            },
            _ => {
                let msg = format!(
                    "expected min and max of one kind (integers, numbers or durations), found {} and {}",
                    lo.describe(),
                    hi.describe()
                );
                r.error(&lo.span, &f.path("min"), msg);
                return None;
            }
        },
        _ => {
            r.missing(&f, "values", "either values = [...] or both min and max");
            return None;
        }
    };
    Some(SwarmParam { path: target, draw })
}

fn as_f64(n: &Node) -> f64 {
    match n.value {
        Value::Int(i) => i as f64,
        Value::Float(x) => x,
        _ => f64::NAN,
    }
}
