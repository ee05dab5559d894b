//! Writes a report folder atomically: into a temporary sibling first, then renamed into place.
//! An existing folder is replaced only if ecsim wrote it (it carries a marker file); anything
//! else the user keeps there is never overwritten.

use std::fs;
use std::path::{Path, PathBuf};

/// Marks a folder as an ecsim report, so a later run may replace it.
pub const MARKER: &str = ".ecsim-report";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {message}")]
    Refused { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot format the report: {0}")]
    Format(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io { path: path.display().to_string(), source }
}

/// Writes `files` (name, bytes) as the folder `dir`.
pub fn write_report(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), ReportError> {
    write_report_with(dir, files, &[])
}

/// Where a file that will become part of the folder `dir` can be written first (beside it, on
/// the same file system, so it can be moved in); see [`write_report_with`].
pub fn scratch_path(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map_or("report".into(), |n| n.to_string_lossy().into_owned());
    parent_of(dir).join(format!(".{name}.ecsim-{what}-{}", std::process::id()))
}

/// [`write_report`], with files already on disk (name, scratch path) moved in as well: a sweep
/// streams its rows to disk instead of holding them.
pub fn write_report_with(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    moved: &[(String, PathBuf)],
) -> Result<(), ReportError> {
    let shown = dir.display().to_string();
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ReportError::Refused {
                path: shown,
                message: "exists and is not a directory; choose another --out".into(),
            });
        }
        let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(ReportError::Refused {
                path: shown,
                message: "exists, is not empty and was not written by ecsim; refusing to overwrite it (choose another --out or remove it)".into(),
            });
        }
    }
    let parent = parent_of(dir);
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = dir.file_name().map_or("report".into(), |n| n.to_string_lossy().into_owned());
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.ecsim-tmp-{pid}"));
    let old = parent.join(format!(".{name}.ecsim-old-{pid}"));
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir(&tmp).map_err(io(&tmp))?;
        for (file, bytes) in files {
            let p = tmp.join(file);
            fs::write(&p, bytes).map_err(io(&p))?;
        }
        for (file, from) in moved {
            fs::rename(from, tmp.join(file)).map_err(io(from))?;
        }
        let marker = tmp.join(MARKER);
        fs::write(&marker, b"written by ecsim; a later run may replace this folder\n").map_err(io(&marker))?;
        if dir.exists() {
            fs::rename(dir, &old).map_err(io(dir))?;
            if let Err(e) = fs::rename(&tmp, dir) {
                let _ = fs::rename(&old, dir);
                return Err(io(dir)(e));
            }
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&tmp, dir).map_err(io(dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Writes one file (`--junit`, `--markdown`) atomically. An existing file is replaced only if it
/// contains `marker` (ecsim wrote it); a file the user wrote is never overwritten.
pub fn write_file(path: &Path, bytes: &[u8], marker: &str) -> Result<(), ReportError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(ReportError::Refused { path: shown, message: "is a directory; expected a file name".into() });
    }
    if path.exists() {
        let existing = fs::read(path).map_err(io(path))?;
        if !String::from_utf8_lossy(&existing).contains(marker) {
            return Err(ReportError::Refused {
                path: shown,
                message: "exists and was not written by ecsim; refusing to overwrite it".into(),
            });
        }
    }
    let parent = parent_of(path);
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.ecsim-tmp-{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// The folder `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
