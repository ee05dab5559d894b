//! `ecsim run`: load, add command-line expectations, simulate, write the report folder (and the
//! CI files asked for), print the result, and turn it into the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use ecsim::observer::RunResult;
use ecsim::report::{self, Baseline};
use ecsim::scenario::{self, Scenario, overrides};
use ecsim::sim::{SimError, Simulation};

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERNAL, bad_input, read_summary, say};
use crate::Format;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario file (.toml or .json); without one, the bundled quickstart runs.
    scenario: Option<PathBuf>,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Report folder (default: reports/<scenario name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Check the model's invariants after every event (slower; for bug hunting).
    #[arg(long)]
    check: bool,
    /// Explain every placement decision for this service, task family, workload or task group
    /// (or one task, e.g. web-3): printed after the run and written to events.csv.
    #[arg(long, value_name = "NAME")]
    explain: Option<String>,
    /// An expectation besides the scenario's [[expect]] tables, e.g. 'web.availability>=0.999'
    /// (>=, <= or ==; repeatable). A failed one exits 1.
    #[arg(long, value_name = "SUBJECT.METRIC<OP>VALUE")]
    expect: Vec<String>,
    /// A previous summary.json: every metric that got worse is reported, and any exits 1.
    #[arg(long, value_name = "SUMMARY_JSON")]
    baseline: Option<PathBuf>,
    /// Relative worsening allowed against the baseline (0.01 = 1 %).
    #[arg(long, default_value_t = 0.0, requires = "baseline")]
    tolerance: f64,
    /// How stdout looks.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write JUnit XML: one test case per expectation (and the baseline).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a Markdown summary for a pull-request comment.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Override one field of the scenario before it is read, with a path as `sweep --vary`
    /// takes: 'services[web].desiredCount=6' (the value a TOML or JSON literal; repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Testing ecsim itself: break the named invariant at the given time (NAME@DURATION) and
    /// check, so the internal-error path can be seen to work.
    #[arg(long, value_name = "INVARIANT@TIME", hide = true)]
    debug_corrupt: Option<String>,
}

/// `--set PATH=VALUE`: one override.
pub fn parse_set(text: &str) -> Result<overrides::Override, String> {
    let (path, value) = text.split_once('=').ok_or_else(|| format!("--set {text:?}: expected PATH=VALUE"))?;
    let mut values = overrides::parse_values(value).map_err(|e| format!("--set {path}: {e}"))?;
    if values.len() != 1 {
        return Err(format!(
            "--set {path}: expected one value, found {} (a list is written in brackets: [1, 2])",
            values.len()
        ));
    }
    let (text, value) = values.remove(0);
    Ok(overrides::Override { path: path.to_string(), text, value })
}

fn load(path: Option<&PathBuf>, sets: &[overrides::Override]) -> Result<Scenario, ExitCode> {
    let loaded = match path {
        Some(p) => scenario::load_file_with(p, sets),
        None => scenario::load_str_with(scenario::QUICKSTART_NAME, scenario::QUICKSTART, None, sets),
    };
    loaded.map_err(|diags| {
        eprintln!("{diags}");
        eprintln!("{} found; nothing was run.", ecsim::words::count(diags.0.len() as u64, "problem"));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// The command that reruns one run exactly, with its overrides, and checks it.
pub fn rerun_command(path: Option<&std::path::Path>, seed: u64, sets: &[overrides::Override]) -> String {
    let mut words: Vec<String> = vec!["ecsim".into(), "run".into()];
    words.extend(path.map(|p| p.display().to_string()));
    words.extend(["--seed".into(), seed.to_string(), "--check".into()]);
    for o in sets {
        words.push("--set".into());
        words.push(format!("{}={}", o.path, o.text));
    }
    let quoted: Vec<String> =
        words.iter().map(|w| shlex::try_quote(w).map_or_else(|_| w.clone(), |q| q.into_owned())).collect();
    quoted.join(" ")
}

/// `--debug-corrupt NAME@TIME`.
fn parse_corrupt(text: &str) -> Result<(String, ecsim::engine::SimTime), String> {
    let (name, at) = text.split_once('@').ok_or_else(|| format!("--debug-corrupt {text:?}: expected NAME@TIME"))?;
    let at = ecsim::engine::time::parse_duration(at)
        .map_err(|e| format!("--debug-corrupt: expected a duration, found {}", e.0))?;
    Ok((name.to_string(), ecsim::engine::SimTime(at.0)))
}

/// Runs the simulation, its histories streamed by `recorder`, corrupting it first when asked
/// (testing the checkers).
fn simulate(
    scenario: &Scenario,
    seed: u64,
    corrupt: Option<&(String, ecsim::engine::SimTime)>,
    recorder: report::Recorder,
) -> Result<(RunResult, report::Recorder), SimError> {
    let mut sim = Simulation::with_history(scenario, seed, recorder);
    if let Some((name, at)) = corrupt {
        sim.run_until(*at)?;
        match sim.corrupt(name) {
            Ok(true) => sim.check_now()?,
            Ok(false) => eprintln!("--debug-corrupt: nothing to corrupt for {name} at this instant"),
            Err(e) => eprintln!("--debug-corrupt: {e}"),
        }
    }
    sim.run_with_history()
}

/// Claims an output and says what the cleanup of earlier runs' leftovers did.
fn claim(path: &std::path::Path) -> Result<report::Claim, ExitCode> {
    let claim = report::Claim::new(path).map_err(|e| bad_input(&e.to_string()))?;
    for note in &claim.notes {
        eprintln!("note: {note}");
    }
    Ok(claim)
}

/// What `--explain NAME` asks for: the subject to record (a service, family, workload or task
/// group) and, if NAME is one task (web-3, job-17), that task alone.
fn explain_subject(scenario: &Scenario, name: &str) -> (String, Option<String>) {
    let subjects: Vec<&str> = scenario
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(scenario.task_definitions.iter().map(|td| td.family.as_str()))
        .chain(scenario.workloads.iter().map(|w| w.name.as_str()))
        .chain(scenario.workloads.iter().filter_map(|w| w.group.as_deref()))
        .collect();
    if subjects.contains(&name) {
        return (name.to_string(), None);
    }
    let is_task_of = |s: &&&str| name.strip_prefix(**s).is_some_and(|rest| rest.starts_with('-'));
    match subjects.iter().filter(is_task_of).max_by_key(|s| s.len()) {
        Some(s) => (s.to_string(), Some(name.to_string())),
        None => (name.to_string(), None),
    }
}

pub fn run(args: RunArgs) -> ExitCode {
    let sets = match args.set.iter().map(|s| parse_set(s)).collect::<Result<Vec<_>, _>>() {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let corrupt = match args.debug_corrupt.as_deref().map(parse_corrupt).transpose() {
        Ok(c) => c,
        Err(e) => return bad_input(&e),
    };
    let mut scenario = match load(args.scenario.as_ref(), &sets) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(e) = super::check_tolerance(args.tolerance) {
        return bad_input(&e);
    }
    let names = scenario.subject_names();
    let subjects = names.borrow();
    for text in &args.expect {
        match scenario::parse_expect_arg(text, &subjects) {
            Ok(e) => scenario.expectations.push(e),
            Err(message) => return bad_input(&message),
        }
    }
    let baseline = match &args.baseline {
        Some(p) => match read_summary(p) {
            Ok(v) => Some((p.display().to_string(), v)),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    scenario.settings.check_invariants |= args.check;
    let explained = args.explain.as_deref().map(|name| explain_subject(&scenario, name));
    scenario.settings.explain = explained.as_ref().map(|(subject, _)| subject.clone());
    // Every output is checked, and claimed, before the run: a run of minutes must not end in
    // "cannot write there", and nothing is written when the answer is exit 2.
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let files = [(&args.junit, report::ci::JUNIT_MARKER), (&args.markdown, report::ci::MARKDOWN_MARKER)];
    let checked = report::check_folder(&dir).and_then(|()| {
        files
            .iter()
            .filter_map(|(f, marker)| f.as_ref().map(|f| report::check_file(f, marker)))
            .collect::<Result<(), _>>()
    });
    if let Err(e) = checked {
        return bad_input(&e.to_string());
    }
    if let (Some(j), Some(m)) = (&args.junit, &args.markdown)
        && j == m
    {
        return bad_input(&format!("--junit and --markdown both name {}; expected two files", j.display()));
    }
    let mut claims = Vec::new();
    for path in std::iter::once(Some(&dir)).chain(files.iter().map(|(f, _)| f.as_ref())).flatten() {
        match claim(path) {
            Ok(c) => claims.push(c),
            Err(code) => return code,
        }
    }
    // The histories stream beside the folder as the run goes; they are moved in with the rest.
    let recorder = match report::Recorder::create(&claims[0], &scenario) {
        Ok(r) => r,
        Err(e) => return bad_input(&e.to_string()),
    };
    // After a panic nothing of the run is used again, so unwind safety holds.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        simulate(&scenario, seed, corrupt.as_ref(), recorder)
    }));
    let rerun = || rerun_command(args.scenario.as_deref(), seed, &sets);
    let (result, recorder): (RunResult, report::Recorder) = match outcome {
        Ok(Ok(r)) => r,
        Ok(Err(e @ SimError::Runaway(_))) => {
            eprintln!("error: {e}");
            eprintln!("rerun: {}", rerun());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        Ok(Err(e)) => {
            eprintln!("internal error (a bug in ecsim): {e}");
            eprintln!("rerun: {}", rerun());
            return ExitCode::from(EXIT_INTERNAL);
        }
        Err(_) => {
            eprintln!("internal error (a bug in ecsim): the simulation panicked");
            eprintln!("rerun: {}", rerun());
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let base = baseline.as_ref().map(|(file, summary)| Baseline { file, summary, tolerance: args.tolerance });
    let rendered = match report::render(&result, &scenario, base.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("internal error (a bug in ecsim): {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let mut claims = claims.into_iter();
    let Some(mut folder) = claims.next() else { return ExitCode::from(EXIT_INTERNAL) };
    let written = recorder.finish().and_then(|histories| {
        let written = report::write_folder(&mut folder, &rendered.files, &[], &histories);
        if written.is_err() {
            // Whatever was not moved in yet goes: nothing of a folder not written stays behind.
            for (_, path) in &histories {
                let _ = std::fs::remove_file(path);
            }
        }
        written
    });
    if let Err(e) = written {
        return bad_input(&e.to_string());
    }
    for note in &folder.notes {
        eprintln!("note: {note}");
    }
    let extra = [
        (&args.junit, report::ci::junit(&rendered), report::ci::JUNIT_MARKER),
        (&args.markdown, report::ci::markdown(&rendered), report::ci::MARKDOWN_MARKER),
    ];
    for (file, text, marker) in extra {
        if file.is_some() {
            let Some(mut c) = claims.next() else { return ExitCode::from(EXIT_INTERNAL) };
            if let Err(e) = report::write_file(&mut c, text.as_bytes(), marker) {
                return bad_input(&e.to_string());
            }
        }
    }
    match args.format {
        Format::Json => say(&format!("{}\n", serde_json::to_string_pretty(&rendered.summary).unwrap_or_default())),
        Format::Text => say(&text_output(&args, &scenario, seed, &result, &rendered, explained, &dir)),
    }
    if rendered.passed() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) }
}

fn text_output(
    args: &RunArgs,
    scenario: &Scenario,
    seed: u64,
    result: &RunResult,
    rendered: &report::Rendered,
    explained: Option<(String, Option<String>)>,
    dir: &std::path::Path,
) -> String {
    let mut out = String::new();
    if let (Some(name), Some((_, task))) = (&args.explain, &explained) {
        let lines: Vec<String> = result
            .log_digest
            .explanations
            .iter()
            .filter(|(_, e)| e.kind == "PLACEMENT_EXPLANATION" && task.as_ref().is_none_or(|t| e.task == *t))
            .map(|(t, e)| format!("{:>10.3} s  {}\n", t.as_secs_f64(), e.message))
            .collect();
        if lines.is_empty() {
            out += &format!("no placement of {name} to explain (is it a service or one of its tasks?)\n");
        }
        out += &lines.concat();
    }
    out += &format!(
        "ecsim {} · scenario {} · seed {} · {} simulated\n{}",
        ecsim::VERSION,
        scenario.name,
        seed,
        scenario.duration,
        report::summary_table(result),
    );
    if !rendered.outcomes.is_empty() {
        let failed = rendered.outcomes.iter().filter(|o| !o.passed).count();
        out += &format!("\n{}", report::expectations_table(&rendered.outcomes));
        out += &format!("{} of {} expectations held\n", rendered.outcomes.len() - failed, rendered.outcomes.len());
    }
    if let Some(file) = &args.baseline {
        out += &format!("\nagainst the baseline {}:\n", file.display());
        out += &super::changes_text(&rendered.changes, &rendered.baseline_notes);
    }
    out += &format!("report: {}\n", dir.display());
    out
}
