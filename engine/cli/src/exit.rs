//! Exit codes, documented in `--help` and the README.

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Allow / APPROVE, or success.
    Allow,
    /// Deny / DENY.
    Deny,
    /// Review / ABSTAIN: a human must decide.
    Review,
    /// A test failed, or coverage is below the threshold.
    Failed,
    /// The command line is wrong.
    Usage,
    /// The request or another input is invalid.
    InvalidInput,
    /// The bundle is invalid.
    InvalidBundle,
    /// A file could not be read or written.
    CannotRead,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> std::process::ExitCode {
        std::process::ExitCode::from(match self {
            Exit::Allow => 0,
            Exit::Deny => 10,
            Exit::Review => 11,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::InvalidInput => 3,
            Exit::InvalidBundle => 4,
            Exit::CannotRead => 5,
        })
    }
}
