//! Scenario files: parsing (TOML or JSON) into a spanned tree, reading and validating it into a
//! typed [`Scenario`], and the diagnostics for bad input.

mod auto_scaling;
pub mod aws_file;
mod behavior;
pub mod capacity_provider;
pub mod diag;
pub mod expect;
pub mod fargate;
mod instance_group;
mod load;
mod model;
pub mod node;
pub mod overrides;
pub mod reader;
pub mod schema;
pub mod service;
pub mod swarm;
pub mod target_group;
mod task_definition;
mod timeline;
pub mod traffic;

pub use diag::{Diagnostic, Diagnostics};
pub use expect::{Expectation, Expected, SubjectKind, Subjects, parse_expect_arg};
pub use load::{QUICKSTART, QUICKSTART_NAME, load_file, load_file_with, load_str, load_str_with};
pub use model::*;
