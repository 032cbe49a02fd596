//! The command line: help on every command, exit status 2 for what is not
//! understood.

use std::process::Command;

const COMMANDS: [&str; 5] = [
    "codegen",
    "update-spec",
    "build-cost",
    "generated-cost",
    "generate-corpus",
];

/// A flag of each command, with its value if it takes one.
fn some_flag(command: &str) -> &'static [&'static str] {
    match command {
        "codegen" => &["--report"],
        "update-spec" => &["--check"],
        "build-cost" => &["--units"],
        "generate-corpus" => &["--out", "/nonexistent/corpus"],
        _ => &["--tags", "3"],
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn xtask(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn help_lists_every_command() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let run = xtask(args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(run.stdout.starts_with("usage: cargo xtask <command>"));
        for command in COMMANDS {
            assert!(run.stdout.contains(command), "{args:?}: {}", run.stdout);
        }
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
}

#[test]
fn help_on_every_command_prints_its_usage() {
    for command in COMMANDS {
        let expected = format!("usage: cargo xtask {command}");
        for args in [
            vec![command, "--help"],
            vec![command, "-h"],
            vec!["help", command],
            // Help wins wherever it appears among the flags.
            [&[command][..], some_flag(command), &["--help"]].concat(),
        ] {
            let run = xtask(&args);
            assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
            assert!(
                run.stdout.starts_with(&expected),
                "{args:?}: {}",
                run.stdout
            );
            assert!(run.stdout.contains("-h, --help"), "{args:?}");
            assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
        }
    }
}

#[test]
fn an_unknown_flag_exits_2_with_the_usage() {
    for command in COMMANDS {
        let run = xtask(&[command, "--frobnicate"]);
        assert_eq!(run.code, Some(2), "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with("error: unexpected argument `--frobnicate`"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("usage: cargo xtask {command}")),
            "{command}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn an_unknown_command_or_none_exits_2_with_the_usage() {
    for (args, message) in [
        (&["frobnicate"][..], "error: unknown command `frobnicate`"),
        (
            &["--frobnicate"],
            "error: unexpected argument `--frobnicate`",
        ),
        (
            &["help", "frobnicate"],
            "error: unknown command `frobnicate`",
        ),
        // Whatever follows `help` is the name of a command.
        (
            &["help", "--frobnicate"],
            "error: unknown command `--frobnicate`",
        ),
        (&["help", "-h"], "error: unknown command `-h`"),
        (&["--help=x"], "error: unexpected argument `--help=x`"),
        (&["-abc"], "error: unexpected argument `-abc`"),
        (&[], "error: no command given"),
    ] {
        let run = xtask(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("usage: cargo xtask <command>"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_argument_is_named_as_it_was_written() {
    for (args, message) in [
        (&["update-spec", "--check=yes"][..], "`--check=yes`"),
        (&["codegen", "--report="], "`--report=`"),
        (&["codegen", "--help=x"], "`--help=x`"),
        (&["codegen", "-hx"], "`-hx`"),
        (&["build-cost", "-xh"], "`-xh`"),
        (&["generated-cost", "-abc"], "`-abc`"),
        (&["generate-corpus", "/tmp/corpus"], "`/tmp/corpus`"),
    ] {
        let run = xtask(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        let expected = format!("error: unexpected argument {message}\n");
        assert!(
            run.stderr.starts_with(&expected),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("usage: cargo xtask {}", args[0])),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
}

#[test]
fn a_value_may_look_like_a_flag_or_be_attached() {
    for args in [
        &["codegen", "--spec", "--help"][..],
        &["codegen", "--spec=--help"],
    ] {
        let run = xtask(args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: cannot read --help"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_value_or_required_flag_exits_2() {
    for (args, message) in [
        (&["codegen"][..], "error: codegen needs --spec PATH"),
        (&["codegen", "--spec"], "error: --spec needs a value"),
        (
            &["update-spec", "--url", "u", "--from", "f"],
            "error: give either --url or --from, not both",
        ),
        (
            &["build-cost", "--only", "consumer,nope"],
            "error: --only: unknown build `nope`",
        ),
        (
            &["build-cost", "--rounds", "0"],
            "error: --rounds: `0` is not a number from 1 to 9",
        ),
        (&["build-cost", "--rounds"], "error: --rounds needs a value"),
        (
            &["generated-cost", "--tags", "many"],
            "error: --tags: `many` is not a number",
        ),
        (
            &["generate-corpus"],
            "error: generate-corpus needs --out DIR",
        ),
        (&["generate-corpus", "--out"], "error: --out needs a value"),
    ] {
        let run = xtask(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("usage: cargo xtask"), "{}", run.stderr);
    }
}

#[test]
fn a_failing_task_exits_1_without_the_usage() {
    let run = xtask(&["codegen", "--spec", "/nonexistent/openapi.json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: cannot read /nonexistent/openapi.json"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("usage:"), "{}", run.stderr);
}
