//! Writes the benchmark's synthetic ledger as JSON Lines, for measuring one command by hand
//! (a profile, a memory figure) without running the whole benchmark:
//!
//!   cargo bench --bench synthetic_jsonl -- 100000 /tmp/s100k.jsonl
//!   ccm-ledger --ledger /tmp/l100k import /tmp/s100k.jsonl
//!
//! The lines are the ones `cargo bench --features sqlite-peer --bench ledger` imports at the same size (each carries
//! `"override": "synthetic"`, see BENCHMARKS.md).

#[path = "support/synthetic.rs"]
mod synthetic;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(n), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --bench synthetic_jsonl -- N FILE");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N: a number of events");
    let drafts = synthetic::ledger(n);
    synthetic::write_jsonl(std::path::Path::new(path), &drafts);
    eprintln!("{} events written to {path}", drafts.len());
}
