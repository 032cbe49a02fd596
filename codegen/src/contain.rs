//! Containing what the generators do wrong: a stack deep enough for their
//! recursion, and their panics turned into errors.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::CodegenError;

/// Run `f` on a thread with a 256 MiB stack. typify recurses once per level
/// of schema nesting and overflows a 2 MiB stack (libtest's default) at about
/// 35 levels in debug builds; a stack overflow aborts the process, which no
/// `catch_unwind` can contain. The memory is only reserved, not committed.
pub(crate) fn on_large_stack<T: Send>(
    f: impl FnOnce() -> Result<T, CodegenError> + Send,
) -> Result<T, CodegenError> {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("ionworks-codegen".into())
            .stack_size(256 << 20)
            .spawn_scoped(scope, f)
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(CodegenError::new(
                    "",
                    "generator panic",
                    "code generation panicked",
                ))
            }),
            Err(e) => Err(CodegenError::new(
                "",
                "thread",
                format!("cannot start the generator thread: {e}"),
            )),
        }
    })
}

thread_local! {
    static QUIET: Cell<usize> = const { Cell::new(0) };
}

/// Run `f`, turning a panic into a [`CodegenError`]. Panics inside are not
/// printed (the panic hook is wrapped once to stay quiet on this thread only).
pub(crate) fn contained<T>(pointer: &str, f: impl FnOnce() -> T) -> Result<T, CodegenError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    result.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let first = text.lines().next().unwrap_or_default();
        CodegenError::new(
            pointer,
            "generator panic",
            format!("progenitor/typify panicked: {first}"),
        )
    })
}
