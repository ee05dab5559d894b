//! Reads `[[traffic]]`: a request stream on a target group (DESIGN.md §6.1): `rps`, `points`,
//! `diurnal` or `csv` for its shape, optional `spikes` and `noise`.

use super::node::Node;
use super::reader::{Fields, Reader};
use crate::elb::traffic::{Shape, Spike, TrafficSpec};
use crate::engine::{SimDuration, SimTime};

/// The keys of a `[[traffic]]` table.
pub(crate) const TRAFFIC_KEYS: &[&str] = &["target_group", "rps", "points", "diurnal", "csv", "spikes", "noise"];
pub(crate) const POINT_KEYS: &[&str] = &["at", "rps"];
pub(crate) const DIURNAL_KEYS: &[&str] = &["min_rps", "max_rps", "peak"];
pub(crate) const SPIKE_KEYS: &[&str] = &["at", "length", "factor"];

/// The most requests per second a stream may offer (a bound for arithmetic, far past any LB).
const MAX_RPS: f64 = 1e9;

/// A target group's traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficStream {
    /// Index of the target group in the scenario.
    pub target_group: usize,
    pub spec: TrafficSpec,
}

/// The shape, spikes and noise of one `[[traffic]]` table; `csv` is the text of its file when
/// it names one (read by the loader, which knows where the scenario lies).
pub(super) fn read_spec(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    node: &Node,
    path: &str,
    csv: Option<(&str, &str)>,
) -> Option<TrafficSpec> {
    let given: Vec<&str> = ["rps", "points", "diurnal", "csv"].into_iter().filter(|k| f.has(k)).collect();
    if given.len() != 1 {
        r.error(
            &node.span,
            path,
            format!(
                "expected exactly one of `rps`, `points`, `diurnal` or `csv` (the rate over time), found {}",
                if given.is_empty() { "none".to_string() } else { given.join(", ") }
            ),
        );
        return None;
    }
    let shape = match given[0] {
        "rps" => Shape::Constant { rps: r.opt_f64(f, "rps", 0.0, MAX_RPS)? },
        "points" => {
            let items = r.opt_array(f, "points")?;
            let p = f.path("points");
            let mut points = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let ip = format!("{p}[{i}]");
                let pf = r.table(item, &ip, POINT_KEYS)?;
                if !pf.has("at") || !pf.has("rps") {
                    r.missing(&pf, if pf.has("at") { "rps" } else { "at" }, "a point's time (`at`) and rate (`rps`)");
                    return None;
                }
                let (at, rps) = (r.opt_duration(&pf, "at")?, r.opt_f64(&pf, "rps", 0.0, MAX_RPS)?);
                if points.last().is_some_and(|(t, _): &(SimTime, f64)| t.0 >= at.0) {
                    r.error(&item.span, &ip, "expected points in increasing time order");
                    return None;
                }
                points.push((SimTime(at.0), rps));
            }
            if points.is_empty() {
                r.error(&f.node("points")?.span, &p, "expected at least one point");
                return None;
            }
            Shape::Points(points)
        }
        "diurnal" => {
            let n = f.node("diurnal")?;
            let p = f.path("diurnal");
            let df = r.table(n, &p, DIURNAL_KEYS)?;
            for key in DIURNAL_KEYS {
                if !df.has(key) {
                    r.missing(&df, key, "the lowest and highest rate and the time of day of the peak (\"14:00\", UTC)");
                    return None;
                }
            }
            let (min_rps, max_rps) =
                (r.opt_f64(&df, "min_rps", 0.0, MAX_RPS)?, r.opt_f64(&df, "max_rps", 0.0, MAX_RPS)?);
            if min_rps > max_rps {
                r.error(
                    &df.node("min_rps")?.span,
                    &df.path("min_rps"),
                    format!("expected min_rps <= max_rps ({max_rps}), found {min_rps}"),
                );
                return None;
            }
            let text = r.opt_str(&df, "peak")?;
            let Some(peak) = time_of_day(&text) else {
                r.error(
                    &df.node("peak")?.span,
                    &df.path("peak"),
                    format!("expected a time of day HH:MM (UTC), found {text:?}"),
                );
                return None;
            };
            Shape::Diurnal { min_rps, max_rps, peak }
        }
        _ => {
            let (file, text) = csv?;
            Shape::Points(read_csv(r, f, file, text)?)
        }
    };
    let mut spikes = Vec::new();
    if let Some(items) = r.opt_array(f, "spikes") {
        let p = f.path("spikes");
        for (i, item) in items.iter().enumerate() {
            let sp = format!("{p}[{i}]");
            let sf = r.table(item, &sp, SPIKE_KEYS)?;
            for key in SPIKE_KEYS {
                if !sf.has(key) {
                    r.missing(
                        &sf,
                        key,
                        "when the spike starts (`at`), how long it lasts (`length`) and the factor on the rate",
                    );
                    return None;
                }
            }
            let (at, length) = (r.opt_duration(&sf, "at")?, r.opt_duration(&sf, "length")?);
            let factor = r.opt_f64(&sf, "factor", 0.0, 1e6)?;
            spikes.push(Spike { start: SimTime(at.0), length, factor });
        }
    }
    let noise_sigma = r.opt_f64(f, "noise", 0.0, 2.0).unwrap_or(0.0);
    Some(TrafficSpec { shape, spikes, noise_sigma })
}

/// "14:00" or "14:00:30" as a duration past midnight.
fn time_of_day(text: &str) -> Option<SimDuration> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u64> = parts.iter().map(|p| p.parse().unwrap_or(99)).collect();
    let (h, m, s) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && s < 60).then(|| SimDuration::from_secs(h * 3600 + m * 60 + s))
}

/// A CSV of (time, rate) rows: time in seconds or as a duration ("90m"), the rate in requests
/// per second; an optional header line, `#` comments. Rows in increasing time order.
fn read_csv(r: &mut Reader<'_>, f: &Fields<'_>, file: &str, text: &str) -> Option<Vec<(SimTime, f64)>> {
    let p = f.path("csv");
    let span = f.node("csv").and_then(|n| n.span.clone());
    let mut points: Vec<(SimTime, f64)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cells = line.split(',').map(str::trim);
        let (t, v) = (cells.next().unwrap_or(""), cells.next().unwrap_or(""));
        let time = match t.parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Some(SimTime((s * 1000.0).round() as u64)),
            _ => crate::engine::time::parse_duration(t).ok().map(|d| SimTime(d.0)),
        };
        let rate = v.parse::<f64>().ok().filter(|x| x.is_finite() && (0.0..=MAX_RPS).contains(x));
        match (time, rate) {
            (Some(t), Some(rate)) if points.last().is_none_or(|(l, _)| *l < t) => points.push((t, rate)),
            (Some(_), Some(_)) => {
                r.error(&span, &p, format!("{file}:{}: expected rows in increasing time order", i + 1));
                return None;
            }
            // A header line.
            _ if i == 0 && points.is_empty() => {}
            _ => {
                r.error(&span, &p, format!("{file}:{}: expected a time (seconds or a duration) and a rate in requests per second, found {line:?}", i + 1));
                return None;
            }
        }
    }
    if points.is_empty() {
        r.error(&span, &p, format!("{file}: expected at least one row of time and rate"));
        return None;
    }
    Some(points)
}
