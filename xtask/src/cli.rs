//! What every command's command line shares: the errors and their exit
//! status, and the reading of flags with [`lexopt`].

use std::path::PathBuf;

use lexopt::Arg;
pub use lexopt::Parser;
use lexopt::prelude::*;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Error {
    /// The command line was not understood: exit status 2, with the usage.
    Usage {
        message: String,
        usage: &'static str,
    },
    /// The task itself failed: exit status 1.
    Failed(String),
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::Failed(message.to_string())
    }
}

/// One command's usage text, and the usage errors that print it.
#[derive(Clone, Copy)]
pub struct Usage(pub &'static str);

impl Usage {
    /// A command line the command cannot act on.
    pub fn error(self, message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            usage: self.0,
        }
    }

    /// The usage on standard output.
    pub fn print(self) -> Result<(), Error> {
        print!("{}", self.0);
        Ok(())
    }

    /// `-h` / `--help`, just read: the usage, unless a value was attached
    /// (`--help=x`; [`Usage::next`] turns down `-hx`), which is an unexpected
    /// argument like any other.
    pub fn help(self, parser: &mut Parser) -> Result<(), Error> {
        match parser.optional_value() {
            Some(value) => Err(self.error(format!(
                "unexpected argument `--help={}`",
                value.to_string_lossy()
            ))),
            None => self.print(),
        }
    }

    /// The next argument, with lexopt's own errors as usage errors; a value
    /// given to a flag that takes none (`--check=yes`) is reported as the
    /// argument it was. `-h` is the only short flag of every command, so any
    /// other is reported whole (`-2.0.0`, not `-2`).
    pub fn next(self, parser: &mut Parser) -> Result<Option<Arg<'_>>, Error> {
        // Read ahead on a copy: the rest of `-2.0.0` can only be read after
        // `-2`, and the argument read from `parser` itself is returned.
        let mut ahead = parser.clone();
        let short = match ahead.next() {
            Ok(Some(Short(c))) => Some(c),
            _ => None,
        };
        if let Some(c) = short {
            let rest = ahead.optional_value();
            if c != 'h' || rest.is_some() {
                return Err(self.error(format!(
                    "unexpected argument `-{c}{}`",
                    rest.unwrap_or_default().to_string_lossy()
                )));
            }
        }
        parser.next().map_err(|e| match e {
            lexopt::Error::UnexpectedValue { option, value } => self.error(format!(
                "unexpected argument `{option}={}`",
                value.to_string_lossy()
            )),
            e => self.error(e.to_string()),
        })
    }

    /// The value of flag `--name`: the next argument, even if it starts
    /// with `-`, or the one attached with `=`.
    pub fn value(self, parser: &mut Parser, name: &str) -> Result<String, Error> {
        let value = parser
            .value()
            .map_err(|_| self.error(format!("--{name} needs a value")))?;
        value.into_string().map_err(|value| {
            self.error(format!(
                "--{name}: `{}` is not valid UTF-8",
                value.to_string_lossy()
            ))
        })
    }

    /// An argument the command does not take.
    pub fn unexpected(self, arg: Arg<'_>) -> Error {
        self.error(format!("unexpected argument `{}`", shown(&arg)))
    }
}

/// An argument as it was written.
fn shown(arg: &Arg<'_>) -> String {
    match arg {
        Short(c) => format!("-{c}"),
        Long(name) => format!("--{name}"),
        Value(v) => v.to_string_lossy().into_owned(),
    }
}

/// `--root DIR`, or this workspace.
pub fn root(root: Option<String>) -> PathBuf {
    root.map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
}
