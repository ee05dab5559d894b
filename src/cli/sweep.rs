//! `ecsim sweep` and `ecsim merge`: many runs in parallel (rayon, whole runs only), their rows in
//! run order whatever the thread count, and shards that merge into the same files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::{Value, json};

use ecsim::report;
use ecsim::scenario::{self, overrides};
use ecsim::sim::SimError;
use ecsim::sweep::{self, RunSpec, Variant, Vary};
use ecsim::words;

use super::{EXIT_BAD_INPUT, EXIT_INTERNAL, bad_input, say};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Scenario file (.toml or .json).
    scenario: PathBuf,
    /// Seeds to run, inclusive: 1..200 (or one seed).
    #[arg(long, default_value = "1..20")]
    seeds: String,
    /// A field to vary and its values, TOML or JSON literals separated by commas:
    /// 'services[web].placementStrategy=[{type="binpack",field="memory"}],[{type="random"}]'
    /// (repeatable; every combination runs).
    #[arg(long, value_name = "PATH=V1,V2,...")]
    vary: Vec<String>,
    /// Output folder (default: reports/<scenario name>-sweep/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Threads (default: every core, or RAYON_NUM_THREADS).
    #[arg(long)]
    jobs: Option<usize>,
    /// Metrics for the comparison table and plot, of any subject that has them (repeatable;
    /// default availability, min_healthy, outage_s).
    #[arg(long = "metric", value_name = "METRIC")]
    metrics: Vec<String>,
    /// Run only slice K of N of the run list (1-based), for many machines; `ecsim merge` joins.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Draw the scenario's [[swarm]] parameters for every run from its seed (they become
    /// columns of runs.csv).
    #[arg(long)]
    swarm: bool,
}

fn parse_seeds(text: &str) -> Result<std::ops::RangeInclusive<u64>, String> {
    let err = || format!("--seeds: expected A..B (inclusive) or one seed, found {text:?}");
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a, b.trim_start_matches('=')),
        None => (text, text),
    };
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| err())?, b.trim().parse().map_err(|_| err())?);
    if a > b {
        return Err(err());
    }
    Ok(a..=b)
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let err = || format!("--shard: expected K/N with 1 <= K <= N, found {text:?}");
    let (k, n) = text.split_once('/').ok_or_else(err)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
    if k == 0 || k > n {
        return Err(err());
    }
    Ok((k, n))
}

fn parse_vary(text: &str) -> Result<Vary, String> {
    let (path, values) = text.split_once('=').ok_or_else(|| format!("--vary {text:?}: expected PATH=V1,V2,..."))?;
    let values = overrides::parse_values(values).map_err(|e| format!("--vary {path}: {e}"))?;
    let values =
        values.into_iter().map(|(text, value)| overrides::Override { path: path.to_string(), text, value }).collect();
    Ok(Vary { path: path.to_string(), values })
}

/// The chosen comparison metrics, checked.
fn chosen_metrics(given: &[String]) -> Result<Vec<String>, String> {
    let chosen: Vec<String> = if given.is_empty() {
        ["availability", "min_healthy", "outage_s"].map(String::from).to_vec()
    } else {
        given.to_vec()
    };
    let known = sweep::numeric_metrics();
    for m in &chosen {
        if !known.contains(&m.as_str()) {
            let hint =
                scenario::reader::suggest(m, &known).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
            return Err(format!("--metric: expected a numeric metric ({}), found {m:?}{hint}", known.join(", ")));
        }
    }
    Ok(chosen)
}

pub fn sweep(args: SweepArgs) -> ExitCode {
    let seeds = match parse_seeds(&args.seeds) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let shard = match args.shard.as_deref().map(parse_shard).transpose() {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let vary = match args.vary.iter().map(|v| parse_vary(v)).collect::<Result<Vec<_>, _>>() {
        Ok(v) => v,
        Err(e) => return bad_input(&e),
    };
    let chosen = match chosen_metrics(&args.metrics) {
        Ok(c) => c,
        Err(e) => return bad_input(&e),
    };
    let variants = sweep::variants(&vary);
    // Every variant is loaded (and so validated) before anything runs.
    let scenarios = match sweep::load_variants(|o| scenario::load_file_with(&args.scenario, o), &variants) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let base = &scenarios[0];
    let columns = sweep::columns(&scenarios);
    let swarm = if args.swarm { base.swarm.clone() } else { Vec::new() };
    if args.swarm && swarm.is_empty() {
        return bad_input(&format!("--swarm: {} has no [[swarm]] parameters to draw", args.scenario.display()));
    }
    // Both ends of every swarm range (every choice) must load with every variant.
    for v in &variants {
        for extreme in swarm.iter().flat_map(|p| p.extremes()) {
            let overrides: Vec<_> = v.overrides.iter().cloned().chain([extreme.clone()]).collect();
            if let Err(d) = scenario::load_file_with(&args.scenario, &overrides) {
                return bad_input(&format!(
                    "[[swarm]] {}={} with variant {}:\n{d}",
                    extreme.path,
                    extreme.text,
                    v.label()
                ));
            }
        }
    }
    let specs = sweep::run_list(variants.len(), seeds.clone(), shard);
    let total = variants.len() * (seeds.end() - seeds.start() + 1) as usize;
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(p) => p,
        Err(e) => return bad_input(&format!("--jobs: {e}")),
    };
    let bar = ProgressBar::with_draw_target(Some(specs.len() as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs {per_sec} eta {eta}") {
        bar.set_style(style);
    }
    let swarm_paths: Vec<String> = swarm.iter().map(|p| p.path.clone()).collect();
    let header = sweep::header(&vary, &swarm_paths, &columns);
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", base.name)));
    // The folder is checked and claimed before the runs, and the rows go to disk as they come
    // (memory does not grow with the runs); the file joins the folder at the end.
    let mut claim = match claim_folder(&dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut rows = match RowFile::create(&claim.scratch("runs.csv"), &header) {
        Ok(w) => w,
        Err(e) => return bad_input(&e),
    };
    // Chunks keep the order of the rows whatever the thread count, and bound what is in flight.
    for chunk in specs.chunks(256) {
        // An error carries its exit code: 2 when drawn values do not load or a runaway guard
        // stopped the run (as `ecsim run` says), 3 for a failed run.
        let failed = |spec: &RunSpec, e: SimError| {
            let code = if matches!(e, SimError::Runaway(_)) { EXIT_BAD_INPUT } else { EXIT_INTERNAL };
            (*spec, e.to_string(), code)
        };
        let done: Vec<Result<Vec<String>, (RunSpec, String, u8)>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|spec| {
                    let variant = &variants[spec.variant];
                    let out = if swarm.is_empty() {
                        sweep::run_row(*spec, variant, &[], &scenarios[spec.variant], &columns)
                            .map_err(|e| failed(spec, e))
                    } else {
                        let drawn = sweep::draw_swarm(&swarm, spec.seed);
                        let overrides: Vec<_> = variant.overrides.iter().chain(&drawn).cloned().collect();
                        match scenario::load_file_with(&args.scenario, &overrides) {
                            Ok(s) => sweep::run_row(*spec, variant, &drawn, &s, &columns).map_err(|e| failed(spec, e)),
                            Err(d) => Err((*spec, format!("the drawn values do not load:\n{d}"), EXIT_BAD_INPUT)),
                        }
                    };
                    bar.inc(1);
                    out
                })
                .collect()
        });
        for r in done {
            match r {
                Ok(row) => {
                    if let Err(e) = rows.push(&row) {
                        return bad_input(&e);
                    }
                }
                Err((spec, e, code)) => {
                    bar.abandon();
                    eprintln!("error: variant {} seed {}: {e}", variants[spec.variant].label(), spec.seed);
                    // Exactly this run: the variant's values and the swarm's draws as --set.
                    let drawn = if swarm.is_empty() { Vec::new() } else { sweep::draw_swarm(&swarm, spec.seed) };
                    let sets: Vec<_> = variants[spec.variant].overrides.iter().chain(&drawn).cloned().collect();
                    eprintln!("rerun: {}", super::run::rerun_command(Some(&args.scenario), spec.seed, &sets));
                    return ExitCode::from(code);
                }
            }
        }
    }
    bar.finish_and_clear();
    let manifest = json!({
        "ecsim_version": ecsim::VERSION,
        "scenario": base.name,
        "scenario_file": args.scenario.display().to_string(),
        "seeds": [seeds.start(), seeds.end()],
        "vary": vary.iter().map(|v| json!({"path": v.path, "values": v.values.iter().map(|o| o.text.clone()).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "metrics": chosen,
        "swarm": swarm_paths,
        "runs": total,
        "shard": shard.map(|(k, n)| format!("{k}/{n}")),
    });
    pool.install(|| write_outputs(&mut claim, &manifest, &header, rows, &variants, &chosen, shard.is_none()))
}

/// Checks and claims a sweep's output folder before any work.
fn claim_folder(dir: &Path) -> Result<report::Claim, ExitCode> {
    if let Err(e) = report::check_folder(dir) {
        return Err(bad_input(&e.to_string()));
    }
    let claim = report::Claim::new(dir).map_err(|e| bad_input(&e.to_string()))?;
    for note in &claim.notes {
        eprintln!("note: {note}");
    }
    Ok(claim)
}

/// runs.csv being written beside the output folder; removed if the sweep does not finish.
struct RowFile {
    path: PathBuf,
    writer: Option<csv::Writer<std::fs::File>>,
    rows: usize,
}

impl RowFile {
    fn create(path: &Path, header: &[String]) -> Result<RowFile, String> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mut writer = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
        writer.write_record(header).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(RowFile { path: path.to_path_buf(), writer: Some(writer), rows: 0 })
    }

    fn push(&mut self, row: &[String]) -> Result<(), String> {
        self.rows += 1;
        let w = self.writer.as_mut().ok_or("runs.csv is closed")?;
        w.write_record(row).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Flushes and closes the file: its path, ready to move.
    fn finish(&mut self) -> Result<&Path, String> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| format!("{}: {e}", self.path.display()))?;
        }
        Ok(&self.path)
    }
}

impl Drop for RowFile {
    fn drop(&mut self) {
        // Moved into the folder on success; otherwise nothing is left behind.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// runs.csv's rows read back, one at a time.
fn read_rows(path: &Path) -> Result<impl Iterator<Item = Result<Vec<String>, csv::Error>>, String> {
    Ok(read_records(path)?.map(|x| x.map(|x| x.iter().map(str::to_string).collect())))
}

fn read_records(path: &Path) -> Result<impl Iterator<Item = Result<csv::StringRecord, csv::Error>>, String> {
    let r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(r.into_records())
}

/// The columns of runs.csv that hold numbers: run, variant, seed, and every numeric metric.
fn numeric_columns(header: &[String]) -> Vec<usize> {
    let mut numeric: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| matches!(h.as_str(), "run" | "variant" | "seed"))
        .map(|(c, _)| c)
        .collect();
    numeric.extend(sweep::metric_columns(header).into_iter().filter(|(_, c)| c.numeric()).map(|(c, _)| c));
    numeric.sort_unstable();
    numeric
}

/// A shard's row, checked: every numeric cell empty (no value) or a finite number, else an error
/// naming the file, line and column (a plot of NaN or 1e999 would never finish, and a value
/// silently dropped would change n).
fn checked_row(
    path: &Path,
    rec: &csv::StringRecord,
    header: &[String],
    numeric: &[usize],
) -> Result<Vec<String>, String> {
    for &c in numeric {
        let cell = rec.get(c).unwrap_or_default();
        if cell.is_empty() || cell.parse::<f64>().is_ok_and(f64::is_finite) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line());
        // Fields are unquoted numbers here: the column is the bytes before the field, plus one.
        let column = (0..c).map(|i| rec.get(i).map_or(0, str::len) + 1).sum::<usize>() + 1;
        return Err(format!(
            "{}:{line}:{column}: {}: expected a finite number or nothing, found {cell:?}",
            path.display(),
            header[c]
        ));
    }
    Ok(rec.iter().map(str::to_string).collect())
}

/// Writes the sweep folder: runs.csv and sweep.json, and for a whole sweep aggregate.csv and
/// comparison.svg too (and prints the comparison table).
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    claim: &mut report::Claim,
    manifest: &Value,
    header: &[String],
    mut rows: RowFile,
    variants: &[Variant],
    chosen: &[String],
    whole: bool,
) -> ExitCode {
    let fail = |e: String| {
        eprintln!("internal error (a bug in ecsim): {e}");
        ExitCode::from(EXIT_INTERNAL)
    };
    let count = rows.rows;
    let rows_path = match rows.finish() {
        Ok(p) => p.to_path_buf(),
        Err(e) => return bad_input(&e),
    };
    let mut files = Vec::new();
    let mut table = String::new();
    if whole {
        // A second pass over the file, one variant at a time.
        let aggregate = match read_rows(&rows_path)
            .and_then(|r| sweep::aggregate(header, r, variants).map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => return bad_input(&e),
        };
        match sweep::csv_bytes(&aggregate.rows) {
            Ok(b) => files.push(("aggregate.csv".to_string(), b)),
            Err(e) => return fail(e.to_string()),
        }
        match sweep::comparison_svg(&aggregate, variants, chosen) {
            Ok(svg) => files.push(("comparison.svg".to_string(), svg.into_bytes())),
            Err(e) => return fail(e.to_string()),
        }
        table = sweep::comparison_table(&aggregate.rows, chosen);
    }
    let mut m = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    m.push(b'\n');
    files.push(("sweep.json".to_string(), m));
    if let Err(e) = report::write_folder(claim, &files, &[], &[("runs.csv".to_string(), rows_path)]) {
        return bad_input(&e.to_string());
    }
    for note in &claim.notes {
        eprintln!("note: {note}");
    }
    let (runs, variants) = (words::count(count as u64, "run"), words::count(variants.len() as u64, "variant"));
    say(&format!("{table}{runs} · {variants} · report: {}\n", claim.target().display()));
    ExitCode::SUCCESS
}

/// One shard's folder: its manifest and runs.csv's header (the rows are streamed later).
struct Shard {
    manifest: Value,
    header: Vec<String>,
    rows: PathBuf,
}

fn read_shard(d: &Path) -> Result<Shard, String> {
    let (mpath, rpath) = (d.join("sweep.json"), d.join("runs.csv"));
    let text = std::fs::read_to_string(&mpath).map_err(|e| format!("{}: {e}", mpath.display()))?;
    let manifest: Value = serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", mpath.display()))?;
    let mut r = csv::Reader::from_path(&rpath).map_err(|e| format!("{}: {e}", rpath.display()))?;
    let header: Vec<String> =
        r.headers().map_err(|e| format!("{}: {e}", rpath.display()))?.iter().map(str::to_string).collect();
    Ok(Shard { manifest, header, rows: rpath })
}

/// `ecsim merge`: shards of one sweep into the files the whole sweep writes. Shard K holds runs
/// K-1, K-1+N, ...: reading the shards in turn gives the runs in order, one row at a time.
pub fn merge(dirs: &[PathBuf], out: &Path) -> ExitCode {
    let mut shards: Vec<(usize, &PathBuf, Shard)> = Vec::new();
    let mut n = 0;
    for d in dirs {
        let shard = match read_shard(d) {
            Ok(s) => s,
            Err(e) => return bad_input(&e),
        };
        match shard.manifest["shard"].as_str().and_then(|s| parse_shard(s).ok()) {
            Some((k, nn)) if (n == 0 || nn == n) && !shards.iter().any(|(x, _, _)| *x == k) => {
                n = nn;
                shards.push((k, d, shard));
            }
            _ => {
                return bad_input(&format!(
                    "{}: expected shard K/N, each once, found {}",
                    d.display(),
                    shard.manifest["shard"]
                ));
            }
        }
    }
    if shards.is_empty() {
        return bad_input("merge: expected at least one shard folder");
    }
    shards.sort_by_key(|(k, _, _)| *k);
    if let Some(k) = (1..=n).find(|k| !shards.iter().any(|(x, _, _)| x == k)) {
        return bad_input(&format!("merge: shard {k}/{n} is missing"));
    }
    let strip = |m: &Value| {
        let mut m = m.clone();
        m["shard"] = Value::Null;
        m
    };
    let first = strip(&shards[0].2.manifest);
    let header = shards[0].2.header.clone();
    for (_, d, s) in &shards {
        if strip(&s.manifest) != first {
            return bad_input(&format!(
                "{}: a shard of another sweep (scenario, seeds, variants or version differ)",
                d.display()
            ));
        }
        if s.header != header {
            return bad_input(&format!("{}: runs.csv has other columns than the first shard's", d.display()));
        }
    }
    let total = first["runs"].as_u64().unwrap_or(0) as usize;
    let mut readers = Vec::new();
    for (_, _, s) in &shards {
        match read_records(&s.rows) {
            Ok(r) => readers.push(r),
            Err(e) => return bad_input(&e),
        }
    }
    let numeric = numeric_columns(&header);
    let mut claim = match claim_folder(out) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut rows = match RowFile::create(&claim.scratch("runs.csv"), &header) {
        Ok(w) => w,
        Err(e) => return bad_input(&e),
    };
    for run in 0..total {
        let path = &shards[run % n].2.rows;
        match readers[run % n].next() {
            Some(Ok(rec)) if rec.get(0).is_some_and(|r| *r == run.to_string()) => {
                let pushed = checked_row(path, &rec, &header, &numeric).and_then(|row| rows.push(&row));
                if let Err(e) = pushed {
                    return bad_input(&e);
                }
            }
            Some(Err(e)) => return bad_input(&format!("{}: {e}", path.display())),
            _ => return bad_input(&format!("merge: run {run} is not where shard {}/{n} should hold it", run % n + 1)),
        }
    }
    if let Some(k) = readers.iter_mut().position(|r| r.next().is_some()) {
        return bad_input(&format!("merge: shard {}/{n} holds more runs than the sweep has ({total})", k + 1));
    }
    let vary: Vec<Vary> = first["vary"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let path = v["path"].as_str().unwrap_or_default().to_string();
            let values = v["values"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| overrides::Override {
                    path: path.clone(),
                    text: t.as_str().unwrap_or_default().to_string(),
                    value: scenario::node::Node { value: scenario::node::Value::Null, span: None },
                })
                .collect();
            Vary { path, values }
        })
        .collect();
    let variants = sweep::variants(&vary);
    let chosen: Vec<String> =
        first["metrics"].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_string)).collect();
    write_outputs(&mut claim, &first, &header, rows, &variants, &chosen, true)
}
