//! The layering of `src/`: no two top-level modules import each other, directly or around a
//! circle. The check reads `crate::…` paths (and `$crate::…` in macros) outside test code.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        if path.is_dir() {
            files.insert(name, rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.insert(name, vec![path]);
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, paths)| {
            let mut uses = BTreeSet::new();
            for path in paths {
                let text = std::fs::read_to_string(path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for name in crate_paths(code) {
                    if modules.contains(&name) && name != *module {
                        uses.insert(name);
                    }
                }
            }
            (module.clone(), uses)
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The first segment after every `crate::`, including the names in `crate::{a, b::c}`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            out.extend(inner.split(',').map(|p| segment(p.trim())));
        } else {
            out.push(segment(rest));
        }
    }
    out
}

fn segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every circle of imports, as the modules on it.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let mut found: Vec<Vec<String>> = Vec::new();
    for module in graph.keys() {
        if !reach(module).contains(module) {
            continue;
        }
        let circle: Vec<String> = graph
            .keys()
            .filter(|other| reach(module).contains(*other) && reach(other).contains(module))
            .cloned()
            .collect();
        if !found.contains(&circle) {
            found.push(circle);
        }
    }
    found
}

#[test]
fn top_level_modules_do_not_import_each_other_in_a_circle() {
    let graph = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 10, "the check sees the modules: {graph:?}");
    assert!(
        graph["institutions"].contains("context"),
        "the check sees imports"
    );
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between modules of src/: {found:?}"
    );
}

#[test]
fn the_cycle_check_finds_a_planted_circle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("db")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "pub mod db; pub mod cities; pub mod http;",
    )
    .unwrap();
    std::fs::write(
        src.join("db/mod.rs"),
        "use crate::{error::X, cities::load};\n#[cfg(test)]\nmod tests { use crate::http; }",
    )
    .unwrap();
    std::fs::write(
        src.join("cities.rs"),
        "pub fn load() { crate::db::connect(); }",
    )
    .unwrap();
    std::fs::write(src.join("http.rs"), "fn f() { $crate::db::x(); }").unwrap();
    let graph = imports(src);
    assert_eq!(
        cycles(&graph),
        vec![vec!["cities".to_owned(), "db".to_owned()]]
    );
    assert!(!graph["db"].contains("http"), "test code does not count");
}
