//! The `ecsim` command line: the only place that touches the terminal, the file system for
//! reports, and the process exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use ecsim::observer::RunResult;
use ecsim::report;
use ecsim::scenario::{self, Scenario};
use ecsim::sim::{SimError, Simulation};

/// Exit codes (DESIGN.md §5): 0 success, 1 an expectation failed, 2 bad input, 3 internal error.
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_INTERNAL: u8 = 3;

#[derive(Parser)]
#[command(name = "ecsim", version, about = "Deterministic discrete-event simulator of an Amazon ECS cluster")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario and write its report folder.
    Run {
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
        /// Explain every placement decision for this service (or one of its tasks, e.g. web-3):
        /// printed after the run and written to events.csv.
        #[arg(long, value_name = "TASK_OR_SERVICE")]
        explain: Option<String>,
    },
    /// Check scenario files without running them; print every problem.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also list AWS fields that are accepted but not simulated.
        #[arg(long)]
        verbose: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, seed, out, check, explain } => run(scenario, seed, out, check, explain),
        Command::Validate { files, verbose } => validate(&files, verbose),
    }
}

fn load(path: Option<&PathBuf>) -> Result<Scenario, ExitCode> {
    let loaded = match path {
        Some(p) => scenario::load_file(p),
        None => scenario::load_str(scenario::QUICKSTART_NAME, scenario::QUICKSTART, None),
    };
    loaded.map_err(|diags| {
        eprintln!("{diags}");
        eprintln!("{} problem(s) found; nothing was run.", diags.0.len());
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

fn rerun_command(path: Option<&PathBuf>, seed: u64) -> String {
    match path {
        Some(p) => format!("ecsim run {} --seed {seed} --check", p.display()),
        None => format!("ecsim run --seed {seed} --check"),
    }
}

fn run(
    path: Option<PathBuf>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    check: bool,
    explain: Option<String>,
) -> ExitCode {
    let mut scenario = match load(path.as_ref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    scenario.settings.check_invariants |= check;
    // What --explain names: a service, a task family, a workload or a task group; a task name
    // (web-3, job-17) explains through what launched it, and only its own lines are printed.
    let subjects: Vec<&str> = scenario
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(scenario.task_definitions.iter().map(|td| td.family.as_str()))
        .chain(scenario.workloads.iter().map(|w| w.name.as_str()))
        .chain(scenario.workloads.iter().filter_map(|w| w.group.as_deref()))
        .collect();
    let explained = explain.as_ref().map(|name| {
        let is_task_of = |s: &&&str| name.strip_prefix(**s).is_some_and(|rest| rest.starts_with('-'));
        match subjects.iter().find(|s| *s == name) {
            Some(s) => (s.to_string(), None),
            None => match subjects.iter().filter(is_task_of).max_by_key(|s| s.len()) {
                Some(s) => (s.to_string(), Some(name.clone())),
                None => (name.clone(), None),
            },
        }
    });
    scenario.settings.explain = explained.as_ref().map(|(subject, _)| subject.clone());
    // After a panic nothing of the run is used again, so unwind safety holds.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Simulation::new(&scenario, seed).run()));
    let result: RunResult = match outcome {
        Ok(Ok(r)) => r,
        Ok(Err(e @ SimError::Runaway(_))) => {
            eprintln!("error: {e}");
            eprintln!("rerun: {}", rerun_command(path.as_ref(), seed));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        Ok(Err(e)) => {
            eprintln!("internal error (a bug in ecsim): {e}");
            eprintln!("rerun: {}", rerun_command(path.as_ref(), seed));
            return ExitCode::from(EXIT_INTERNAL);
        }
        Err(_) => {
            eprintln!("internal error (a bug in ecsim): the simulation panicked");
            eprintln!("rerun: {}", rerun_command(path.as_ref(), seed));
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let files = match report::render(&result, &scenario) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("internal error (a bug in ecsim): {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    if let Err(e) = report::write_report(&dir, &files) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if let (Some(name), Some((_, task))) = (&explain, &explained) {
        let lines: Vec<String> = result
            .log
            .iter()
            .filter(|(_, e)| e.kind == "PLACEMENT_EXPLANATION" && task.as_ref().is_none_or(|t| e.task == *t))
            .map(|(t, e)| format!("{:>10.3} s  {}\n", t.as_secs_f64(), e.message))
            .collect();
        if lines.is_empty() {
            say(&format!("no placement of {name} to explain (is it a service or one of its tasks?)\n"));
        }
        say(&lines.concat());
    }
    say(&format!(
        "ecsim {} · scenario {} · seed {} · {} simulated\n{}report: {}\n",
        ecsim::VERSION,
        scenario.name,
        seed,
        scenario.duration,
        report::summary_table(&result),
        dir.display()
    ));
    // Expectations (exit code 1 when one fails) arrive with the `expect` section.
    ExitCode::SUCCESS
}

/// Writes to stdout; a closed pipe (`ecsim run | head`) is not an error worth a panic.
fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn validate(files: &[PathBuf], verbose: bool) -> ExitCode {
    let mut bad = 0;
    for f in files {
        match scenario::load_file(f) {
            Ok(s) => {
                let mut text = format!(
                    "{}: ok ({} services, {} instance groups, {} timeline events)\n",
                    f.display(),
                    s.services.len(),
                    s.groups.len(),
                    s.timeline.len()
                );
                if verbose {
                    for field in &s.ignored_fields {
                        text.push_str(&format!("  accepted, not simulated: {field}\n"));
                    }
                }
                say(&text);
            }
            Err(diags) => {
                bad += 1;
                eprintln!("{diags}");
            }
        }
    }
    if bad > 0 { ExitCode::from(EXIT_BAD_INPUT) } else { ExitCode::SUCCESS }
}
