//! The conformance corpus: six real OpenAPI 3.1 documents published by
//! FastAPI services, and the one place that knows where each of them is.
//!
//! Four are copied into this repository, in `conformance/specs/` (see the
//! README there for their provenance and licences), and are always available.
//! Two may not be copied; they are available only when the environment
//! variable [`ENV_VAR`] (`IONWORKS_CONFORMANCE_DIR`) names a folder that holds
//! them. The repository's copy of a vendored document is the one read, even
//! when that folder holds one too.
//!
//! ```
//! let infinity = ionworks_corpus::document("infinity");
//! assert!(infinity.vendored);
//! let bytes = infinity.read().expect("a vendored document is always available");
//! assert!(bytes.starts_with(b"{"));
//!
//! // Not vendored: available only from IONWORKS_CONFORMANCE_DIR.
//! match ionworks_corpus::document("skyvern").path() {
//!     Ok(path) => println!("skyvern: {}", path.display()),
//!     Err(unavailable) => println!("{unavailable}"),
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming a folder that holds the documents not
/// vendored (phoenix and skyvern). A relative path is taken from the
/// workspace root, whichever process (build script, test, benchmark) reads
/// it.
pub const ENV_VAR: &str = "IONWORKS_CONFORMANCE_DIR";

/// One document of the corpus and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document {
    /// Short name, a Rust identifier: test, snapshot and module names.
    pub name: &'static str,
    /// File name, in `conformance/specs/` or in the [`ENV_VAR`] folder.
    pub file: &'static str,
    /// Source repository on GitHub (`owner/name`).
    pub repository: &'static str,
    /// Commit of the source repository the document was copied from.
    pub commit: &'static str,
    /// Path of the document in the source repository.
    pub path: &'static str,
    /// The licence of the source repository at that commit, as an SPDX
    /// identifier (`MIT`, `Apache-2.0`, …).
    pub licence: &'static str,
    /// Whether the document is copied into `conformance/specs/`.
    pub vendored: bool,
}

/// The corpus, smallest document first.
pub const DOCUMENTS: &[Document] = &[
    Document {
        name: "infinity",
        file: "michaelfeil__infinity__openapi.json",
        repository: "michaelfeil/infinity",
        commit: "fcb951cb679d0de185bf254600d9b7d2cd3a263a",
        path: "docs/assets/openapi.json",
        licence: "MIT",
        vendored: true,
    },
    Document {
        name: "sqlmesh",
        file: "TobikoData__sqlmesh__web-client-openapi.json",
        repository: "TobikoData/sqlmesh",
        commit: "0f192c93ef00f5d0974894c3240e8a24fd09050c",
        path: "web/client/openapi.json",
        licence: "Apache-2.0",
        vendored: true,
    },
    Document {
        name: "private_gpt",
        file: "zylon-ai__private-gpt__fern-openapi.json",
        repository: "zylon-ai/private-gpt",
        commit: "ab89a0d67bf6a30481081bdc7c487b484d82f91b",
        path: "fern/openapi/openapi.json",
        licence: "Apache-2.0",
        vendored: true,
    },
    Document {
        name: "phoenix",
        file: "Arize-ai__phoenix__openapi.json",
        repository: "Arize-ai/phoenix",
        commit: "9478f954bbc6175a0eaef398d0a92c1d967c3bfe",
        path: "schemas/openapi.json",
        licence: "Elastic-2.0",
        vendored: false,
    },
    Document {
        name: "skyvern",
        file: "Skyvern-AI__skyvern__api-reference-openapi.json",
        repository: "Skyvern-AI/skyvern",
        commit: "07222e7a7caae79aacd5908c30e4a4445fce5f9b",
        path: "docs/api-reference/openapi.json",
        licence: "AGPL-3.0",
        vendored: false,
    },
    Document {
        name: "prefect",
        file: "PrefectHQ__prefect__server-schema.json",
        repository: "PrefectHQ/prefect",
        commit: "ce79dd3d6cfa2b7337265498210dbc4d25bcdc98",
        path: "docs/v3/api-ref/rest-api/server/schema.json",
        licence: "Apache-2.0",
        vendored: true,
    },
];

/// The document named `name` (a [`Document::name`]).
///
/// # Panics
///
/// If the corpus has no such document.
pub fn document(name: &str) -> &'static Document {
    DOCUMENTS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no conformance document named `{name}`"))
}

/// The repository's folder of vendored documents, `conformance/specs/`.
pub fn specs_dir() -> PathBuf {
    conformance_dir().join("specs")
}

/// `conformance/`, the parent of this crate's folder.
fn conformance_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in conformance/corpus")
}

/// The folder named by [`ENV_VAR`], if it is set and not empty (a relative
/// path is taken from the workspace root). It need not exist.
pub fn outside_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty())?;
    let workspace = conformance_dir()
        .parent()
        .expect("conformance/ is in the workspace root");
    Some(workspace.join(dir))
}

impl Document {
    /// Where the document is: in `conformance/specs/` if it is vendored
    /// (whether or not the file is there: a missing vendored document is a
    /// broken checkout, which [`read`](Self::read) reports), otherwise in the
    /// [`ENV_VAR`] folder if that holds it.
    pub fn path(&'static self) -> Result<PathBuf, Unavailable> {
        if self.vendored {
            return Ok(specs_dir().join(self.file));
        }
        let folder = outside_dir();
        match &folder {
            Some(dir) if dir.join(self.file).is_file() => Ok(dir.join(self.file)),
            _ => Err(Unavailable {
                document: self,
                folder,
            }),
        }
    }

    /// The document's bytes, or why it is not available (only a document
    /// that is not vendored can be).
    ///
    /// # Panics
    ///
    /// If the document's file cannot be read: for a vendored one, that is a
    /// failure, never a reason to skip it.
    pub fn read(&'static self) -> Result<Vec<u8>, Unavailable> {
        let path = self.path()?;
        Ok(std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read conformance document `{}` at {}: {e}",
                self.name,
                path.display()
            )
        }))
    }
}

/// Why a document that is not vendored is not available; its `Display` says
/// which document and what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// The document.
    pub document: &'static Document,
    /// The [`ENV_VAR`] folder looked in, if the variable is set.
    pub folder: Option<PathBuf>,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Document {
            name,
            file,
            licence,
            ..
        } = self.document;
        write!(
            f,
            "conformance document `{name}` not available ({licence}, not in this repository): "
        )?;
        match &self.folder {
            None => write!(f, "{ENV_VAR} is not set to a folder holding {file}"),
            Some(dir) => write!(f, "{ENV_VAR}={} does not hold {file}", dir.display()),
        }
    }
}

impl std::error::Error for Unavailable {}

/// One line saying which documents are available and from where, e.g.
/// `conformance documents: infinity, sqlmesh, private_gpt, prefect from
/// conformance/specs; not available: phoenix, skyvern (IONWORKS_CONFORMANCE_DIR
/// is not set)`.
pub fn summary() -> String {
    let names = |vendored: bool, available: bool| -> Vec<&str> {
        DOCUMENTS
            .iter()
            .filter(|d| d.vendored == vendored && d.path().is_ok() == available)
            .map(|d| d.name)
            .collect()
    };
    let mut line = format!(
        "conformance documents: {} from conformance/specs",
        names(true, true).join(", ")
    );
    let outside = names(false, true);
    let missing = names(false, false);
    let folder = outside_dir();
    if !outside.is_empty() {
        let dir = folder.as_deref().unwrap_or(Path::new(""));
        line += &format!("; {} from {}", outside.join(", "), dir.display());
    }
    if !missing.is_empty() {
        let why = match &folder {
            None => format!("{ENV_VAR} is not set"),
            Some(dir) => format!("not in {ENV_VAR}={}", dir.display()),
        };
        line += &format!("; not available: {} ({why})", missing.join(", "));
    }
    line
}

/// Writes `line` to standard error directly, so that a test's report shows in
/// `cargo test`'s output: the test harness captures what `print!` and
/// `eprint!` write, not writes to [`std::io::stderr`].
pub fn report(line: &str) {
    use std::io::Write as _;
    // A report that cannot be written is not worth failing a test for.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files_are_unique_and_usable() {
        for (i, d) in DOCUMENTS.iter().enumerate() {
            assert!(
                d.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "`{}` is not a lowercase identifier",
                d.name
            );
            assert!(d.file.ends_with(".json"), "{}", d.file);
            assert!(
                d.commit.len() == 40 && d.commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: commit must be a full hash",
                d.name
            );
            for other in &DOCUMENTS[i + 1..] {
                assert_ne!(d.name, other.name);
                assert_ne!(d.file, other.file);
            }
        }
    }

    /// `conformance/specs/` holds exactly the vendored documents.
    #[test]
    fn specs_folder_holds_the_vendored_documents() {
        let mut found: Vec<String> = std::fs::read_dir(specs_dir())
            .expect("conformance/specs is readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        found.sort();
        let mut vendored: Vec<&str> = DOCUMENTS
            .iter()
            .filter(|d| d.vendored)
            .map(|d| d.file)
            .collect();
        vendored.sort();
        assert_eq!(found, vendored);
    }

    /// The specs README names each document's provenance as the table does,
    /// and each vendored document's licence file is beside it.
    #[test]
    fn readme_and_licences_agree_with_the_table() {
        let readme =
            std::fs::read_to_string(specs_dir().join("README.md")).expect("specs/README.md");
        for d in DOCUMENTS {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` | [", d.file)))
                .unwrap_or_else(|| panic!("specs/README.md has no row for {}", d.file));
            for field in [d.repository, d.commit, d.path, d.licence] {
                assert!(row.contains(field), "{}: README row lacks {field}", d.name);
            }
            if d.vendored {
                let licence = specs_dir()
                    .join("licenses")
                    .join(format!("{}.LICENSE", d.repository.replace('/', "__")));
                assert!(
                    licence.is_file(),
                    "{}: missing {}",
                    d.name,
                    licence.display()
                );
            }
        }
    }

    #[test]
    fn vendored_documents_are_always_available() {
        for d in DOCUMENTS.iter().filter(|d| d.vendored) {
            let bytes = d.read().expect("vendored");
            assert!(bytes.starts_with(b"{"), "{} is not a JSON object", d.name);
        }
    }

    #[test]
    fn unavailable_says_what_to_set() {
        let skyvern = document("skyvern");
        let unset = Unavailable {
            document: skyvern,
            folder: None,
        };
        assert_eq!(
            unset.to_string(),
            "conformance document `skyvern` not available (AGPL-3.0, not in this repository): \
             IONWORKS_CONFORMANCE_DIR is not set to a folder holding \
             Skyvern-AI__skyvern__api-reference-openapi.json"
        );
        let elsewhere = Unavailable {
            document: skyvern,
            folder: Some(PathBuf::from("/nowhere")),
        };
        assert!(
            elsewhere
                .to_string()
                .ends_with("IONWORKS_CONFORMANCE_DIR=/nowhere does not hold Skyvern-AI__skyvern__api-reference-openapi.json")
        );
    }

    #[test]
    #[should_panic(expected = "no conformance document named `nope`")]
    fn unknown_names_panic() {
        document("nope");
    }
}
