//! `capture --user NAME`: after the interfaces and the listening socket are
//! open (which need root, or its capabilities), the daemon becomes that
//! user: its supplementary groups, then its group, then its user id (the
//! order that leaves no privilege behind). What is already open keeps
//! working; everything written afterwards (store, archive) is written as
//! the user, so those folders must be writable by it.

use std::ffi::CString;

use nix::unistd::{Gid, Uid, User, initgroups, setgid, setuid};

/// Why the daemon could not become the user.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("--user {0}: no such user on this host (see /etc/passwd)")]
    NoSuchUser(String),
    #[error("--user {user}: {step} failed ({source}); run darkscope as root to drop to another user")]
    Failed { user: String, step: &'static str, source: nix::Error },
}

/// Becomes `name`; gives its uid and gid.
pub fn become_user(name: &str) -> Result<(Uid, Gid), PrivilegeError> {
    let user = User::from_name(name).ok().flatten().ok_or_else(|| PrivilegeError::NoSuchUser(name.to_string()))?;
    let failed = |step| move |source| PrivilegeError::Failed { user: name.to_string(), step, source };
    let c_name = CString::new(name).map_err(|_| PrivilegeError::NoSuchUser(name.to_string()))?;
    initgroups(&c_name, user.gid).map_err(failed("setting its supplementary groups"))?;
    setgid(user.gid).map_err(failed("setgid"))?;
    setuid(user.uid).map_err(failed("setuid"))?;
    Ok((user.uid, user.gid))
}
