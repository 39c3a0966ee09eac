//! Ctrl-C during an append (issue 13, item 4): the append stops at the next piece, its
//! unacknowledged bytes are cut back, and the command says nothing was recorded.
//!
//! Only while an append is in progress is SIGINT caught ([`catch`], called when an
//! [`super::Appending`] starts): a read command keeps the default, dying at once, which is
//! right for it. The handler only sets a flag — the one thing a signal handler may safely do;
//! `signal-hook` registers it (a well-kept crate, instead of our own `unsafe` `sigaction`) —
//! and the writer looks at the flag before writing each piece and before acknowledging.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The flag, registered once per process.
static REQUESTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// From now on, SIGINT sets the flag instead of killing the process. If the handler cannot
/// be registered, SIGINT keeps its default: the process dies and leaves a torn tail that the
/// next writer cuts, as after a crash.
pub fn catch() {
    REQUESTED.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&flag));
        flag
    });
}

/// Whether SIGINT arrived since [`catch`].
pub fn requested() -> bool {
    REQUESTED
        .get()
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}
