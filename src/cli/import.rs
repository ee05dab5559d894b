//! `ecsim import`: reads the describe-* files, prints the scenario on stdout (after checking
//! that it loads), and lists on stderr what the user should review.

use std::path::PathBuf;
use std::process::ExitCode;

use ecsim::import::{ImportInput, InputFile, import};

use super::{EXIT_BAD_INPUT, say};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// describe-services output (or a create-service input); repeatable.
    #[arg(long, required = true, num_args = 1..)]
    pub services: Vec<PathBuf>,
    /// describe-task-definition output (or register input) for the revisions the services run.
    #[arg(long, num_args = 1..)]
    pub task_definitions: Vec<PathBuf>,
    /// describe-container-instances output: the fleet, by instance type and zone.
    #[arg(long)]
    pub container_instances: Option<PathBuf>,
    /// describe-target-groups output for the services' target groups.
    #[arg(long)]
    pub target_groups: Option<PathBuf>,
    /// describe-capacity-providers output: Auto Scaling group providers and managed scaling.
    #[arg(long)]
    pub capacity_providers: Option<PathBuf>,
    /// describe-clusters output: the cluster's capacity providers and default strategy.
    #[arg(long)]
    pub cluster: Option<PathBuf>,
}

fn read(path: &PathBuf) -> Result<InputFile, String> {
    std::fs::read_to_string(path)
        .map(|text| InputFile { name: path.display().to_string(), text })
        .map_err(|e| format!("{}: cannot read the file: {e}", path.display()))
}

pub fn run(args: ImportArgs) -> ExitCode {
    let files = || -> Result<ImportInput, String> {
        Ok(ImportInput {
            services: args.services.iter().map(read).collect::<Result<_, _>>()?,
            task_definitions: args.task_definitions.iter().map(read).collect::<Result<_, _>>()?,
            container_instances: args.container_instances.as_ref().map(read).transpose()?,
            target_groups: args.target_groups.as_ref().map(read).transpose()?,
            capacity_providers: args.capacity_providers.as_ref().map(read).transpose()?,
            cluster: args.cluster.as_ref().map(read).transpose()?,
        })
    };
    let input = match files() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let imported = match import(&input) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    // What AWS accepted may still be something ecsim cannot run: say so now, not at `run`.
    if let Err(diags) = ecsim::scenario::load_str("<imported scenario>", &imported.toml, None) {
        eprintln!("{diags}");
        eprintln!("error: the imported scenario does not load (above); nothing was printed");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    say(&imported.toml);
    eprintln!("imported; review before relying on it:");
    for r in &imported.review {
        eprintln!("  - {r}");
    }
    ExitCode::SUCCESS
}
