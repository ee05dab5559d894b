//! Writes outputs atomically: a report folder goes into a temporary sibling first and is renamed
//! into place; a single file (`--junit`, `--markdown`) likewise. An existing output is replaced
//! only if ecsim wrote it (a folder carries a marker file, a file a marker string) and it is
//! writable; anything else the user keeps there is never overwritten.
//!
//! While a process produces an output it holds a [`Claim`]: a lock file
//! `.NAME.ecsim-lock-PID` beside it, locked until the claim is dropped. Every temporary beside
//! the output is named `.NAME.ecsim-WHAT-PID`, so a later claim can tell the leftovers of a run
//! that died (killed, out of power) from those of a run still going: the dead one's lock is gone
//! or no longer held. Leftovers are removed when the next claim is taken, and said.

use std::fs::{self, File};
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

fn refused(path: &Path, message: &str) -> ReportError {
    ReportError::Refused { path: path.display().to_string(), message: message.to_string() }
}

/// Whether the folder `dir` may be written: absent, empty, or an ecsim report that is writable.
/// Writes nothing; [`write_folder`] checks again when it writes.
pub fn check_folder(dir: &Path) -> Result<(), ReportError> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(refused(dir, "exists and is not a directory; choose another --out"));
    }
    let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
    if empty {
        return Ok(());
    }
    if !dir.join(MARKER).exists() {
        return Err(refused(
            dir,
            "exists, is not empty and was not written by ecsim; refusing to overwrite it (choose another --out or remove it)",
        ));
    }
    if fs::metadata(dir).map_err(io(dir))?.permissions().readonly() {
        return Err(refused(dir, "is read-only; refusing to replace it (make it writable or choose another --out)"));
    }
    Ok(())
}

/// Whether the file `path` may be written: absent, or written by ecsim (it contains `marker`)
/// and writable. Writes nothing.
pub fn check_file(path: &Path, marker: &str) -> Result<(), ReportError> {
    if path.is_dir() {
        return Err(refused(path, "is a directory; expected a file name"));
    }
    if !path.exists() {
        return Ok(());
    }
    let existing = fs::read(path).map_err(io(path))?;
    if !String::from_utf8_lossy(&existing).contains(marker) {
        return Err(refused(path, "exists and was not written by ecsim; refusing to overwrite it"));
    }
    if fs::metadata(path).map_err(io(path))?.permissions().readonly() {
        return Err(refused(path, "is read-only; refusing to replace it"));
    }
    Ok(())
}

/// This process producing the output `target` (a folder or a file). Taking it removes the
/// leftovers of dead runs beside the target ([`Claim::notes`] says what was removed or could not
/// be); dropping it removes the lock file and, unless [`Claim::done`] was called, any parent
/// folders it had to create.
pub struct Claim {
    target: PathBuf,
    parent: PathBuf,
    name: String,
    lock_path: PathBuf,
    lock: Option<File>,
    created_dirs: Vec<PathBuf>,
    done: bool,
    /// What the cleanup of earlier runs' leftovers did, for the user to read.
    pub notes: Vec<String>,
}

impl Claim {
    pub fn new(target: &Path) -> Result<Claim, ReportError> {
        let parent = parent_of(target);
        let name = target.file_name().map_or("report".into(), |n| n.to_string_lossy().into_owned());
        let created_dirs = create_parents(&parent)?;
        let pid = std::process::id();
        let lock_path = parent.join(temp_name(&name, "lock", pid));
        let mut claim = Claim {
            target: target.to_path_buf(),
            parent,
            name,
            lock_path: lock_path.clone(),
            lock: None,
            created_dirs,
            done: false,
            notes: Vec::new(),
        };
        let file = File::create(&lock_path).map_err(io(&lock_path))?;
        file.lock().map_err(io(&lock_path))?;
        claim.lock = Some(file);
        claim.remove_leftovers();
        Ok(claim)
    }

    /// Where a temporary `what` of this process lives beside the target (same file system, so
    /// it can be renamed into place).
    pub fn scratch(&self, what: &str) -> PathBuf {
        self.parent.join(temp_name(&self.name, what, std::process::id()))
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The output was written: folders created for it stay.
    pub fn done(&mut self) {
        self.done = true;
    }

    /// Removes `.NAME.ecsim-WHAT-PID` entries whose process no longer holds its lock.
    fn remove_leftovers(&mut self) {
        let Ok(entries) = fs::read_dir(&self.parent) else { return };
        let prefix = format!(".{}.ecsim-", self.name);
        let own = std::process::id();
        let mut stale_locks = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Some((what, pid)) = file_name.strip_prefix(&prefix).and_then(|rest| rest.rsplit_once('-')) else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else { continue };
            let path = entry.path();
            if what == "lock" {
                if pid != own {
                    stale_locks.push((pid, path));
                }
                continue;
            }
            // Our own pid on an entry we did not make yet: a dead run that had the same pid.
            if pid != own && self.alive(pid) {
                continue;
            }
            let removed = if path.is_dir() { remove_tree(&path) } else { fs::remove_file(&path) };
            self.notes.push(match removed {
                Ok(()) => format!("removed {}, left by an ecsim run that did not finish", path.display()),
                Err(e) => format!(
                    "could not remove {}, left by an ecsim run that did not finish: {e}; remove it by hand",
                    path.display()
                ),
            });
        }
        for (pid, path) in stale_locks {
            // A lock file is created and then locked: one seen unlocked may be a run starting
            // this very moment, so only an old one goes.
            let old = fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= 10);
            if old && !self.alive(pid) {
                let _ = fs::remove_file(&path);
            }
        }
    }

    /// Whether process `pid` still holds its lock on this target.
    fn alive(&self, pid: u32) -> bool {
        let path = self.parent.join(temp_name(&self.name, "lock", pid));
        match File::open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(_) => true,
            Ok(f) => match f.try_lock() {
                Ok(()) => false,
                Err(std::fs::TryLockError::WouldBlock) => true,
                Err(std::fs::TryLockError::Error(_)) => true,
            },
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // Closing the file releases the lock; the file goes after (Windows cannot delete an open
        // file).
        drop(self.lock.take());
        let _ = fs::remove_file(&self.lock_path);
        if !self.done {
            for d in self.created_dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
        }
    }
}

fn temp_name(name: &str, what: &str, pid: u32) -> String {
    format!(".{name}.ecsim-{what}-{pid}")
}

/// Creates `dir` and its missing ancestors; returns the ones it created, outermost first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    missing.reverse();
    for p in &missing {
        match fs::create_dir(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(p)(e)),
        }
    }
    Ok(missing)
}

/// Removes a folder tree; read-only folders inside (a copy made read-only) are made writable
/// first, since a folder's entries cannot be removed otherwise.
fn remove_tree(path: &Path) -> std::io::Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(first) => {
            make_writable(path);
            fs::remove_dir_all(path).map_err(|_| first)
        }
    }
}

fn make_writable(path: &Path) {
    if let Ok(meta) = fs::symlink_metadata(path) {
        let mut perms = meta.permissions();
        if perms.readonly() {
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = fs::set_permissions(path, perms);
        }
        if meta.is_dir() {
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                make_writable(&entry.path());
            }
        }
    }
}

/// Writes `files` (name, bytes) as the folder `dir`, claiming it for the time (see
/// [`write_folder`]). Returns the notes of the cleanup.
pub fn write_report(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<String>, ReportError> {
    let mut claim = Claim::new(dir)?;
    write_folder(&mut claim, files, &[], &[])?;
    Ok(std::mem::take(&mut claim.notes))
}

/// Writes `files` (name, bytes) as the claimed folder, with files already on disk (name,
/// scratch path) moved in as well: a sweep streams its rows to disk instead of holding them.
pub fn write_folder(
    claim: &mut Claim,
    files: &[(String, Vec<u8>)],
    streamed: &[super::Streamed<'_>],
    moved: &[(String, PathBuf)],
) -> Result<(), ReportError> {
    let dir = claim.target.clone();
    check_folder(&dir)?;
    let (tmp, old) = (claim.scratch("tmp"), claim.scratch("old"));
    let result = (|| {
        fs::create_dir(&tmp).map_err(io(&tmp))?;
        for (file, bytes) in files {
            let p = tmp.join(file);
            fs::write(&p, bytes).map_err(io(&p))?;
        }
        for s in streamed {
            let p = tmp.join(&s.name);
            let mut w = std::io::BufWriter::new(File::create(&p).map_err(io(&p))?);
            s.write_to(&mut w)?;
            std::io::Write::flush(&mut w).map_err(io(&p))?;
        }
        for (file, from) in moved {
            fs::rename(from, tmp.join(file)).map_err(io(from))?;
        }
        let marker = tmp.join(MARKER);
        fs::write(&marker, b"written by ecsim; a later run may replace this folder\n").map_err(io(&marker))?;
        if dir.exists() {
            fs::rename(&dir, &old).map_err(io(&dir))?;
            if let Err(e) = fs::rename(&tmp, &dir) {
                let _ = fs::rename(&old, &dir);
                return Err(io(&dir)(e));
            }
            if let Err(e) = remove_tree(&old) {
                claim.notes.push(format!(
                    "could not remove the previous report, moved to {}: {e}; remove it by hand",
                    old.display()
                ));
            }
        } else {
            fs::rename(&tmp, &dir).map_err(io(&dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = remove_tree(&tmp);
    } else {
        claim.done();
    }
    result
}

/// Writes the claimed file atomically. An existing file is replaced only if it contains `marker`
/// (ecsim wrote it) and is writable; a file the user wrote is never overwritten.
pub fn write_file(claim: &mut Claim, bytes: &[u8], marker: &str) -> Result<(), ReportError> {
    let path = claim.target.clone();
    check_file(&path, marker)?;
    let tmp = claim.scratch("tmp");
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, &path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(&path)(e)
    })?;
    claim.done();
    Ok(())
}

/// The folder `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
