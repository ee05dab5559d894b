//! Sweeps: one scenario run for every seed of a range and every combination of variants (fields
//! overridden by path), summarised per run (runs.csv) and per variant (aggregate.csv, a
//! comparison table and plot). Everything here is pure: the command line runs the list in
//! parallel (whole runs only) and writes the files; rows come back in run order, so the bytes do
//! not depend on the number of threads. A shard is a deterministic slice of the run list, and
//! merging shards' rows gives the bytes of the whole sweep.

mod comparison;
pub mod stats;

pub use comparison::{comparison_svg, comparison_table};

use rayon::prelude::*;
use serde_json::Value;

use crate::engine::{SimRng, Stream};
use crate::report;
use crate::scenario::expect::{KINDS, SubjectKind, SubjectNames, is_text_metric};
use crate::scenario::overrides::Override;
use crate::scenario::swarm::SwarmParam;
use crate::scenario::{Diagnostics, Scenario};
use crate::sim::{SimError, Simulation};

/// `--vary PATH=V1,V2,...`: one field and its values.
#[derive(Clone, Debug)]
pub struct Vary {
    pub path: String,
    pub values: Vec<Override>,
}

/// One combination of variant values (an override per `--vary`).
#[derive(Clone, Debug)]
pub struct Variant {
    pub overrides: Vec<Override>,
}

impl Variant {
    /// `placementStrategy=[...] count=4`, or `base` without overrides.
    pub fn label(&self) -> String {
        if self.overrides.is_empty() {
            return "base".into();
        }
        self.overrides.iter().map(|o| format!("{}={}", short(&o.path), o.text)).collect::<Vec<_>>().join(" ")
    }
}

/// The last step of a path (`services[web].desiredCount` → `desiredCount`), for labels.
fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Every combination, the first `--vary` varying slowest.
pub fn variants(vary: &[Vary]) -> Vec<Variant> {
    let mut out = vec![Variant { overrides: Vec::new() }];
    for v in vary {
        out = out
            .into_iter()
            .flat_map(|base| {
                v.values.iter().map(move |o| {
                    let mut overrides = base.overrides.clone();
                    overrides.push(o.clone());
                    Variant { overrides }
                })
            })
            .collect();
    }
    out
}

/// One run of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// Position in the whole run list.
    pub run: usize,
    pub variant: usize,
    pub seed: u64,
}

/// Every (variant, seed), variant-major; `shard` (K, N) keeps runs K-1, K-1+N, ... of them.
pub fn run_list(variants: usize, seeds: std::ops::RangeInclusive<u64>, shard: Option<(usize, usize)>) -> Vec<RunSpec> {
    let all = (0..variants).flat_map(|v| seeds.clone().map(move |seed| (v, seed)));
    all.enumerate()
        .map(|(run, (variant, seed))| RunSpec { run, variant, seed })
        .filter(|r| shard.is_none_or(|(k, n)| r.run % n == k - 1))
        .collect()
}

/// One metric column of runs.csv: a subject (a service, workload, target group, capacity
/// provider, instance group or Fargate) and one of its metrics in summary.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub kind: SubjectKind,
    pub subject: String,
    pub metric: &'static str,
}

impl Column {
    /// `web.availability`, `capacity_provider:cp.instance_hours`: the header cell, which
    /// `--expect` also reads.
    pub fn name(&self) -> String {
        format!("{}.{}", self.kind.qualified(&self.subject), self.metric)
    }

    /// A header cell read back (None for one that names no metric).
    pub fn parse(cell: &str) -> Option<Column> {
        let (subject, metric) = cell.rsplit_once('.')?;
        let (kind, subject) = SubjectKind::unqualified(subject);
        let kind = kind.unwrap_or(SubjectKind::Service);
        let metric = kind.metrics().iter().find(|m| **m == metric)?;
        Some(Column { kind, subject: subject.to_string(), metric })
    }

    /// Text metrics (rollout_state, status) are in runs.csv only.
    pub fn numeric(&self) -> bool {
        !is_text_metric(self.metric)
    }
}

/// Every numeric metric of any kind, each once: what `--metric` may choose for the comparison.
pub fn numeric_metrics() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for m in KINDS.iter().flat_map(|k| k.metrics()) {
        if !is_text_metric(m) && !all.contains(m) {
            all.push(m);
        }
    }
    all
}

/// runs.csv's metric columns: every metric of every subject that any of `scenarios` (the
/// variants) reports on, kind by kind, each subject's metrics in summary.json's order.
pub fn columns(scenarios: &[Scenario]) -> Vec<Column> {
    let mut names = SubjectNames::default();
    for s in scenarios {
        let more = s.subject_names();
        for kind in KINDS {
            let list = names.names_mut(kind);
            for n in more.borrow().names(kind) {
                if !list.contains(n) {
                    list.push(n.clone());
                }
            }
        }
    }
    let names = names.borrow();
    KINDS
        .iter()
        .flat_map(|&kind| {
            names.names(kind).iter().flat_map(move |subject| {
                kind.metrics().iter().map(move |metric| Column { kind, subject: subject.clone(), metric })
            })
        })
        .collect()
}

/// The metric columns of a runs.csv header (those after `seed`), with their positions.
pub fn metric_columns(header: &[String]) -> Vec<(usize, Column)> {
    let first = header.iter().position(|h| h == "seed").map_or(header.len(), |p| p + 1);
    header.iter().enumerate().skip(first).filter_map(|(c, h)| Column::parse(h).map(|col| (c, col))).collect()
}

/// runs.csv's header: the varied paths, then the swarm's (`swarm:PATH`), seed, metrics.
pub fn header(vary: &[Vary], swarm: &[String], columns: &[Column]) -> Vec<String> {
    let mut h = vec!["run".to_string(), "variant".to_string()];
    h.extend(vary.iter().map(|v| v.path.clone()));
    h.extend(swarm.iter().map(|p| format!("swarm:{p}")));
    h.push("seed".into());
    h.extend(columns.iter().map(Column::name));
    h
}

/// A JSON value as a CSV field: numbers in their shortest form, text as is, null empty.
fn field(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs one (variant's scenario, seed) and returns its runs.csv row; `drawn` are the swarm's
/// values for this run (already in `scenario`). A subject this variant lacks has empty cells.
pub fn run_row(
    spec: RunSpec,
    variant: &Variant,
    drawn: &[Override],
    scenario: &Scenario,
    columns: &[Column],
) -> Result<Vec<String>, SimError> {
    // The metrics without the rest of summary.json or the histories (a sweep runs thousands).
    let (result, _) = Simulation::with_history(scenario, spec.seed, crate::observer::Discarded).run_with_history()?;
    let services = report::service_metrics(&result, &result.disruptions);
    let sections = report::subject_sections(&result, scenario);
    let mut row = vec![spec.run.to_string(), spec.variant.to_string()];
    row.extend(variant.overrides.iter().chain(drawn).map(|o| o.text.clone()));
    row.push(spec.seed.to_string());
    for c in columns {
        let value = match c.kind {
            SubjectKind::Service => result.services.iter().position(|r| r.name == c.subject).and_then(|i| {
                let m = c.kind.metrics().iter().position(|m| *m == c.metric)?;
                services[i].get(m)
            }),
            kind => sections.iter().find(|(k, _)| *k == kind).and_then(|(_, m)| m.get(&c.subject)?.get(c.metric)),
        };
        row.push(value.map_or_else(String::new, field));
    }
    Ok(row)
}

/// What one pass over runs.csv gives: aggregate.csv's rows, and per numeric metric column the
/// statistics of every variant (for the comparison plot).
pub struct Aggregate {
    pub rows: Vec<Vec<String>>,
    pub columns: Vec<(Column, Vec<Option<stats::Stats>>)>,
}

/// aggregate.csv, from runs.csv's header and its rows in run order (variant by variant): per
/// variant, subject and numeric metric, the statistics of its values over the runs (runs without
/// a value, e.g. no recovery time, are left out and counted by `n`). Only one variant's values
/// are held at a time, so memory follows the seeds, not the runs.
pub fn aggregate<E>(
    header: &[String],
    rows: impl Iterator<Item = Result<Vec<String>, E>>,
    variants: &[Variant],
) -> Result<Aggregate, E> {
    let columns: Vec<(usize, Column)> = metric_columns(header).into_iter().filter(|(_, c)| c.numeric()).collect();
    let head = [
        "variant",
        "label",
        "kind",
        "subject",
        "metric",
        "runs",
        "n",
        "mean",
        "sd",
        "min",
        "p5",
        "p50",
        "p95",
        "max",
        "ci95_low",
        "ci95_high",
    ];
    let mut out = Aggregate {
        rows: vec![head.map(String::from).to_vec()],
        columns: columns.iter().map(|(_, c)| (c.clone(), vec![None; variants.len()])).collect(),
    };
    let flush = |variant: usize, runs: usize, values: &mut Vec<Vec<f64>>, out: &mut Aggregate| {
        let label = variants.get(variant).map_or_else(String::new, Variant::label);
        // Each column's statistics are a function of its values and its own seed, so they are
        // computed in parallel (the bootstrap resamples are most of a sweep's serial work) and
        // the bytes do not depend on the thread count.
        let all: Vec<Option<stats::Stats>> = (0..columns.len())
            .into_par_iter()
            .map(|k| stats::stats(&values[k], stats::seed_of(&[&variant.to_string(), &header[columns[k].0]])))
            .collect();
        for ((k, (_, col)), st) in columns.iter().enumerate().zip(all) {
            let mut line = vec![
                variant.to_string(),
                label.clone(),
                col.kind.key().to_string(),
                col.subject.clone(),
                col.metric.to_string(),
                runs.to_string(),
            ];
            match &st {
                Some(s) => {
                    line.push(s.n.to_string());
                    line.extend(
                        [s.mean, s.sd, s.min, s.p5, s.p50, s.p95, s.max, s.ci95_low, s.ci95_high]
                            .iter()
                            .map(|x| number(*x)),
                    );
                }
                None => line.extend(std::iter::once("0".to_string()).chain(std::iter::repeat_n(String::new(), 9))),
            }
            out.rows.push(line);
            if let Some(slot) = out.columns[k].1.get_mut(variant) {
                *slot = st;
            }
            values[k].clear();
        }
    };
    let mut current: Option<usize> = None;
    let mut runs = 0usize;
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
    for row in rows {
        let row = row?;
        let variant: usize = row[1].parse().unwrap_or(usize::MAX);
        if let Some(v) = current.filter(|v| *v != variant) {
            flush(v, runs, &mut values, &mut out);
            runs = 0;
        }
        current = Some(variant);
        runs += 1;
        for (k, (c, _)) in columns.iter().enumerate() {
            // Non-finite values never reach the statistics or a plot (merge refuses them).
            if let Some(x) = row[*c].parse::<f64>().ok().filter(|x| x.is_finite()) {
                values[k].push(x);
            }
        }
    }
    if let Some(v) = current {
        flush(v, runs, &mut values, &mut out);
    }
    Ok(out)
}

/// A statistic in CSV: the shortest text that reads back as the same f64.
fn number(x: f64) -> String {
    if x.is_finite() {
        serde_json::Number::from_f64(x).map_or_else(String::new, |n| n.to_string())
    } else {
        String::new()
    }
}

/// CSV bytes of `rows` (a header first).
pub fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// This run's swarm values, drawn from its seed alone (so a shard draws what the whole sweep
/// would).
pub fn draw_swarm(params: &[SwarmParam], seed: u64) -> Vec<Override> {
    let mut rng = SimRng::new(seed, Stream::Swarm);
    params.iter().map(|p| p.draw(&mut rng)).collect()
}

/// Loads every variant's scenario before anything runs: a bad path or value is reported with
/// the variant it belongs to.
pub fn load_variants(
    load: impl Fn(&[Override]) -> Result<Scenario, Diagnostics>,
    variants: &[Variant],
) -> Result<Vec<Scenario>, String> {
    variants.iter().map(|v| load(&v.overrides).map_err(|d| format!("variant {}:\n{d}", v.label()))).collect()
}
