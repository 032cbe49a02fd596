//! Upload cycler data as a measurement, or download one's time series.
//!
//! ```sh
//! cargo run --example measurements -- upload CELL_INSTANCE_ID FILE.parquet [NAME]
//! cargo run --example measurements -- download MEASUREMENT_ID OUT.parquet
//! ```
//!
//! With `IONWORKS_API_KEY` or `IONWORKS_API_TOKEN` set it talks to the
//! configured server (`IONWORKS_API_URL`); without them it uses the
//! embedded stand-in (`ionworks::testing::StandIn`), where a download
//! needs a measurement uploaded in the same run, so `upload` is the one to
//! try offline.

use std::io::Write;
use std::process::ExitCode;

use futures_util::TryStreamExt;
use ionworks::testing::StandIn;
use ionworks::types::MeasurementMetadata;
use ionworks::upload::FilePart;
use ionworks::{Client, ENV_API_KEY, ENV_API_TOKEN};
use tokio::io::AsyncWriteExt;

/// `--help`.
pub const USAGE: &str = "\
usage: cargo run --example measurements -- COMMAND

commands:
  upload CELL_INSTANCE_ID FILE [NAME]   upload the Parquet time series FILE as a
                                        new measurement of the cell instance
                                        (named NAME, default the file's name),
                                        wait until the server has processed it
  download MEASUREMENT_ID OUT           write the measurement's time series
                                        (Parquet) to OUT
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `upload CELL_INSTANCE_ID FILE [NAME]`.
    Upload {
        /// The cell instance.
        instance: String,
        /// The Parquet file.
        file: String,
        /// The measurement's name.
        name: Option<String>,
    },
    /// `download MEASUREMENT_ID OUT`.
    Download {
        /// The measurement.
        id: String,
        /// Where to write it.
        out: String,
    },
    /// `--help`.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["-h" | "--help"] | [] => Ok(Command::Help),
        ["upload", instance, file] => Ok(Command::Upload {
            instance: instance.to_string(),
            file: file.to_string(),
            name: None,
        }),
        ["upload", instance, file, name] => Ok(Command::Upload {
            instance: instance.to_string(),
            file: file.to_string(),
            name: Some(name.to_string()),
        }),
        ["download", id, out] => Ok(Command::Download {
            id: id.to_string(),
            out: out.to_string(),
        }),
        ["upload", ..] => Err("upload needs CELL_INSTANCE_ID FILE [NAME]".into()),
        ["download", ..] => Err("download needs MEASUREMENT_ID OUT".into()),
        [other, ..] => Err(format!("unknown command `{other}`")),
    }
}

/// Uploads `file` as a measurement of `instance` and waits for it.
pub async fn upload(
    client: &Client,
    instance: &str,
    file: &str,
    name: Option<String>,
    out: &mut (dyn Write + Send),
) -> Result<String, Box<dyn std::error::Error>> {
    let path = std::path::Path::new(file);
    if !path.is_file() {
        return Err(format!("{file} is not a file").into());
    }
    let name = name.unwrap_or_else(|| {
        path.file_stem()
            .map_or("measurement".into(), |s| s.to_string_lossy().into_owned())
    });
    writeln!(
        out,
        "uploading {file} as measurement `{name}` of cell instance {instance}"
    )?;
    let measurement = client
        .upload_measurement(
            instance,
            MeasurementMetadata::builder().name(name),
            FilePart::path(path),
        )
        .await?;
    writeln!(
        out,
        "measurement {} is {}",
        measurement.id,
        measurement.processing_status.as_deref().unwrap_or("ready")
    )?;
    Ok(measurement.id.clone())
}

/// Writes the time series of measurement `id` to `to`; returns its size.
pub async fn download(
    client: &Client,
    id: &str,
    to: &str,
    out: &mut (dyn Write + Send),
) -> Result<u64, Box<dyn std::error::Error>> {
    let response = client
        .download_measurement_time_series()
        .id(id)
        .send()
        .await?;
    let mut file = tokio::fs::File::create(to)
        .await
        .map_err(|e| format!("cannot create {to}: {e}"))?;
    let mut stream = response.into_inner().into_inner();
    let mut size = 0u64;
    while let Some(chunk) = stream.try_next().await? {
        size += chunk.len() as u64;
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    writeln!(out, "wrote {size} bytes of measurement {id} to {to}")?;
    Ok(size)
}

/// The whole program, with the environment and output given.
pub async fn run(
    args: &[String],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    out: &mut (dyn Write + Send),
) -> Result<(), Box<dyn std::error::Error>> {
    let command = parse_args(args)?;
    if command == Command::Help {
        write!(out, "{USAGE}")?;
        return Ok(());
    }
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let stand_in;
    let client = if set(ENV_API_KEY).is_none() && set(ENV_API_TOKEN).is_none() {
        stand_in = StandIn::start().await?;
        writeln!(
            out,
            "no credentials: using the embedded Ionworks stand-in at {} (offline)",
            stand_in.base_url()
        )?;
        stand_in.client()
    } else {
        let names = [
            ENV_API_KEY,
            ENV_API_TOKEN,
            ionworks::ENV_API_URL,
            ionworks::ENV_ORGANIZATION_ID,
        ];
        let vars: std::collections::HashMap<&str, String> = names
            .into_iter()
            .filter_map(|name| Some((name, env(name)?)))
            .collect();
        Client::builder()
            .env_lookup(move |name| vars.get(name).cloned())
            .build()?
    };
    match command {
        Command::Upload {
            instance,
            file,
            name,
        } => {
            upload(&client, &instance, &file, name, out).await?;
        }
        Command::Download { id, out: to } => {
            download(&client, &id, &to, out).await?;
        }
        Command::Help => {}
    }
    Ok(())
}

#[allow(dead_code)] // also compiled into tests/measurements.rs, which calls `run`
#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = |name: &str| std::env::var(name).ok();
    match run(&args, &env, &mut std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if parse_args(&args).is_err() {
                eprint!("\n{USAGE}");
                return ExitCode::from(2);
            }
            ExitCode::FAILURE
        }
    }
}
