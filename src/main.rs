//! The `ecsim` command line: the only place that touches the terminal, the file system for
//! reports, and the process exit code.

mod cli;

/// The runs of a sweep allocate and free a simulation each, on every thread at once; mimalloc's
/// per-thread heaps keep that from serialising on the system allocator (and speed a single run
/// up too). Addresses never reach the output, so determinism is untouched.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "ecsim", version, about = "Deterministic discrete-event simulator of an Amazon ECS cluster")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How results are printed on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Text,
    /// summary.json (with expectations and baseline changes) for programs.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario and write its report folder.
    Run(cli::run::RunArgs),
    /// Run a scenario for many seeds and variants in parallel; runs.csv, aggregate.csv,
    /// comparison.svg.
    Sweep(cli::sweep::SweepArgs),
    /// Join the folders of a sharded sweep into the files the whole sweep writes.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Turn a live cluster's describe-* output into a scenario (printed on stdout).
    Import(cli::import::ImportArgs),
    /// Check scenario files without running them; print every problem.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also list AWS fields that are accepted but not simulated.
        #[arg(long)]
        verbose: bool,
    },
    /// Print the JSON Schema (draft 2020-12) of the scenario format, for editors.
    Schema,
    /// Print a shell completion script: `ecsim completions bash > /etc/bash_completion.d/ecsim`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Compare two summary.json files; exit 1 if a metric got worse from A to B.
    Diff {
        /// The baseline summary.json.
        a: PathBuf,
        /// The new summary.json.
        b: PathBuf,
        /// Relative worsening allowed before a metric counts as a regression (0.01 = 1 %).
        #[arg(long, default_value_t = 0.0)]
        tolerance: f64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Import(args) => cli::import::run(args),
        Command::Sweep(args) => cli::sweep::sweep(args),
        Command::Merge { dirs, out } => cli::sweep::merge(&dirs, &out),
        Command::Validate { files, verbose } => cli::validate(&files, verbose),
        Command::Diff { a, b, tolerance, format } => cli::diff(&a, &b, tolerance, format),
        Command::Schema => {
            let schema = ecsim::scenario::schema::scenario_schema();
            cli::say(&format!("{}\n", serde_json::to_string_pretty(&schema).unwrap_or_default()));
            ExitCode::SUCCESS
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ecsim", &mut out);
            cli::say(&String::from_utf8_lossy(&out));
            ExitCode::SUCCESS
        }
    }
}
