//! The layers of the crate, lowest first, and the test that keeps imports flowing one way.
//!
//! A module may use modules of a lower layer, never one of its own layer or above; a command
//! file (`src/cli/commands/*.rs`) uses no other command (what two commands share lives in
//! `src/cli/`). The test reads every `src/**/*.rs`, collects the `crate::…` paths outside
//! comments (and the `super::…` paths of command files), and names each file and line that
//! breaks either rule. Test code is held to the same rules: a property test that needs a
//! higher layer lives in that layer.

/// The modules of `src/`, by layer, lowest first. Modules of one layer know nothing of each
/// other.
pub(crate) const LAYERS: &[&[&str]] = &[
    // Identifiers, dates, events, the interchange format: depends on nothing of ours.
    &["domain"],
    // The Merkle tree, proofs, checkpoints, keys: hashes only, no journal.
    &["merkle"],
    // Entries, the journal, verification, derived data (its sled store is a child).
    &["ledger"],
    // The pure fold and its queries.
    &["projection"],
    // Structural checks and the continuity rules, both on a projection.
    &["validate", "rules"],
    // The write side: a draft validated, judged and committed.
    &["append"],
    // What is made of a ledger or a projection for others: pictures, a witness's decision,
    // the published tiles.
    &["timeline", "witness", "publication"],
    // The report embeds the timeline.
    &["report"],
    // Arguments and printing.
    &["cli"],
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS.iter().position(|layer| layer.contains(&module))
    }

    /// Every `.rs` file under `dir`, sorted, so failures come out in a stable order.
    fn rust_files(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
                let path = entry.expect("src/ is readable").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    /// The source with comments blanked (line breaks kept, so positions keep their lines):
    /// a doc link to a higher layer is not a dependency.
    fn without_comments(source: &str) -> String {
        source
            .lines()
            .map(|line| match line.find("//") {
                Some(at) => &line[..at],
                None => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first segment of every path that starts with `prefix` (`crate::`, `super::`), with
    /// its line: `crate::a::b` gives `a`; `crate::{a::b, c}` gives `a` and `c`.
    fn first_segments(code: &str, prefix: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            // A path's first segment, not the tail of a longer word (`foo_crate::`) or of a
            // longer path (`super::super::`).
            let offset = code.len() - rest.len() + at;
            let before = &code[..offset];
            rest = &rest[at + prefix.len()..];
            if before.ends_with("::")
                || before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let line = code[..offset].matches('\n').count() + 1;
            if let Some(group) = rest.strip_prefix('{') {
                let end = matching_brace(group);
                for item in top_level_items(&group[..end]) {
                    found.push((line, item));
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((line, name));
                }
            }
        }
        found
    }

    /// Where the brace group that `group` starts inside of ends.
    fn matching_brace(group: &str) -> usize {
        let mut depth = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => return i,
                '}' => depth -= 1,
                _ => {}
            }
        }
        group.len()
    }

    /// The first segment of each comma-separated item at the top of a use group.
    fn top_level_items(group: &str) -> Vec<String> {
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = true;
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                    items.push(c.to_string());
                    start = false;
                }
                c if depth == 0 && (c.is_alphanumeric() || c == '_') => {
                    if let Some(last) = items.last_mut() {
                        if !last.ends_with(':') {
                            last.push(c);
                        }
                    }
                }
                ':' if depth == 0 => {
                    if let Some(last) = items.last_mut() {
                        if !last.ends_with(':') {
                            last.push(':');
                        }
                    }
                }
                _ => {}
            }
        }
        items
            .into_iter()
            .map(|s| s.trim_end_matches(':').to_owned())
            .collect()
    }

    /// What breaks the layering in one file (`relative` to `src/`), one line per import.
    fn breaches(relative: &Path, source: &str) -> Vec<String> {
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let module = parts[0].trim_end_matches(".rs");
        let mut found = Vec::new();
        let Some(own) = layer_of(module) else {
            // lib.rs and main.rs stand above every layer.
            return found;
        };
        let code = without_comments(source);
        for (line, used) in first_segments(&code, "crate::") {
            if used == module || used == "self" {
                continue;
            }
            match layer_of(&used) {
                Some(theirs) if theirs < own => {}
                Some(_) => found.push(format!(
                    "src/{}:{line}: `{module}` uses `crate::{used}`, which is not in a lower layer",
                    relative.display()
                )),
                None => {}
            }
        }
        // A command uses no other command: `crate::cli::commands::other` or `super::other`.
        if parts.len() >= 3 && parts[0] == "cli" && parts[1] == "commands" {
            let command = parts[2].trim_end_matches(".rs");
            if command != "mod.rs" && command != "mod" {
                let mut others = first_segments(&code, "cli::commands::");
                if parts.len() == 3 {
                    others.extend(first_segments(&code, "super::"));
                }
                for (line, other) in others {
                    if other != command && other != "super" && other != "self" {
                        found.push(format!(
                            "src/{}:{line}: the command `{command}` uses the command `{other}`; \
                             move what they share into src/cli/",
                            relative.display()
                        ));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_import_goes_to_a_lower_layer_and_no_command_uses_another() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        for file in rust_files(&src) {
            let source = std::fs::read_to_string(&file).expect("a source file is readable");
            let relative = file.strip_prefix(&src).expect("under src/");
            found.extend(breaches(relative, &source));
        }
        assert!(
            found.is_empty(),
            "imports against the layers (src/layers.rs):\n{}",
            found.join("\n")
        );
    }

    /// The files of one module that each file uses (`super::x`, `crate::m::x`, for a sibling
    /// `x`): module path (`ledger::entry`) → its siblings used. A parent (`mod.rs`) and its
    /// children are left out: a parent declares its children, and children use their parent.
    fn sibling_uses(src: &Path) -> std::collections::BTreeMap<String, Vec<(usize, String)>> {
        let mut uses = std::collections::BTreeMap::new();
        for file in rust_files(src) {
            let relative = file.strip_prefix(src).expect("under src/");
            let parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if parts.len() < 2 || parts.last().is_some_and(|p| p == "mod") {
                continue;
            }
            let (own, parent) = parts.split_last().expect("two parts at least");
            let dir = src.join(parent.join("/"));
            let is_sibling = |name: &str| {
                name != own
                    && (dir.join(format!("{name}.rs")).is_file()
                        || dir.join(name).join("mod.rs").is_file())
            };
            let code = without_comments(&std::fs::read_to_string(&file).expect("readable"));
            let mut used = first_segments(&code, "super::");
            used.extend(first_segments(
                &code,
                &format!("crate::{}::", parent.join("::")),
            ));
            used.retain(|(_, name)| is_sibling(name));
            let key = parts.join("::");
            let siblings = used
                .into_iter()
                .map(|(line, name)| (line, format!("{}::{name}", parent.join("::"))))
                .collect();
            uses.insert(key, siblings);
        }
        uses
    }

    /// A circle of files that use each other, if there is one.
    fn a_circle(
        uses: &std::collections::BTreeMap<String, Vec<(usize, String)>>,
    ) -> Option<Vec<String>> {
        fn visit(
            at: &str,
            uses: &std::collections::BTreeMap<String, Vec<(usize, String)>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|p| p == at) {
                let mut circle = path[start..].to_vec();
                circle.push(at.to_owned());
                return Some(circle);
            }
            if !done.insert(at.to_owned()) {
                return None;
            }
            path.push(at.to_owned());
            for (_, next) in uses.get(at).into_iter().flatten() {
                if let Some(circle) = visit(next, uses, path, done) {
                    return Some(circle);
                }
            }
            path.pop();
            None
        }
        let mut done = std::collections::BTreeSet::new();
        uses.keys()
            .find_map(|start| visit(start, uses, &mut Vec::new(), &mut done))
    }

    #[test]
    fn no_files_of_one_module_use_each_other_in_a_circle() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let uses = sibling_uses(&src);
        assert!(
            uses.get("ledger::readable")
                .is_some_and(|u| u.iter().any(|(_, s)| s == "ledger::entry")),
            "the checker sees `use super::entry` in ledger/readable.rs"
        );
        if let Some(circle) = a_circle(&uses) {
            panic!(
                "files that use each other in a circle (put what they share in one of them, or \
                 in a file both use): {}",
                circle.join(" → ")
            );
        }
    }

    #[test]
    fn the_circle_finder_finds_a_circle_and_only_one() {
        let uses = |pairs: &[(&str, &str)]| {
            let mut map: std::collections::BTreeMap<String, Vec<(usize, String)>> =
                std::collections::BTreeMap::new();
            for (from, to) in pairs {
                map.entry((*from).into())
                    .or_default()
                    .push((1, (*to).into()));
            }
            map
        };
        assert_eq!(a_circle(&uses(&[("m::a", "m::b"), ("m::b", "m::c")])), None);
        assert_eq!(
            a_circle(&uses(&[("m::a", "m::b"), ("m::b", "m::a")])),
            Some(vec!["m::a".into(), "m::b".into(), "m::a".into()])
        );
    }

    #[test]
    fn every_module_of_src_has_a_layer() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for entry in std::fs::read_dir(&src).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let module = name.trim_end_matches(".rs");
            if matches!(module, "lib" | "main" | "layers") {
                continue;
            }
            assert!(
                layer_of(module).is_some(),
                "src/{name} is in no layer: give it one in LAYERS (src/layers.rs)"
            );
        }
    }

    #[test]
    fn the_checker_sees_groups_nested_paths_and_commands() {
        let file = Path::new("merkle/tree.rs");
        let source = "use crate::{domain::Seq, ledger::{EntryHash, Entry}};\n// crate::cli in a comment\nfn f() { crate::projection::x(); }\n";
        assert_eq!(
            breaches(file, source),
            [
                "src/merkle/tree.rs:1: `merkle` uses `crate::ledger`, which is not in a lower layer",
                "src/merkle/tree.rs:3: `merkle` uses `crate::projection`, which is not in a lower layer",
            ]
        );
        let command = Path::new("cli/commands/who.rs");
        let source = "use super::committee::with_person;\nuse crate::cli::commands::who::Args;\nuse crate::cli::output;\n";
        assert_eq!(
            breaches(command, source),
            ["src/cli/commands/who.rs:1: the command `who` uses the command `committee`; move what they share into src/cli/"]
        );
    }

    /// Every `path::name` the map (ARCHITECTURE.md) and the formats (docs/FORMAT.md) name in
    /// backticks is defined somewhere in `src/`, `tests/` or `benches/`: a renamed or removed item makes them fail
    /// here, not mislead a reader (`Projection::read_for` was named long after it was gone).
    #[test]
    fn every_item_the_docs_name_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let code: String = ["src", "tests", "benches"]
            .iter()
            .flat_map(|dir| rust_files(&root.join(dir)))
            .map(|file| std::fs::read_to_string(file).expect("a source file is readable"))
            .collect();
        let defines = |name: &str| {
            ["fn", "struct", "enum", "const", "mod", "trait", "type", "static"]
                .iter()
                .any(|item| {
                    code.match_indices(&format!("{item} {name}")).any(|(at, found)| {
                        !code[at + found.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                })
                // An enum's variant: `Name(`, `Name {` or `Name,` at the start of a line.
                || code.lines().any(|line| {
                    line.trim_start()
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with(['(', ' ', ',']))
                })
        };
        let mut missing = Vec::new();
        for doc in ["ARCHITECTURE.md", "docs/FORMAT.md"] {
            let text = std::fs::read_to_string(root.join(doc)).expect("the doc is readable");
            for (number, line) in text.lines().enumerate() {
                for quoted in line.split('`').skip(1).step_by(2) {
                    let is_path = quoted.contains("::")
                        && quoted.split("::").all(|s| {
                            !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                        });
                    let name = quoted.rsplit("::").next().unwrap_or_default();
                    if is_path && !defines(name) {
                        missing.push(format!("{doc}:{}: `{quoted}`", number + 1));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "named in the docs, defined nowhere in src/, tests/ or benches/:\n{}",
            missing.join("\n")
        );
    }
}
